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


class StatusToolTest(unittest.TestCase):
    """httpkit-status shows what the dataset knows: vendors, registration state, retry rules."""

    def run_tool(self, *args: str) -> str:
        tool = os.environ.get("HTTPKIT_STATUS")
        if not tool:
            self.skipTest("HTTPKIT_STATUS (the httpkit-status binary) is not set")
        return subprocess.run([tool, *args], capture_output=True, text=True, check=True, timeout=60).stdout

    def test_each_vendor_meaning_is_listed(self):
        out = self.run_tool("499")
        self.assertIn("vendor       nginx \"Client Closed Request\": ", out)
        self.assertIn("vendor       Esri ArcGIS \"Token Required\": ", out)
        vendors = json.loads(self.run_tool("--json", "499"))["vendors"]
        self.assertEqual([v["vendor"] for v in vendors], ["nginx", "Esri ArcGIS"])

    def test_an_expired_temporary_registration_says_so(self):
        # 104's temporary registration expired on 2026-11-13, and the dataset says so.
        out = self.run_tool("104")
        self.assertIn("IANA, expired (temporary registration 2024-11-13, extended 2025-09-15, expired 2026-11-13: "
                      "no registry imported since renewed it or made it permanent)", out)
        entry = json.loads(self.run_tool("--json", "104"))
        self.assertEqual((entry["registration"], entry["registered"], entry["extended"], entry["expires"], entry["expired"]),
                         ("expired", "2024-11-13", "2025-09-15", "2026-11-13", True))

    def test_retry_rules(self):
        self.assertIn("retry        for any method, after Retry-After", self.run_tool("503"))
        self.assertIn("retry        for idempotent methods\n", self.run_tool("502"))
        self.assertNotIn("retry", self.run_tool("404"))
        self.assertEqual(json.loads(self.run_tool("--json", "504"))["retry"], "idempotent methods")
