"""The HTTP Method Registry (RFC 9110, Section 16.1.1): data/methods.toml."""

from __future__ import annotations

from pathlib import Path

import checks
import iana_csv
from checks import DatasetError
from registry import Registry, check_unique

YES_NO = {"yes": True, "no": False}


class Methods(Registry):
    key = "methods"
    title = "HTTP Method Registry"
    data_file = Path("data/methods.toml")
    table = "method"
    what = "method"
    csv_header = ["Method Name", "Safe", "Idempotent", "Reference"]
    keys = {
        "name": (True, str),
        "enumerator": (False, str),
        "safe": (True, bool),
        "idempotent": (True, bool),
        "reference": (True, str),
        "reserved": (False, bool),
        "source": (False, str),
        "note": (False, str),
        "withdrawn": (False, bool),
    }
    carried = ("safe", "idempotent", "reference", "reserved")
    file_header = """\
# The HTTP Method Registry (RFC 9110, Section 16.1.1), behind <http/methods.hpp> and
# generated/docs/methods.md.
#
# One [[method]] table per method, in the registry's order. Keys:
#   name (the method token, case-sensitive), safe, idempotent (RFC 9110, Sections 9.2.1 and
#   9.2.2), reference: as the registry has them. reserved = true: the registry reserves the
#   name (*); it gets no enumerator. enumerator: the http::Method name when it is not the method
#   with '-' as '_'. source / note: for a method that is not (yet) in the registry file
#   imported, the document that defines it and why it is here. withdrawn = true: the method has
#   left the registry; it is kept so that code using it still compiles.
#
# Rewritten by: python3 codegen/import_iana.py --registry methods FILE.csv. Then run
# python3 codegen/generate.py.
"""

    def ident(self, entry):
        return entry["name"]

    def enumerator(self, entry) -> str | None:
        if entry.get("reserved"):
            return None
        return entry.get("enumerator") or entry["name"].replace("-", "_")

    def check_entry(self, entry, path, label):
        if not checks.TOKEN_RE.match(entry["name"]):
            raise DatasetError(path, label, f"method {entry['name']!r} is not an HTTP token (RFC 9110, Section 9.1)")
        if entry["safe"] and not entry["idempotent"]:
            raise DatasetError(path, label, "a safe method is idempotent too (RFC 9110, Section 9.2.2)")
        if entry.get("reserved") and "enumerator" in entry:
            raise DatasetError(path, label, "a reserved method gets no enumerator")
        if not entry.get("reserved"):
            checks.check_enumerator(self.enumerator(entry), path, label, "enumerator")
        if ("source" in entry) != ("note" in entry):
            raise DatasetError(path, label, "a method from outside the registry file needs both 'source' and 'note'")

    def check_all(self, entries, path):
        check_unique(entries, lambda e: e["name"], path, self.label, "method")
        check_unique(entries, self.enumerator, path, self.label, "enumerator")

    def read_csv(self, text, filename):
        registry = {}
        for line, (name, safe, idempotent, reference) in iana_csv.rows(text, filename, self.csv_header):
            if not checks.TOKEN_RE.match(name):
                raise self.error(filename, line, name or "(empty)", "a method must be an HTTP token")
            if name in registry:
                raise self.error(filename, line, name, "duplicate method")
            for column, value in (("Safe", safe), ("Idempotent", idempotent)):
                if value not in YES_NO:
                    raise self.error(filename, line, name, f"{column} must be yes or no, not {value!r}")
            row = {"name": name, "safe": YES_NO[safe], "idempotent": YES_NO[idempotent],
                   "reference": iana_csv.references(reference) or "IANA HTTP Method Registry"}
            if row["safe"] and not row["idempotent"]:
                raise self.error(filename, line, name, "a safe method must be idempotent too")
            # RFC 9110, Section 18.2: "*" is reserved, since it would be a wildcard in fields
            # such as Access-Control-Request-Method.
            if name == "*":
                row["reserved"] = True
            registry[name] = row
        return registry

    def describe(self, entry):
        return entry["name"]


REGISTRY = Methods()
