"""The HTTP/2 Error Code registry (RFC 9113, Section 11.4): data/http2-error-codes.toml."""

from __future__ import annotations

import re
from pathlib import Path

import checks
import iana_csv
from checks import DatasetError
from registry import Registry, check_unique

MAX_CODE = 0xFFFFFFFF
RANGE_RE = re.compile(r"^0x([0-9a-fA-F]{1,8})-0x([0-9a-fA-F]{1,8})$")
CODE_RE = re.compile(r"^0x([0-9a-fA-F]{1,8})$")


class H2ErrorCodes(Registry):
    key = "http2"
    title = "HTTP/2 Error Code registry"
    data_file = Path("data/http2-error-codes.toml")
    table = "error_code"
    what = "error code"
    ident_key = "code"
    csv_header = ["Code", "Name", "Description", "Reference"]
    keys = {
        "code": (True, int),
        "name": (True, str),
        "description": (True, str),
        "reference": (True, str),
        "source": (False, str),
        "note": (False, str),
        "withdrawn": (False, bool),
    }
    carried = ("name", "description", "reference")
    file_header = """\
# The HTTP/2 Error Code registry (RFC 9113, Section 11.4), behind <http/h2_error_codes.hpp>
# (http::h2::ErrorCode) and generated/docs/http2-error-codes.md.
#
# One [[error_code]] table per code, in code order. Keys:
#   code (a 32-bit value; the registry writes it in hex), name (the registry's, also the
#   enumerator), description, reference: as the registry has them. source / note: for a code
#   not (yet) in the registry file imported. withdrawn = true: the code has left the registry;
#   it is kept so that code using it still compiles.
#
# Rewritten by: python3 codegen/import_iana.py --registry http2 FILE.csv. Then run
# python3 codegen/generate.py.
"""

    def ident(self, entry):
        return entry["code"]

    def describe(self, entry):
        return f"0x{entry['code']:02x} {entry['name']}"

    def check_entry(self, entry, path, label):
        if not 0 <= entry["code"] <= MAX_CODE:
            raise DatasetError(path, label, f"code {entry['code']} is not a 32-bit value")
        checks.check_enumerator(entry["name"], path, label)
        if ("source" in entry) != ("note" in entry):
            raise DatasetError(path, label, "a code from outside the registry file needs both 'source' and 'note'")

    def check_all(self, entries, path):
        check_unique(entries, lambda e: e["code"], path, self.label, "code")
        check_unique(entries, lambda e: e["name"], path, self.label, "name")

    def read_csv(self, text, filename):
        registry = {}
        for line, (value, name, description, reference) in iana_csv.rows(text, filename, self.csv_header):
            ranged = RANGE_RE.match(value)
            if ranged:
                if name != "Unassigned" or int(ranged[1], 16) > int(ranged[2], 16):
                    raise self.error(filename, line, value, f"a range must be an Unassigned span, not {name!r}")
                continue
            code = CODE_RE.match(value)
            if not code:
                raise self.error(filename, line, value or "(empty)", "a code is written in hex, 0x0 to 0xffffffff")
            code = int(code[1], 16)
            if code in registry:
                raise self.error(filename, line, value, "duplicate code")
            if not checks.NAME_RE.match(name):
                raise self.error(filename, line, value, f"name {name!r} is not UPPER_SNAKE_CASE")
            if not description:
                raise self.error(filename, line, value, "no description")
            registry[code] = {"code": code, "name": name, "description": description,
                              "reference": iana_csv.references(reference) or "IANA HTTP/2 Error Code registry"}
        return registry


REGISTRY = H2ErrorCodes()
