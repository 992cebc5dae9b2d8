"""The OpenAPI documents router.openapi() writes, judged by a real validator from npm
(@seriousme/openapi-schema-validator, installed by scripts/install-deps test): httpkit-echo's
/openapi.json and the notes service's, fetched from the running programs."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import tempfile
import unittest
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ECHO = os.environ.get("HTTPKIT_ECHO")
NOTES = os.environ.get("HTTPKIT_NOTES")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def validate(document: dict) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(document, file)
        file.flush()
        return subprocess.run(["node", str(HERE / "validate.mjs"), file.name], capture_output=True, text=True,
                              timeout=60)


def served_document(program: str) -> dict:
    """The /openapi.json of `program`, started on a free port and stopped."""
    port = free_port()
    process = subprocess.Popen([program, str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert "listening on" in line, line + process.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            return json.load(response)
    finally:
        process.terminate()
        process.communicate(timeout=10)


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        validator = HERE / "node_modules" / "@seriousme" / "openapi-schema-validator"
        assert validator.is_dir(), "no OpenAPI validator in tests/openapi/node_modules: run scripts/install-deps test"
        assert ECHO and NOTES, "HTTPKIT_ECHO and HTTPKIT_NOTES name the programs"
        cls.echo = served_document(ECHO)
        cls.notes = served_document(NOTES)

    def assert_valid(self, document: dict):
        result = validate(document)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("valid OpenAPI 3.1", result.stdout)

    def test_httpkit_echo_document_is_valid(self):
        self.assert_valid(self.echo)
        self.assertIn("/openapi.json", self.echo["paths"])
        self.assertIn("101", self.echo["paths"]["/ws"]["get"]["responses"])

    def test_notes_document_is_valid(self):
        self.assert_valid(self.notes)
        put = self.notes["paths"]["/notes/{id}"]["put"]["responses"]
        self.assertEqual(put["405"]["headers"]["Allow"]["example"], "DELETE, GET, HEAD, OPTIONS, PUT")
        self.assertIn("Retry-After", put["429"]["headers"])

    def test_the_validator_refuses_a_broken_document(self):
        # So that a pass above means something: the same document, broken two ways.
        missing_version = copy.deepcopy(self.notes)
        del missing_version["info"]["version"]
        result = validate(missing_version)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("version", result.stdout)
        bad_status = copy.deepcopy(self.notes)
        bad_status["paths"]["/notes"]["get"]["responses"]["20"] = {"description": "two digits"}
        self.assertEqual(validate(bad_status).returncode, 1)
        dangling = copy.deepcopy(self.notes)
        del dangling["components"]["schemas"]["Problem"]
        self.assertNotEqual(validate(dangling).returncode, 0)


if __name__ == "__main__":
    unittest.main()
