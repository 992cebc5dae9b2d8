"""What the field-name, method, close-code and HTTP/2 error-code registries have in common:
their data file (one [[table]] per registry row, in a canonical TOML layout), its checks, and the
import of an IANA CSV into it (added / changed / withdrawn, what the registry does not carry kept).

Each registry is a subclass that says which keys its entries have, which of them the registry's
CSV carries, and how a CSV row reads. A row that disappears from the registry is never deleted
here: the entry stays (its enumerator too, so users' code keeps compiling) and is marked
`withdrawn = true`, which the generated header and docs say.
"""

from __future__ import annotations

from pathlib import Path

import checks
import toml_form
from checks import DatasetError
from iana_csv import RegistryError


class Registry:
    # Overridden by each registry.
    key = ""                 # --registry value: "fields"
    title = ""               # "HTTP Field Name Registry"
    data_file = Path()       # data/field-names.toml
    table = ""               # [[table]]: "field"
    csv_header: list[str] = []
    keys: dict = {}          # entry key -> (required, type)
    carried: tuple = ()      # keys the registry's CSV carries (the importer updates them)
    file_header = ""         # the comment the data file starts with
    long_keys: tuple = ("note",)  # keys written as folded text
    what = "value"           # what a row's key is called in messages: "field name", "code"

    # --- an entry ------------------------------------------------------------------------

    def ident(self, entry: dict):
        """The registry's own key of an entry: a field's name, a code."""
        raise NotImplementedError

    def label(self, entry: dict, index: int) -> str:
        ident = entry.get(self.ident_key)
        return f"{self.table} {ident}" if ident is not None else f"{self.table} entry #{index + 1}"

    ident_key = "name"

    def check_entry(self, entry: dict, path, label: str) -> None:
        """Registry-specific rules for one entry (the keys and their types are checked already)."""

    def check_all(self, entries: list[dict], path) -> None:
        """Rules across entries: duplicates, enumerator collisions."""

    def sort_key(self, entry: dict):
        return self.ident(entry)

    # --- the data file -----------------------------------------------------------------

    def validate(self, raw: dict, path) -> list[dict]:
        entries = checks.entries_of(raw, self.table, path)
        for index, entry in enumerate(entries):
            label = self.label(entry, index)
            checks.check_keys(entry, self.keys, path, label, self.table)
            for key, (_, kind) in self.keys.items():
                if kind is str and key in entry and not (key in self.may_be_empty and entry[key] == ""):
                    checks.check_text(entry[key], path, label, key)
            if entry.get("withdrawn") is False or entry.get("reserved") is False:
                raise DatasetError(path, label, "write 'withdrawn' and 'reserved' only when true")
            self.check_entry(entry, path, label)
        self.check_all(entries, path)
        return sorted(entries, key=self.sort_key)

    may_be_empty: tuple = ()

    def load(self, root: Path) -> list[dict]:
        return self.validate(checks.load_toml(root / self.data_file), self.data_file)

    def parse(self, text: str, path) -> list[dict]:
        return self.validate(checks.parse_toml(text, path), path)

    def dump(self, entries: list[dict]) -> str:
        out = [self.file_header]
        for entry in entries:
            out.extend(toml_form.table(self.table, entry, list(self.keys), self.long_keys))
        return "\n".join(out)

    # --- import --------------------------------------------------------------------------

    def read_csv(self, text: str, filename: str) -> dict:
        """The registry's rows, by ident, each a dict of the carried keys; RegistryError if malformed."""
        raise NotImplementedError

    def new_entry(self, row: dict) -> dict:
        """An entry for a row the data does not have yet."""
        return {**row}

    def describe(self, entry: dict) -> str:
        return str(self.ident(entry))

    def merge(self, entries: list[dict], registry: dict):
        """(entries, added, changed, withdrawn, kept) — the merged entries and what happened, as text."""
        by_ident = {self.ident(e): dict(e) for e in entries}
        added, changed, withdrawn, kept = [], [], [], []
        for ident, row in registry.items():
            entry = by_ident.get(ident)
            if entry is None:
                entry = self.new_entry(row)
                by_ident[ident] = entry
                added.append(self.describe(entry))
                continue
            changes = []
            for key in self.carried:
                new, old = row.get(key), entry.get(key)
                if new != old:
                    changes.append(f"{key} {self.show(old)} -> {self.show(new)}")
                    if new is None:
                        entry.pop(key, None)
                    else:
                        entry[key] = new
            if entry.get("source", "IANA") != "IANA":
                changes.append(f"source {entry['source']!r} -> 'IANA'")
                entry.pop("source")
                entry.pop("note", None)
            if entry.pop("withdrawn", False):
                changes.append("back in the registry (was withdrawn)")
            if changes:
                changed.append(f"{self.describe(entry)}: " + "; ".join(changes))
        for ident, entry in by_ident.items():
            if ident in registry:
                continue
            if entry.get("source", "IANA") != "IANA":
                kept.append(f"{self.describe(entry)} (not in this registry file; source {entry['source']})")
            elif not entry.get("withdrawn"):
                entry["withdrawn"] = True
                withdrawn.append(f"{self.describe(entry)} (no longer in the registry; kept, marked withdrawn)")
        merged = sorted(by_ident.values(), key=self.sort_key)
        return merged, added, changed, withdrawn, kept

    @staticmethod
    def show(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return repr(value) if isinstance(value, str) else str(value)

    @staticmethod
    def error(filename: str, line: int, ident, problem: str) -> RegistryError:
        return RegistryError(f"{filename}:{line}: {ident}: {problem}")


def check_unique(entries: list[dict], key, path, label_of, what: str) -> None:
    """No two entries share `key(entry)` (skipped where it is None)."""
    seen: dict = {}
    for index, entry in enumerate(entries):
        value = key(entry)
        if value is None:
            continue
        if value in seen:
            raise DatasetError(path, label_of(entry, index), f"duplicate {what} {value} (also {seen[value]})")
        seen[value] = label_of(entry, index)
