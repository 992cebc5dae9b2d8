#!/usr/bin/env python3
"""Merges an IANA "HTTP Status Code Registry" CSV into data/status-codes.toml.

    python3 codegen/import_iana.py FILE.csv [--dry-run]

The CSV is the one IANA publishes (header `Value,Description,Reference`). The importer
prints every code it adds, changes or finds withdrawn, and keeps what the registry does not
carry: names, aliases, descriptions, headers, vendor meanings and the unofficial codes. A
more specific reference of ours (a section of the same RFC) is kept too. A malformed file
changes nothing. Run codegen/generate.py afterwards to regenerate generated/.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import files  # noqa: E402

HEADER_ROW = ["Value", "Description", "Reference"]
TEMPORARY_RE = re.compile(
    r"^(?P<phrase>.+?) \(TEMPORARY - registered (?P<registered>\d{4}-\d{2}-\d{2})"
    r"(?:, extension registered (?P<extended>\d{4}-\d{2}-\d{2}))?"
    r", expires (?P<expires>\d{4}-\d{2}-\d{2})\)$"
)
OBSOLETED_SUFFIX = " (OBSOLETED)"
UNUSED = "(Unused)"
RANGE_RE = re.compile(r"^(\d{3})-(\d{3})$")


class RegistryError(Exception):
    pass


@dataclass
class Registration:
    code: int
    phrase: str | None  # None for a reserved "(Unused)" code
    registration: str
    reference: str
    registered: str | None = None
    expires: str | None = None


def normalize_reference(text: str) -> str:
    """'[RFC9110, Section 15.5.5]' -> 'RFC 9110, Section 15.5.5'; several brackets are joined with '; '."""
    parts = re.findall(r"\[([^\]]+)\]", text)
    if not parts:
        parts = [text] if text.strip() else []
    out = []
    for part in parts:
        part = part.strip()
        part = re.sub(r"^RFC\s*(\d+)", r"RFC \1", part)
        out.append(part)
    return "; ".join(out)


def reference_documents(reference: str) -> list[str]:
    """The documents a reference cites, without sections: 'RFC 9110, Section 15.5.5' -> ['RFC9110']."""
    docs = []
    for part in reference.split(";"):
        doc = part.split(",")[0].strip().replace(" ", "").upper()
        if doc:
            docs.append(doc)
    return docs


def parse_registry(text: str, filename: str) -> dict[int, Registration]:
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or [c.strip() for c in rows[0]] != HEADER_ROW:
        got = ",".join(rows[0]) if rows else "an empty file"
        raise RegistryError(f"{filename}:1: header row must be {','.join(HEADER_ROW)}, got {got!r}")
    registry: dict[int, Registration] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            raise RegistryError(f"{filename}:{line}: expected 3 fields, got {len(row)}")
        value, description, reference = (c.strip() for c in row)
        ranged = RANGE_RE.match(value)
        if ranged:
            low, high = int(ranged[1]), int(ranged[2])
            if description != "Unassigned" or not 100 <= low <= high <= 599:
                raise RegistryError(f"{filename}:{line}: a range must be an Unassigned span within 100-599: {value} {description}")
            continue
        if not re.fullmatch(r"\d{3}", value) or not 100 <= int(value) <= 599:
            raise RegistryError(f"{filename}:{line}: bad code {value!r}: codes are three digits, 100-599")
        code = int(value)
        if code in registry:
            raise RegistryError(f"{filename}:{line}: duplicate code {code}")
        if description == "Unassigned":
            continue
        if not description:
            raise RegistryError(f"{filename}:{line}: code {code} has no description")
        if not description.isascii() or not description.isprintable():
            raise RegistryError(f"{filename}:{line}: code {code}: description is not printable ASCII")
        ref = normalize_reference(reference)
        temporary = TEMPORARY_RE.match(description)
        if description == UNUSED:
            registry[code] = Registration(code, None, "reserved", ref)
        elif temporary:
            registry[code] = Registration(
                code, temporary["phrase"], "temporary", ref, temporary["registered"], temporary["expires"]
            )
        elif description.endswith(OBSOLETED_SUFFIX):
            registry[code] = Registration(code, description[: -len(OBSOLETED_SUFFIX)], "obsolete", ref)
        else:
            registry[code] = Registration(code, description, "registered", ref)
    return registry


def unique_name(phrase: str, code: int, taken: set[str]) -> str:
    name = dataset.name_from_phrase(phrase) or f"STATUS_{code}"
    if not name[0].isalpha():
        name = f"STATUS_{name}"
    if name in taken or name in dataset.RESERVED_NAMES:
        name = f"{name}_{code}"
    return name


def merge(data: dataset.Dataset, registry: dict[int, Registration]):
    """Returns (statuses, added, changed, withdrawn): the merged entries and what happened, as text."""
    by_code = {s["code"]: dict(s) for s in data.statuses}
    taken = {n for s in data.statuses for n in [s["name"], *s.get("aliases", [])]}
    added, changed, withdrawn = [], [], []

    for code, reg in sorted(registry.items()):
        entry = by_code.get(code)
        if entry is None:
            phrase = reg.phrase or "Unused"
            name = unique_name(phrase, code, taken)
            taken.add(name)
            entry = {
                "code": code,
                "name": name,
                "phrase": phrase,
                "source": "IANA",
                "registration": reg.registration,
                "reference": reg.reference or "IANA HTTP Status Code Registry",
                "description": (
                    f"Registered in the IANA HTTP Status Code Registry as '{phrase}'"
                    f" ({reg.reference or 'no reference given'}). Imported; a longer description is still to be written."
                ),
            }
            if reg.registered:
                entry["registered"] = reg.registered
            if reg.expires:
                entry["expires"] = reg.expires
            by_code[code] = entry
            note = f" ({reg.registration}, expires {reg.expires})" if reg.expires else f" ({reg.registration})"
            added.append(f"{code} {phrase}{note}")
            continue

        changes = []
        if reg.phrase is not None and entry["phrase"] != reg.phrase:
            changes.append(f"phrase {entry['phrase']!r} -> {reg.phrase!r}")
            entry["phrase"] = reg.phrase
            derived = dataset.name_from_phrase(reg.phrase)
            if derived and derived not in taken and derived[0].isalpha() and derived not in dataset.RESERVED_NAMES:
                entry["aliases"] = [*entry.get("aliases", []), derived]
                taken.add(derived)
                changes.append(f"alias {derived} added")
        if entry["source"] != "IANA":
            changes.append(f"source {entry['source']!r} -> 'IANA'")
            entry["source"] = "IANA"
        if entry["registration"] != reg.registration:
            changes.append(f"registration {entry['registration']} -> {reg.registration}")
            entry["registration"] = reg.registration
        for key in ("registered", "expires"):
            new, old = getattr(reg, key), entry.get(key)
            if new and new != old:
                changes.append(f"{key} {old or '-'} -> {new}")
                entry[key] = new
        if reg.registration != "temporary":
            entry.pop("expires", None)
        if reg.reference and reference_documents(entry["reference"]) != reference_documents(reg.reference):
            changes.append(f"reference {entry['reference']!r} -> {reg.reference!r}")
            entry["reference"] = reg.reference
        if changes:
            changed.append(f"{code} {entry['phrase']}: " + "; ".join(changes))

    for code, entry in sorted(by_code.items()):
        if code in registry or entry["source"] != "IANA" or entry["registration"] == "obsolete":
            continue
        entry["registration"] = "obsolete"
        entry.pop("expires", None)
        withdrawn.append(f"{code} {entry['phrase']} (no longer in the registry; now marked obsolete)")

    return sorted(by_code.values(), key=lambda e: e["code"]), added, changed, withdrawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="the registry CSV, as IANA publishes it")
    parser.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data_path = args.root.resolve() / "data/status-codes.toml"

    try:
        text = args.csv.read_bytes().decode("utf-8")
        registry = parse_registry(text, str(args.csv))
        # A first import may start from nothing; every later one merges into the existing data.
        data = dataset.load(data_path) if data_path.exists() else dataset.Dataset(headers={}, statuses=[])
        statuses, added, changed, withdrawn = merge(data, registry)
        merged = dataset.Dataset(headers=data.headers, statuses=statuses, path=data.path)
        # The merged data must pass the generator's own rules before anything is written.
        output = dataset.dump(merged)
        dataset.parse(output, f"{data_path} (after import)")
    except (OSError, UnicodeDecodeError) as error:
        print(f"import_iana.py: {args.csv}: cannot read: {error}", file=sys.stderr)
        print("import_iana.py: nothing written", file=sys.stderr)
        return 2
    except (RegistryError, dataset.DatasetError) as error:
        print(f"import_iana.py: {error}", file=sys.stderr)
        print("import_iana.py: nothing written", file=sys.stderr)
        return 2

    print(f"import_iana.py: {len(registry)} registered codes in {args.csv}")
    for label, lines in (("added", added), ("changed", changed), ("withdrawn", withdrawn)):
        for line in lines:
            print(f"{label + ':':<11}{line}")
    summary = f"{len(added)} added, {len(changed)} changed, {len(withdrawn)} withdrawn"
    if not (added or changed or withdrawn):
        print(f"import_iana.py: {summary}; {data_path.name} is up to date")
        return 0
    if args.dry_run:
        print(f"import_iana.py: {summary}; dry run, nothing written")
        return 0
    files.write_atomic(data_path, output.encode())
    print(f"import_iana.py: {summary}; wrote {data_path}; now run python3 codegen/generate.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
