"""Every code and every name Python's http.HTTPStatus knows on this machine is in our table."""

from __future__ import annotations

import http
import json
import os
import subprocess
import unittest


class PythonHttpStatusTest(unittest.TestCase):
    def test_python_statuses_are_all_known(self):
        tool = os.environ.get("HTTPKIT_STATUS")
        if not tool:
            self.skipTest("HTTPKIT_STATUS (the httpkit-status binary) is not set")
        result = subprocess.run([tool, "--all", "--json"], capture_output=True, text=True, check=True, timeout=60)
        ours = {entry["code"]: entry for entry in json.loads(result.stdout)}
        self.assertGreater(len(ours), 60)
        checked = 0
        # __members__ includes the aliases (REQUEST_ENTITY_TOO_LARGE on Python 3.13 and later).
        for name, member in http.HTTPStatus.__members__.items():
            with self.subTest(name=name, code=member.value):
                self.assertIn(member.value, ours)
                entry = ours[member.value]
                self.assertIn(name, [entry["name"], *entry["aliases"]])
                checked += 1
        self.assertEqual(checked, len(http.HTTPStatus.__members__))

    def test_unknown_code_is_an_error(self):
        tool = os.environ.get("HTTPKIT_STATUS")
        if not tool:
            self.skipTest("HTTPKIT_STATUS is not set")
        result = subprocess.run([tool, "477"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("unknown status code 477", result.stderr)
        result = subprocess.run([tool, "no-such-status"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("unknown status name 'no-such-status'", result.stderr)
        result = subprocess.run([tool, "payload too large"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith("413 Content Too Large\n"), result.stdout)


if __name__ == "__main__":
    unittest.main()
