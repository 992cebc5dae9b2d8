"""The WebSocket Close Code Number Registry (RFC 6455, Section 11.7): data/close-codes.toml."""

from __future__ import annotations

import re
from pathlib import Path

import checks
import iana_csv
from checks import DatasetError
from registry import Registry, check_unique

# RFC 6455, Section 7.4.2: 1000-2999 are the protocol's own, 3000-3999 registered for libraries
# and frameworks, 4000-4999 private use; the registry lists each assigned code and these spans.
LOW, HIGH = 1000, 4999
PRIVATE_USE = (4000, 4999)
RANGE_RE = re.compile(r"^(\d{4})-(\d{4})$")


class CloseCodes(Registry):
    key = "close-codes"
    title = "WebSocket Close Code Number Registry"
    data_file = Path("data/close-codes.toml")
    table = "close_code"
    what = "close code"
    ident_key = "code"
    csv_header = ["Status Code", "Meaning", "Contact", "Reference", "Change Controller"]
    keys = {
        "code": (True, int),
        "name": (False, str),
        "phrase": (False, str),
        "meaning": (True, str),
        "contact": (False, str),
        "reference": (False, str),
        "change_controller": (False, str),
        "in_close_frame": (False, bool),
        "reserved": (False, bool),
        "source": (False, str),
        "note": (False, str),
        "withdrawn": (False, bool),
    }
    carried = ("meaning", "contact", "reference", "change_controller", "reserved")
    long_keys = ("meaning", "note")
    file_header = """\
# The WebSocket Close Code Number Registry (RFC 6455, Section 11.7), behind
# <http/close_codes.hpp> and generated/docs/close-codes.md.
#
# One [[close_code]] table per registered code, in code order. Keys:
#   code; meaning, contact, reference, change_controller: as the registry has them (line breaks
#   of a long meaning become spaces). name (the http::CloseCode enumerator) and phrase (the
#   short text close_code_phrase() gives) are ours. in_close_frame = false: RFC 6455, Section
#   7.4.1 forbids an endpoint to put the code in a Close frame (1005, 1006, 1015).
#   reserved = true: a code the registry reserves (1004); it gets no name. source / note: for a
#   code not (yet) in the registry file imported. withdrawn = true: the code has left the
#   registry; it is kept so that code using it still compiles.
# The spans 1016-2999 (unassigned), 3000-3999 (registered on request) and 4000-4999 (private
# use) are rules of RFC 6455, Section 7.4.2, not entries.
#
# Rewritten by: python3 codegen/import_iana.py --registry close-codes FILE.csv. Then run
# python3 codegen/generate.py.
"""

    def ident(self, entry):
        return entry["code"]

    def describe(self, entry):
        return f"{entry['code']} {entry.get('phrase') or entry['meaning']}"

    def check_entry(self, entry, path, label):
        code = entry["code"]
        if not LOW <= code < PRIVATE_USE[0]:
            raise DatasetError(path, label, f"code {code} is outside 1000-3999 (4000-4999 are for private use)")
        if entry.get("reserved"):
            for key in ("name", "phrase"):
                if key in entry:
                    raise DatasetError(path, label, f"a reserved code gets no '{key}'")
        else:
            for key in ("name", "phrase"):
                if key not in entry:
                    raise DatasetError(path, label, f"missing close_code key '{key}' (the registry gives only the meaning; "
                                                    "the enumerator and its phrase are ours to write)")
            checks.check_enumerator(entry["name"], path, label)
        if ("source" in entry) != ("note" in entry):
            raise DatasetError(path, label, "a code from outside the registry file needs both 'source' and 'note'")

    def check_all(self, entries, path):
        check_unique(entries, lambda e: e["code"], path, self.label, "code")
        check_unique(entries, lambda e: e.get("name"), path, self.label, "name")

    def read_csv(self, text, filename):
        registry = {}
        for line, (value, meaning, contact, reference, controller) in iana_csv.rows(text, filename, self.csv_header):
            ranged = RANGE_RE.match(value)
            if ranged:
                low, high = int(ranged[1]), int(ranged[2])
                if not LOW <= low <= high <= HIGH:
                    raise self.error(filename, line, value, "a range must lie within 1000-4999")
                if meaning == "Unassigned" or (meaning == "Reserved for Private Use" and (low, high) == PRIVATE_USE):
                    continue
                raise self.error(filename, line, value, f"a range must be Unassigned (or 4000-4999 Reserved for Private Use), not {meaning!r}")
            if not re.fullmatch(r"\d{4}", value) or not LOW <= int(value) < PRIVATE_USE[0]:
                raise self.error(filename, line, value or "(empty)", "a close code is four digits, 1000-3999")
            code = int(value)
            if code in registry:
                raise self.error(filename, line, value, "duplicate code")
            if not meaning:
                raise self.error(filename, line, value, "no meaning")
            row = {"code": code, "meaning": meaning}
            if contact:
                row["contact"] = iana_csv.references(contact)
            if reference:
                row["reference"] = iana_csv.references(reference)
            if controller:
                row["change_controller"] = controller
            if meaning == "Reserved":
                row["reserved"] = True
            registry[code] = row
        return registry

    def new_entry(self, row):
        # The registry gives a meaning; a name and a short phrase are ours. A short meaning
        # ("Try Again Later") makes both; a long one needs a person to write them.
        entry = {**row}
        if not row.get("reserved"):
            phrase = re.sub(r"[^A-Za-z0-9 ]", "", row["meaning"]).strip()
            if len(phrase.split()) > 6 or not phrase:
                raise iana_csv.RegistryError(
                    f"close code {row['code']}: its meaning is too long to name it by ({row['meaning'][:60]!r}...); "
                    f"add a [[close_code]] entry with code = {row['code']}, name and phrase to "
                    f"{self.data_file} by hand, then import again")
            entry["phrase"] = " ".join(w[:1].upper() + w[1:] for w in phrase.split())
            entry["name"] = "_".join(w.upper() for w in phrase.split())
        return entry


REGISTRY = CloseCodes()
