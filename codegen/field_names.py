"""The HTTP Field Name Registry (RFC 9110, Section 16.3.1): data/field-names.toml."""

from __future__ import annotations

import re
from pathlib import Path

import checks
import iana_csv
from checks import DatasetError
from registry import Registry, check_unique

STATUSES = ("permanent", "provisional", "deprecated", "obsoleted")


def enumerator_of(name: str) -> str:
    """Content-Type -> CONTENT_TYPE, WWW-Authenticate -> WWW_AUTHENTICATE."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class FieldNames(Registry):
    key = "fields"
    title = "HTTP Field Name Registry"
    data_file = Path("data/field-names.toml")
    table = "field"
    what = "field name"
    csv_header = ["Field Name", "Status", "Structured Type", "Reference", "Comments"]
    keys = {
        "name": (True, str),
        "enumerator": (False, str),
        "status": (True, str),
        "structured_type": (False, str),
        "reference": (False, str),
        "comments": (False, str),
        "reserved": (False, bool),
        "source": (False, str),
        "note": (False, str),
        "withdrawn": (False, bool),
    }
    carried = ("status", "structured_type", "reference", "comments", "reserved")
    file_header = """\
# The HTTP Field Name Registry (RFC 9110, Section 16.3.1): every registered field name, behind
# <http/fields.hpp> and generated/docs/field-names.md.
#
# One [[field]] table per name, in the registry's order (case-insensitive). Keys:
#   name (as the registry spells it), status (permanent | provisional | deprecated |
#   obsoleted), structured_type (Item | List | Dictionary ..., RFC 9651), reference,
#   comments: as the registry has them. reserved = true: the registry reserves the name so that
#   no field takes it (Close, *); it gets no enumerator. enumerator: the http::Field name when
#   it is not the field name upper-cased with '-' as '_'. source / note: for a name that is not
#   (yet) in the registry file imported, where it comes from. withdrawn = true: the name has
#   left the registry; it is kept so that code using it still compiles.
#
# Rewritten by: python3 codegen/import_iana.py --registry fields FILE.csv. Then run
# python3 codegen/generate.py.
"""

    def ident(self, entry):
        return entry["name"].lower()

    def describe(self, entry):
        return entry["name"]

    def enumerator(self, entry) -> str | None:
        if entry.get("reserved"):
            return None
        return entry.get("enumerator") or enumerator_of(entry["name"])

    def check_entry(self, entry, path, label):
        if not checks.TOKEN_RE.match(entry["name"]):
            raise DatasetError(path, label, f"field name {entry['name']!r} is not an HTTP token (RFC 9110, Section 5.1)")
        if entry["status"] not in STATUSES:
            raise DatasetError(path, label, f"status '{entry['status']}' is not one of {', '.join(STATUSES)}")
        if entry.get("reserved") and "enumerator" in entry:
            raise DatasetError(path, label, "a reserved name gets no enumerator")
        if not entry.get("reserved"):
            checks.check_enumerator(self.enumerator(entry), path, label, "enumerator")
        if ("source" in entry) != ("note" in entry):
            raise DatasetError(path, label, "a field from outside the registry file needs both 'source' and 'note'")

    def check_all(self, entries, path):
        check_unique(entries, lambda e: e["name"].lower(), path, self.label, "field name (in any case)")
        check_unique(entries, self.enumerator, path, self.label, "enumerator")

    def read_csv(self, text, filename):
        registry = {}
        for line, (name, status, structured, reference, comments) in iana_csv.rows(text, filename, self.csv_header):
            if not checks.TOKEN_RE.match(name):
                raise self.error(filename, line, name or "(empty)", "a field name must be an HTTP token")
            if name.lower() in registry:
                raise self.error(filename, line, name, "duplicate field name")
            # Four rows of the 2026-10-08 registry spell the status 'Permanent'.
            if status.lower() not in STATUSES:
                raise self.error(filename, line, name, f"status {status!r} is not one of {', '.join(STATUSES)}")
            row = {"name": name, "status": status.lower()}
            if structured:
                row["structured_type"] = structured
            if reference:
                row["reference"] = iana_csv.references(reference)
            if comments:
                row["comments"] = comments
            if comments == "(reserved)":
                row["reserved"] = True
            registry[name.lower()] = row
        return registry

    def merge(self, entries, registry):
        merged, added, changed, withdrawn, kept = super().merge(entries, registry)
        # The registry's spelling of a name is the one we keep (Content-Md5 -> Content-MD5).
        by_ident = {self.ident(e): e for e in merged}
        for ident, row in registry.items():
            entry = by_ident[ident]
            if entry["name"] != row["name"]:
                changed.append(f"{row['name']}: spelling {entry['name']!r} -> {row['name']!r}")
                entry["name"] = row["name"]
        return merged, added, changed, withdrawn, kept

    def sort_key(self, entry):
        return entry["name"].lower()


REGISTRY = FieldNames()
