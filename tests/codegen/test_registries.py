"""The field-name, method, close-code and HTTP/2 error-code registries: their data files as the
generator checks them, and their import (added / changed / withdrawn, nothing written on bad input)."""

from __future__ import annotations

import random
import string
import sys
import tomllib
import unittest
from pathlib import Path

unittest.util._MAX_LENGTH = 300  # keep failure messages about large files readable

from tree import CLOSE_CODES, FIELDS, FIXTURES, H2_ERROR_CODES, METHODS, ROOT, Tree

sys.path.insert(0, str(ROOT / "codegen"))
import perfect_hash  # noqa: E402

SNAPSHOTS = {
    "fields": (FIXTURES / "iana-http-field-names-2026-10-08.csv", FIELDS, "field"),
    "methods": (FIXTURES / "iana-http-methods-2022-06-08.csv", METHODS, "method"),
    "close-codes": (FIXTURES / "iana-websocket-close-codes-2024-02-01.csv", CLOSE_CODES, "close_code"),
    "http2": (FIXTURES / "iana-http2-error-codes-2022-08-17.csv", H2_ERROR_CODES, "error_code"),
}


def snapshot_text(registry: str) -> str:
    return SNAPSHOTS[registry][0].read_bytes().decode()


class PerfectHashTest(unittest.TestCase):
    def test_every_name_and_nothing_else_is_found(self):
        rng = random.Random(7)
        names = sorted({"".join(rng.choice(string.ascii_letters + "-") for _ in range(rng.randint(1, 30)))
                        for _ in range(600)}, key=str.lower)
        names = list({n.lower(): n for n in names}.values())
        table = perfect_hash.build(names, fold_case=True)
        for index, name in enumerate(names):
            self.assertEqual(perfect_hash.lookup(table, names, name.swapcase(), True), index)
        for probe in ("", "no such name at all", names[0] + "x"):
            self.assertIsNone(perfect_hash.lookup(table, names, probe, True))
        self.assertGreaterEqual(len(table.slots), 2 * len(names))

    def test_case_sensitive_tables_tell_cases_apart(self):
        names = ["GET", "HEAD", "POST", "get"]
        table = perfect_hash.build(names, fold_case=False)
        self.assertEqual([perfect_hash.lookup(table, names, n, False) for n in names], [0, 1, 2, 3])
        self.assertIsNone(perfect_hash.lookup(table, names, "Get", False))

    def test_the_same_table_every_run(self):
        names = [f"Name-{i}" for i in range(100)]
        self.assertEqual(perfect_hash.build(names, True), perfect_hash.build(list(names), True))


class RegistryDataTest(unittest.TestCase):
    """Each broken registry file: non-zero exit, a message naming file, entry and problem, nothing written."""

    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def assert_refused(self, data: Path, *fragments: str):
        before = self.tree.snapshot()
        result = self.tree.run("generate.py")
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn(str(data), result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertIn("nothing written", result.stderr)
        self.assertEqual(self.tree.snapshot(), before, "generated/ changed")

    def test_field_names_that_differ_only_in_case(self):
        self.tree.edit_data('name = "Accept-Encoding"', 'name = "accept-charset"', path=FIELDS)
        self.assert_refused(FIELDS, "field accept-charset", "duplicate field name (in any case) accept-charset")

    def test_field_status_not_in_the_registry(self):
        self.tree.edit_data('name = "Age"\nstatus = "permanent"', 'name = "Age"\nstatus = "current"', path=FIELDS)
        self.assert_refused(FIELDS, "field Age", "status 'current' is not one of permanent, provisional, deprecated, obsoleted")

    def test_field_name_that_is_not_a_token(self):
        self.tree.edit_data('name = "Age"', 'name = "Age:"', path=FIELDS)
        self.assert_refused(FIELDS, "field Age:", "field name 'Age:' is not an HTTP token")

    def test_two_field_names_giving_one_enumerator(self):
        self.tree.edit_data('name = "Age"', 'name = "Accept_Encoding"', path=FIELDS)
        self.assert_refused(FIELDS, "duplicate enumerator ACCEPT_ENCODING")

    def test_a_reserved_field_with_an_enumerator(self):
        self.tree.edit_data('name = "Close"\n', 'name = "Close"\nenumerator = "CLOSE"\n', path=FIELDS)
        self.assert_refused(FIELDS, "field Close", "a reserved name gets no enumerator")

    def test_a_field_enumerator_that_is_a_common_macro(self):
        self.tree.edit_data('name = "Age"\n', 'name = "Age"\nenumerator = "EOF"\n', path=FIELDS)
        self.assert_refused(FIELDS, "field Age", "enumerator EOF is a macro in common system headers")

    def test_a_field_from_outside_the_registry_without_a_note(self):
        self.tree.edit_data('name = "Age"\n', 'name = "Age"\nsource = "RFC 9999"\n', path=FIELDS)
        self.assert_refused(FIELDS, "field Age", "needs both 'source' and 'note'")

    def test_withdrawn_false(self):
        self.tree.edit_data('name = "Age"\n', 'name = "Age"\nwithdrawn = false\n', path=FIELDS)
        self.assert_refused(FIELDS, "field Age", "write 'withdrawn' and 'reserved' only when true")

    def test_a_misspelt_field_key(self):
        self.tree.edit_data('name = "Age"\n', 'name = "Age"\nstructure = "Item"\n', path=FIELDS)
        self.assert_refused(FIELDS, "field Age", "unknown field key 'structure'")

    def test_a_field_file_with_a_syntax_error(self):
        self.tree.edit_data('name = "Age"', 'name = "Age', path=FIELDS)
        self.assert_refused(FIELDS, "syntax error")

    def test_a_field_file_that_is_missing(self):
        self.tree.path(FIELDS).unlink()
        self.assert_refused(FIELDS, "cannot read")

    def test_a_field_file_with_another_table(self):
        self.tree.write(FIELDS, self.tree.read(FIELDS) + "\n[[method]]\nname = \"GET\"\n")
        self.assert_refused(FIELDS, "unknown top-level table 'method' (expected [[field]] entries)")

    def test_a_safe_method_that_is_not_idempotent(self):
        self.tree.edit_data('name = "GET"\nsafe = true\nidempotent = true', 'name = "GET"\nsafe = true\nidempotent = false',
                            path=METHODS)
        self.assert_refused(METHODS, "method GET", "a safe method is idempotent too (RFC 9110, Section 9.2.2)")

    def test_a_method_twice(self):
        self.tree.edit_data('name = "LINK"', 'name = "GET"', path=METHODS)
        self.assert_refused(METHODS, "method GET", "duplicate method GET")

    def test_a_method_that_is_not_a_token(self):
        self.tree.edit_data('name = "LINK"', 'name = "LI NK"', path=METHODS)
        self.assert_refused(METHODS, "method LI NK", "is not an HTTP token")

    def test_safe_written_as_text(self):
        self.tree.edit_data('name = "GET"\nsafe = true', 'name = "GET"\nsafe = "yes"', path=METHODS)
        self.assert_refused(METHODS, "method GET", "'safe' must be a bool, not str")

    def test_a_close_code_outside_its_range(self):
        self.tree.edit_data("code = 3008", "code = 4008", path=CLOSE_CODES)
        self.assert_refused(CLOSE_CODES, "close_code 4008", "code 4008 is outside 1000-3999 (4000-4999 are for private use)")

    def test_a_close_code_without_a_name(self):
        self.tree.edit_data('name = "TIMEOUT"\n', "", path=CLOSE_CODES)
        self.assert_refused(CLOSE_CODES, "close_code 3008", "missing close_code key 'name'")

    def test_two_close_codes_with_one_name(self):
        self.tree.edit_data('name = "TIMEOUT"', 'name = "FORBIDDEN"', path=CLOSE_CODES)
        self.assert_refused(CLOSE_CODES, "duplicate name FORBIDDEN")

    def test_a_reserved_close_code_with_a_name(self):
        self.tree.edit_data('code = 1004\n', 'code = 1004\nname = "RESERVED"\n', path=CLOSE_CODES)
        self.assert_refused(CLOSE_CODES, "close_code 1004", "a reserved code gets no 'name'")

    def test_an_http2_code_past_32_bits(self):
        self.tree.edit_data("code = 13\n", "code = 4294967296\n", path=H2_ERROR_CODES)
        self.assert_refused(H2_ERROR_CODES, "error_code 4294967296", "code 4294967296 is not a 32-bit value")

    def test_an_http2_name_that_is_no_enumerator(self):
        self.tree.edit_data('name = "CANCEL"', 'name = "Cancel"', path=H2_ERROR_CODES)
        self.assert_refused(H2_ERROR_CODES, "error_code 8", "bad name 'Cancel'")

    def test_a_broken_registry_template(self):
        template = "templates/fields.hpp.j2"
        self.tree.write(template, self.tree.read(template).replace("{{ f.enumerator }}", "{{ f.no_such_key }}", 1))
        before = self.tree.snapshot()
        result = self.tree.run("generate.py")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("fields.hpp.j2", result.stderr)
        self.assertIn("no_such_key", result.stderr)
        self.assertEqual(self.tree.snapshot(), before)


class RegistryImportTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def import_csv(self, registry: str, text: str, *args: str):
        csv_path = self.tree.path("registry.csv")
        csv_path.write_bytes(text.encode())
        return self.tree.run("import_iana.py", "--registry", registry, str(csv_path), *args)

    def entries(self, registry: str) -> list[dict]:
        _, data, table = SNAPSHOTS[registry]
        return tomllib.loads(self.tree.read(data))[table]

    def test_each_snapshot_changes_nothing(self):
        before = self.tree.snapshot("data")
        for registry in SNAPSHOTS:
            with self.subTest(registry=registry):
                result = self.import_csv(registry, snapshot_text(registry))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("0 added, 0 changed, 0 withdrawn", result.stdout)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_the_method_snapshot_predates_query(self):
        result = self.import_csv("methods", snapshot_text("methods"))
        self.assertIn("kept:      QUERY (not in this registry file; source RFC 10008)", result.stdout)

    def test_the_committed_data_is_what_a_first_import_writes(self):
        # Field names and HTTP/2 codes hold nothing the registry does not carry.
        for registry in ("fields", "http2"):
            with self.subTest(registry=registry):
                data = SNAPSHOTS[registry][1]
                committed = self.tree.read(data)
                self.tree.path(data).unlink()
                result = self.import_csv(registry, snapshot_text(registry))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(self.tree.read(data), committed)

    def test_a_changed_field_registry(self):
        text = snapshot_text("fields")
        text = text.replace("\r\nAge,permanent,,", "\r\nAge,deprecated,,")
        text = text.replace("\r\nAlt-Used,", "\r\nAlt-Example,provisional,Item,[RFC 9999],\r\nAlt-Used,")
        start = text.index("\r\nCookie2,") + 2
        text = text[:start] + text[text.index("\r\n", start) + 2:]
        result = self.import_csv("fields", text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("added:     Alt-Example", result.stdout)
        self.assertIn("changed:   Age: status 'permanent' -> 'deprecated'", result.stdout)
        self.assertIn("withdrawn: Cookie2 (no longer in the registry; kept, marked withdrawn)", result.stdout)
        self.assertIn("1 added, 1 changed, 1 withdrawn", result.stdout)
        by_name = {e["name"]: e for e in self.entries("fields")}
        self.assertEqual(by_name["Alt-Example"], {"name": "Alt-Example", "status": "provisional",
                                                  "structured_type": "Item", "reference": "RFC 9999"})
        self.assertTrue(by_name["Cookie2"]["withdrawn"])
        generated = self.tree.run("generate.py")
        self.assertEqual(generated.returncode, 0, generated.stderr)
        fields = self.tree.read("generated/include/http/fields.hpp")
        self.assertIn("    ALT_EXAMPLE,  ///< Alt-Example (provisional)", fields)
        self.assertIn("    COOKIE2,  ///< Cookie2 (obsoleted) (withdrawn from the registry)", fields)

    def test_a_field_spelt_otherwise(self):
        result = self.import_csv("fields", snapshot_text("fields").replace("\r\nContent-MD5,", "\r\nContent-Md5,"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("changed:   Content-Md5: spelling 'Content-MD5' -> 'Content-Md5'", result.stdout)

    def test_a_changed_method_registry(self):
        text = snapshot_text("methods").replace("PATCH,no,no,", "PATCH,no,yes,")
        text = text.replace("*,no,no,", "QUERY,yes,yes,\"[RFC10008, Section 2]\"\r\nZAP,no,no,[RFC 9999]\r\n*,no,no,")
        result = self.import_csv("methods", text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("added:     ZAP", result.stdout)
        self.assertIn("changed:   PATCH: idempotent no -> yes", result.stdout)
        self.assertIn("changed:   QUERY: source 'RFC 10008' -> 'IANA'", result.stdout)
        query = next(e for e in self.entries("methods") if e["name"] == "QUERY")
        self.assertNotIn("note", query)

    def test_a_changed_close_code_registry(self):
        text = snapshot_text("close-codes").replace("3009-3999,Unassigned,,,",
                                                    "3009,Going Elsewhere,[Someone],,\r\n3010-3999,Unassigned,,,")
        text = text.replace("1009,Message Too Big,", "1009,Message too big,")
        result = self.import_csv("close-codes", text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("added:     3009 Going Elsewhere", result.stdout)
        self.assertIn("changed:   1009 Message Too Big: meaning 'Message Too Big' -> 'Message too big'", result.stdout)
        added = next(e for e in self.entries("close-codes") if e["code"] == 3009)
        self.assertEqual((added["name"], added["phrase"], added["contact"]), ("GOING_ELSEWHERE", "Going Elsewhere", "Someone"))
        self.assertEqual(self.tree.run("generate.py").returncode, 0)
        self.assertIn("GOING_ELSEWHERE = 3009", self.tree.read("generated/include/http/close_codes.hpp"))

    def test_a_close_code_too_long_to_name(self):
        before = self.tree.snapshot("data")
        text = snapshot_text("close-codes").replace(
            "3009-3999,Unassigned,,,", "3009,The server went away for reasons that take a sentence to give,,,\r\n3010-3999,Unassigned,,,")
        result = self.import_csv("close-codes", text)
        self.assertEqual(result.returncode, 2)
        self.assertIn("close code 3009: its meaning is too long to name it by", result.stderr)
        self.assertIn("add a [[close_code]] entry with code = 3009, name and phrase to data/close-codes.toml", result.stderr)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_a_changed_http2_registry(self):
        text = snapshot_text("http2").replace("0x0e-0xffffffff,Unassigned,,",
                                              "0x0e,EXAMPLE_ERROR,An example,[RFC9999]\r\n0x0f-0xffffffff,Unassigned,,")
        text = text.replace("0x08,CANCEL,Stream cancelled,", "0x08,CANCEL,Stream canceled,")
        result = self.import_csv("http2", text)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("added:     0x0e EXAMPLE_ERROR", result.stdout)
        self.assertIn("changed:   0x08 CANCEL: description 'Stream cancelled' -> 'Stream canceled'", result.stdout)
        self.assertEqual(self.tree.run("generate.py").returncode, 0)
        self.assertIn("EXAMPLE_ERROR = 0x0e,", self.tree.read("generated/include/http/h2_error_codes.hpp"))

    def test_dry_run_writes_nothing(self):
        before = self.tree.snapshot("data")
        result = self.import_csv("fields", snapshot_text("fields").replace("\r\nAge,permanent", "\r\nAge,deprecated"), "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("1 changed", result.stdout)
        self.assertIn("dry run, nothing written", result.stdout)
        self.assertEqual(self.tree.snapshot("data"), before)


class MalformedRegistryTest(unittest.TestCase):
    """Each malformed file: exit 2, the file, line and entry named, nothing written."""

    def setUp(self):
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def assert_refused(self, registry: str, text: str, *fragments: str):
        before = self.tree.snapshot("data")
        csv_path = self.tree.path("registry.csv")
        csv_path.write_bytes(text.encode())
        result = self.tree.run("import_iana.py", "--registry", registry, str(csv_path))
        self.assertEqual(result.returncode, 2, result.stdout)
        self.assertNotIn("Traceback", result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertIn("nothing written", result.stderr)
        self.assertEqual(self.tree.snapshot("data"), before)

    def test_the_wrong_registry(self):
        self.assert_refused("methods", snapshot_text("fields"),
                            "registry.csv:1: header row must be Method Name,Safe,Idempotent,Reference",
                            "looks like the fields registry: add --registry fields")

    def test_an_empty_file(self):
        for registry in SNAPSHOTS:
            with self.subTest(registry=registry):
                self.assert_refused(registry, "", "header row must be", "got 'an empty file'")

    def test_a_field_status_it_does_not_know(self):
        self.assert_refused("fields", snapshot_text("fields").replace("\r\nAge,permanent", "\r\nAge,current"),
                            "registry.csv:26: Age: status 'current' is not one of permanent, provisional, deprecated, obsoleted")

    def test_a_field_twice_in_two_cases(self):
        self.assert_refused("fields", snapshot_text("fields") + "AGE,permanent,,[RFC 9999],\r\n", "AGE: duplicate field name")

    def test_a_field_name_that_is_not_a_token(self):
        self.assert_refused("fields", snapshot_text("fields").replace("\r\nAge,", "\r\nAge Limit,"),
                            "registry.csv:26: Age Limit: a field name must be an HTTP token")

    def test_a_field_row_with_too_few_cells(self):
        self.assert_refused("fields", snapshot_text("fields").replace("\r\nAge,permanent,,", "\r\nAge,permanent,"),
                            "registry.csv:26: Age: expected 5 fields, got 4")

    def test_an_unterminated_quote(self):
        self.assert_refused("fields", snapshot_text("fields") + 'X-Broken,permanent,,"[RFC 9999,\r\n',
                            "registry.csv:262: X-Broken: expected 5 fields, got 4")

    def test_safe_that_is_neither_yes_nor_no(self):
        self.assert_refused("methods", snapshot_text("methods").replace("GET,yes,yes", "GET,maybe,yes"),
                            "registry.csv:10: GET: Safe must be yes or no, not 'maybe'")

    def test_a_safe_method_that_is_not_idempotent(self):
        self.assert_refused("methods", snapshot_text("methods").replace("GET,yes,yes", "GET,yes,no"),
                            "registry.csv:10: GET: a safe method must be idempotent too")

    def test_a_method_twice(self):
        self.assert_refused("methods", snapshot_text("methods") + "GET,yes,yes,[RFC9999]\r\n", "GET: duplicate method")

    def test_a_close_code_outside_its_range(self):
        self.assert_refused("close-codes", snapshot_text("close-codes").replace("3008,Timeout", "30080,Timeout"),
                            "30080: a close code is four digits, 1000-3999")

    def test_a_close_code_range_that_is_not_unassigned(self):
        self.assert_refused("close-codes", snapshot_text("close-codes").replace("1016-2999,Unassigned", "1016-2999,Taken"),
                            "1016-2999: a range must be Unassigned (or 4000-4999 Reserved for Private Use), not 'Taken'")

    def test_a_close_code_twice(self):
        self.assert_refused("close-codes", snapshot_text("close-codes") + "1000,Normal Closure,[IESG_HYBI],[RFC6455],\r\n",
                            "1000: duplicate code")

    def test_an_http2_code_not_in_hex(self):
        self.assert_refused("http2", snapshot_text("http2").replace("0x08,CANCEL", "8,CANCEL"),
                            "registry.csv:10: 8: a code is written in hex, 0x0 to 0xffffffff")

    def test_an_http2_name_that_is_not_an_identifier(self):
        self.assert_refused("http2", snapshot_text("http2").replace("0x08,CANCEL", "0x08,Cancel Stream"),
                            "0x08: name 'Cancel Stream' is not UPPER_SNAKE_CASE")

    def test_an_http2_range_that_is_not_unassigned(self):
        self.assert_refused("http2", snapshot_text("http2").replace("0x0e-0xffffffff,Unassigned", "0x0e-0xffffffff,Private"),
                            "0x0e-0xffffffff: a range must be an Unassigned span, not 'Private'")


if __name__ == "__main__":
    unittest.main()
