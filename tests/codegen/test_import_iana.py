"""codegen/import_iana.py: merging a registry CSV, and refusing a malformed one."""

from __future__ import annotations

import sys
import tomllib
import unittest

unittest.util._MAX_LENGTH = 300  # keep failure messages about large files readable

from tree import DATA, FIXTURES, ROOT, Tree

sys.path.insert(0, str(ROOT / "codegen"))
import import_iana  # noqa: E402

CURRENT = FIXTURES / "iana-http-status-codes-2025-09-15.csv"


def registry_text() -> str:
    return CURRENT.read_bytes().decode()


class ImportTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def import_csv(self, text: str, *args: str, today: str | None = None):
        csv_path = self.tree.path("registry.csv")
        csv_path.write_bytes(text.encode())
        return self.tree.run("import_iana.py", str(csv_path), *args, today=today)

    def entries(self) -> dict[int, dict]:
        return {e["code"]: e for e in tomllib.loads(self.tree.read(DATA))["status"]}

    def test_current_registry_changes_nothing(self):
        before = self.tree.snapshot("data")
        result = self.import_csv(registry_text())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("0 added, 0 changed, 0 withdrawn", result.stdout)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_changed_registry(self):
        old = self.entries()
        text = registry_text()
        text = text.replace("452-499,Unassigned,\r\n", "452-476,Unassigned,\r\n477,Example Status,[RFC9999]\r\n478-499,Unassigned,\r\n")
        text = text.replace('404,Not Found,"[RFC9110, Section 15.5.5]"', '404,Resource Not Found,"[RFC9999, Section 4]"')
        text = text.replace(text[text.index("104,"): text.index("105-199")], "")
        result = self.import_csv(text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("added:     477 Example Status (registered)", result.stdout)
        self.assertIn("changed:   404 Resource Not Found: phrase 'Not Found' -> 'Resource Not Found'", result.stdout)
        self.assertIn("reference 'RFC 9110, Section 15.5.5' -> 'RFC 9999, Section 4'", result.stdout)
        self.assertIn("withdrawn: 104 Upload Resumption Supported", result.stdout)
        self.assertIn("1 added, 1 changed, 1 withdrawn", result.stdout)

        new = self.entries()
        self.assertEqual(new[477]["name"], "EXAMPLE_STATUS")
        self.assertEqual(new[477]["source"], "IANA")
        self.assertEqual(new[404]["phrase"], "Resource Not Found")
        self.assertEqual(new[404]["name"], "NOT_FOUND")  # names stay stable
        self.assertIn({"name": "RESOURCE_NOT_FOUND", "source": "The IANA registry's phrase 'Resource Not Found'"},
                      new[404]["aliases"])
        self.assertEqual(new[404]["description"], old[404]["description"])
        self.assertEqual(new[104]["registration"], "obsolete")
        self.assertNotIn("expires", new[104])
        # What the registry does not carry is kept: vendor codes, aliases, headers, descriptions.
        for code in (419, 444, 499, 520, 599):
            self.assertEqual(new[code], old[code])
        self.assertEqual(new[413]["aliases"], old[413]["aliases"])
        self.assertEqual(new[405]["headers"], old[405]["headers"])

        generated = self.tree.run("generate.py")
        self.assertEqual(generated.returncode, 0, generated.stderr)
        self.assertIn("EXAMPLE_STATUS = 477,", self.tree.read("generated/include/http/status.hpp"))
        self.assertIn("RESOURCE_NOT_FOUND = 404,", self.tree.read("generated/include/http/status.hpp"))
        self.assertIn("class ExampleStatus : public ClientError", self.tree.read("generated/include/http/failure.hpp"))
        self.assertIn("477 Example Status", self.tree.read("generated/docs/status-codes.md"))

    def test_a_vendor_code_that_gets_registered(self):
        text = registry_text().replace("452-499,Unassigned,\r\n", "452-498,Unassigned,\r\n499,Client Closed Request,[RFC9999]\r\n")
        result = self.import_csv(text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("499 Client Closed Request: source 'nginx' -> 'IANA'; registration unofficial -> registered", result.stdout)
        entry = self.entries()[499]
        self.assertEqual(entry["name"], "CLIENT_CLOSED_REQUEST")
        self.assertEqual(len(entry["vendors"]), 2)

    def test_the_expiry_is_read_against_today(self):
        # Before its expiry date the registry's 104 is a live temporary registration; the data
        # says expired, so an import on such a day changes it back, and one after changes nothing.
        early = self.import_csv(registry_text(), "--dry-run", today="2026-11-12")
        self.assertEqual(early.returncode, 0, early.stderr)
        self.assertIn("changed:   104 Upload Resumption Supported: registration expired -> temporary", early.stdout)
        late = self.import_csv(registry_text(), today="2026-11-14")
        self.assertIn("0 added, 0 changed, 0 withdrawn", late.stdout)

    def test_an_extension_is_kept_and_reported(self):
        text = registry_text().replace("extension registered 2025-09-15, expires 2026-11-13",
                                       "extension registered 2026-10-01, expires 2027-11-13")
        result = self.import_csv(text, today="2026-12-01")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("104 Upload Resumption Supported: registration expired -> temporary; "
                      "extended 2025-09-15 -> 2026-10-01; expires 2026-11-13 -> 2027-11-13", result.stdout)
        entry = self.entries()[104]
        self.assertEqual((entry["registration"], entry["extended"], entry["expires"]), ("temporary", "2026-10-01", "2027-11-13"))

    def test_a_temporary_registration_without_an_extension(self):
        text = registry_text().replace("extension registered 2025-09-15, ", "")
        result = self.import_csv(text, today="2026-12-01")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("extended 2025-09-15 -> -", result.stdout)
        self.assertNotIn("extended", self.entries()[104])

    def test_dry_run_writes_nothing(self):
        before = self.tree.snapshot("data")
        result = self.import_csv(registry_text().replace("404,Not Found", "404,Not Here"), "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("dry run, nothing written", result.stdout)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_first_import_into_an_empty_dataset(self):
        self.tree.path(DATA).unlink()
        result = self.import_csv(registry_text())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("64 added", result.stdout)
        entries = self.entries()
        self.assertEqual(entries[418]["registration"], "reserved")
        self.assertEqual(entries[510]["phrase"], "Not Extended")
        self.assertEqual(entries[510]["registration"], "obsolete")
        self.assertEqual(entries[104]["expires"], "2026-11-13")
        self.assertEqual(entries[104]["registered"], "2024-11-13")
        self.assertEqual(entries[104]["extended"], "2025-09-15")
        self.assertEqual(entries[104]["registration"], "expired")  # today is past 2026-11-13
        self.assertEqual(entries[413]["name"], "CONTENT_TOO_LARGE")
        self.assertEqual(entries[203]["name"], "NON_AUTHORITATIVE_INFORMATION")


class MalformedRegistryTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def assert_refused(self, text: str, *fragments: str):
        before = self.tree.snapshot("data")
        csv_path = self.tree.path("registry.csv")
        csv_path.write_bytes(text.encode())
        result = self.tree.run("import_iana.py", str(csv_path))
        self.assertEqual(result.returncode, 2, result.stdout)
        self.assertNotIn("Traceback", result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertIn("nothing written", result.stderr)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_bad_header_row(self):
        self.assert_refused(registry_text().replace("Value,Description,Reference", "Code,Phrase,Reference"),
                            "registry.csv:1: header row must be Value,Description,Reference")

    def test_bad_code(self):
        self.assert_refused(registry_text().replace("404,Not Found", "4O4,Not Found"), "bad code '4O4'")

    def test_code_out_of_range(self):
        self.assert_refused(registry_text() + "600,Too Far,[RFC9999]\r\n", "bad code '600'")

    def test_duplicate_code(self):
        self.assert_refused(registry_text() + "404,Not Found Again,[RFC9999]\r\n", "duplicate code 404")

    def test_wrong_number_of_fields(self):
        self.assert_refused(registry_text().replace("410,Gone,", "410,Gone,,"), "expected 3 fields, got 4")

    def test_empty_file(self):
        self.assert_refused("", "header row must be")

    def test_temporary_registration_it_cannot_read(self):
        # Never a phrase: no UPLOAD_RESUMPTION_SUPPORTED_TEMPORARY_REGISTERED_... alias, no
        # change from temporary to registered.
        text = registry_text().replace("extension registered 2025-09-15, expires 2026-11-13", "expires soon")
        self.assert_refused(text, "registry.csv:6: code 104: cannot read the temporary registration in "
                                  "'Upload Resumption Supported (TEMPORARY - registered 2024-11-13, expires soon)': expected "
                                  "(TEMPORARY - registered YYYY-MM-DD[, extension registered YYYY-MM-DD], expires YYYY-MM-DD)")

    def test_temporary_registration_with_a_date_that_is_no_calendar_date(self):
        text = registry_text().replace("expires 2026-11-13", "expires 2026-13-45")
        self.assert_refused(text, "registry.csv:6: code 104: 'expires' 2026-13-45 is not a calendar date (month must be in 1..12)")

    def test_temporary_registration_after_its_expiry(self):
        text = registry_text().replace("registered 2024-11-13", "registered 2099-01-01")
        self.assert_refused(text, "registry.csv:6: code 104: registered 2099-01-01 is not before expires 2026-11-13")

    def test_temporary_extension_before_its_registration(self):
        text = registry_text().replace("extension registered 2025-09-15", "extension registered 2020-09-15")
        self.assert_refused(text, "registry.csv:6: code 104: extended 2020-09-15 is before registered 2024-11-13")

    def test_temporary_registration_with_a_short_date(self):
        text = registry_text().replace("registered 2024-11-13,", "registered 2024-11,")
        self.assert_refused(text, "code 104: 'registered' must be a date written YYYY-MM-DD, not '2024-11'")

    def test_an_annotation_it_does_not_know(self):
        text = registry_text().replace("410,Gone,", "410,Gone (DEPRECATED),")
        self.assert_refused(text, "registry.csv:40: code 410: unknown annotation in 'Gone (DEPRECATED)'")

    def test_the_field_registry_given_as_the_status_registry(self):
        text = (FIXTURES / "iana-http-field-names-2026-10-08.csv").read_bytes().decode()
        self.assert_refused(text, "header row must be Value,Description,Reference",
                            "looks like the fields registry: add --registry fields")

    def test_description_that_is_not_ascii(self):
        self.assert_refused(registry_text().replace("410,Gone,", "410,Gon\u00e9,"), "registry.csv:40: 410: 'Gon\u00e9' is not printable ASCII")


class ReferenceTest(unittest.TestCase):
    def test_normalize(self):
        self.assertEqual(import_iana.normalize_reference("[RFC9110, Section 15.5.5]"), "RFC 9110, Section 15.5.5")
        self.assertEqual(import_iana.normalize_reference("[RFC2774][status-change-http-experiments-to-historic]"),
                         "RFC 2774; status-change-http-experiments-to-historic")
        self.assertEqual(import_iana.reference_documents("RFC 4918, Section 11.1"), ["RFC4918"])


if __name__ == "__main__":
    unittest.main()
