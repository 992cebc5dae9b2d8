#!/usr/bin/env python3
"""Merges an IANA registry CSV into its data file under data/.

    python3 codegen/import_iana.py [--registry REGISTRY] FILE.csv [--dry-run]

REGISTRY is one of
    status        HTTP Status Code Registry        (Value,Description,Reference)   the default
    fields        HTTP Field Name Registry         (Field Name,Status,Structured Type,Reference,Comments)
    methods       HTTP Method Registry             (Method Name,Safe,Idempotent,Reference)
    close-codes   WebSocket Close Code Number Registry (Status Code,Meaning,Contact,Reference,Change Controller)
    http2         HTTP/2 Error Code registry       (Code,Name,Description,Reference)

The CSV is the one IANA publishes. The importer prints every entry it adds, changes or finds
withdrawn, and keeps what the registry does not carry: names, aliases, descriptions, headers,
vendor meanings, the unofficial codes, and entries sourced from elsewhere (each listed as kept).
A malformed file, or a merge that the generator would refuse, changes nothing. Run
codegen/generate.py afterwards to regenerate generated/.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import close_codes  # noqa: E402
import dataset  # noqa: E402
import dates  # noqa: E402
import field_names  # noqa: E402
import files  # noqa: E402
import h2_error_codes  # noqa: E402
import iana_csv  # noqa: E402
import methods  # noqa: E402
from iana_csv import RegistryError  # noqa: E402

REGISTRIES = {r.key: r for r in (field_names.REGISTRY, methods.REGISTRY, close_codes.REGISTRY, h2_error_codes.REGISTRY)}
STATUS_FILE = Path("data/status-codes.toml")

HEADER_ROW = ["Value", "Description", "Reference"]
# "Upload Resumption Supported (TEMPORARY - registered 2024-11-13, extension registered
# 2025-09-15, expires 2026-11-13)": the dates are read as calendar dates afterwards.
TEMPORARY_RE = re.compile(
    r"^(?P<phrase>.+?) \(TEMPORARY - registered (?P<registered>[0-9-]+)"
    r"(?:, extension registered (?P<extended>[0-9-]+))?"
    r", expires (?P<expires>[0-9-]+)\)$"
)
TEMPORARY_FORM = "(TEMPORARY - registered YYYY-MM-DD[, extension registered YYYY-MM-DD], expires YYYY-MM-DD)"
OBSOLETED_SUFFIX = " (OBSOLETED)"
UNUSED = "(Unused)"
RANGE_RE = re.compile(r"^(\d{3})-(\d{3})$")

# The status importer's own helpers, under the names its tests know.
normalize_reference = iana_csv.references


@dataclass
class Registration:
    code: int
    phrase: str | None  # None for a reserved "(Unused)" code
    registration: str
    reference: str
    registered: str | None = None
    extended: str | None = None
    expires: str | None = None


def reference_documents(reference: str) -> list[str]:
    """The documents a reference cites, without sections: 'RFC 9110, Section 15.5.5' -> ['RFC9110']."""
    docs = []
    for part in reference.split(";"):
        doc = part.split(",")[0].strip().replace(" ", "").upper()
        if doc:
            docs.append(doc)
    return docs


def temporary_registration(code: int, description: str, where: str, on) -> tuple[str, dict[str, str], str]:
    """(phrase, dates, registration) of a '(TEMPORARY - ...)' description, or RegistryError: it is
    never taken as a phrase. A registration past its expiry date on `on` is 'expired'."""
    match = TEMPORARY_RE.match(description)
    if not match:
        raise RegistryError(f"{where}: code {code}: cannot read the temporary registration in {description!r}: "
                            f"expected {TEMPORARY_FORM}")
    found = {key: match[key] for key in dates.ORDER if match[key]}
    try:
        parsed = dates.check_order(found)
    except dates.DateError as error:
        raise RegistryError(f"{where}: code {code}: {error}") from None
    registration = "expired" if parsed["expires"] < on else "temporary"
    return match["phrase"], found, registration


def parse_registry(text: str, filename: str, on=None) -> dict[int, Registration]:
    on = on or dates.today()
    registry: dict[int, Registration] = {}
    for line, row in iana_csv.rows(text, filename, HEADER_ROW):
        value, description, reference = row
        where = f"{filename}:{line}"
        ranged = RANGE_RE.match(value)
        if ranged:
            low, high = int(ranged[1]), int(ranged[2])
            if description != "Unassigned" or not 100 <= low <= high <= 599:
                raise RegistryError(f"{where}: a range must be an Unassigned span within 100-599: {value} {description}")
            continue
        if not re.fullmatch(r"\d{3}", value) or not 100 <= int(value) <= 599:
            raise RegistryError(f"{where}: bad code {value!r}: codes are three digits, 100-599")
        code = int(value)
        if code in registry:
            raise RegistryError(f"{where}: duplicate code {code}")
        if description == "Unassigned":
            continue
        if not description:
            raise RegistryError(f"{where}: code {code} has no description")
        ref = normalize_reference(reference)
        if description == UNUSED:
            registry[code] = Registration(code, None, "reserved", ref)
        elif "TEMPORARY" in description:
            phrase, found, registration = temporary_registration(code, description, where, on)
            registry[code] = Registration(code, phrase, registration, ref, **found)
        elif description.endswith(OBSOLETED_SUFFIX):
            registry[code] = Registration(code, description[: -len(OBSOLETED_SUFFIX)], "obsolete", ref)
        elif "(" in description or ")" in description:
            # An annotation this importer does not know would otherwise end up in the phrase.
            raise RegistryError(f"{where}: code {code}: unknown annotation in {description!r}: the importer reads "
                                f"{TEMPORARY_FORM}, (OBSOLETED) and (Unused)")
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
    taken = {n for s in data.statuses for n in [s["name"], *dataset.alias_names(s)]}
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
            for key in dates.ORDER:
                if getattr(reg, key):
                    entry[key] = getattr(reg, key)
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
                entry["aliases"] = [*entry.get("aliases", []),
                                    {"name": derived, "source": f"The IANA registry's phrase '{reg.phrase}'"}]
                taken.add(derived)
                changes.append(f"alias {derived} added")
        if entry["source"] != "IANA":
            changes.append(f"source {entry['source']!r} -> 'IANA'")
            entry["source"] = "IANA"
        if entry["registration"] != reg.registration:
            changes.append(f"registration {entry['registration']} -> {reg.registration}")
            entry["registration"] = reg.registration
        for key in dates.ORDER:
            new, old = getattr(reg, key), entry.get(key)
            if new != old:
                changes.append(f"{key} {old or '-'} -> {new or '-'}")
                if new:
                    entry[key] = new
                else:
                    entry.pop(key, None)
        if reg.reference and reference_documents(entry["reference"]) != reference_documents(reg.reference):
            changes.append(f"reference {entry['reference']!r} -> {reg.reference!r}")
            entry["reference"] = reg.reference
        if changes:
            changed.append(f"{code} {entry['phrase']}: " + "; ".join(changes))

    for code, entry in sorted(by_code.items()):
        if code in registry or entry["source"] != "IANA" or entry["registration"] == "obsolete":
            continue
        entry["registration"] = "obsolete"
        for key in dates.ORDER:
            entry.pop(key, None)
        withdrawn.append(f"{code} {entry['phrase']} (no longer in the registry; now marked obsolete)")

    return sorted(by_code.values(), key=lambda e: e["code"]), added, changed, withdrawn


def field_names_of(root: Path, entries: list[dict] | None = None) -> set[str] | None:
    """The field registry's names (from `entries`, else from its data file, if there is one)."""
    if entries is None:
        path = root / field_names.REGISTRY.data_file
        if not path.exists():
            return None
        entries = field_names.REGISTRY.load(root)
    return {e["name"] for e in entries}


def import_status(root: Path, text: str, filename: str):
    """(summary of the registry, output text, data path, added, changed, withdrawn, kept)."""
    data_path = root / STATUS_FILE
    registry = parse_registry(text, filename)
    names = field_names_of(root)
    # A first import may start from nothing; every later one merges into the existing data.
    data = dataset.load(data_path, names) if data_path.exists() else dataset.Dataset(headers={}, statuses=[])
    statuses, added, changed, withdrawn = merge(data, registry)
    merged = dataset.Dataset(headers=data.headers, statuses=statuses, path=data.path)
    # The merged data must pass the generator's own rules before anything is written.
    output = dataset.dump(merged)
    dataset.parse(output, f"{STATUS_FILE} (after import)", names)
    return f"{len(registry)} registered codes", output, data_path, added, changed, withdrawn, []


def import_other(root: Path, kind: str, text: str, filename: str):
    reg = REGISTRIES[kind]
    data_path = root / reg.data_file
    registry = reg.read_csv(text, filename)
    entries = reg.load(root) if data_path.exists() else []
    merged, added, changed, withdrawn, kept = reg.merge(entries, registry)
    output = reg.dump(merged)
    checked = reg.parse(output, f"{reg.data_file} (after import)")
    if kind == "fields" and (root / STATUS_FILE).exists():
        # The headers the statuses require must still be field names.
        dataset.load(root / STATUS_FILE, field_names_of(root, checked))
    return f"{len(registry)} entries", output, data_path, added, changed, withdrawn, kept


def guess_registry(text: str) -> str | None:
    """The registry whose header row `text` starts with, for a hint when --registry is wrong."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if first == ",".join(HEADER_ROW):
        return "status"
    for key, reg in REGISTRIES.items():
        if first == ",".join(reg.csv_header):
            return key
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="the registry CSV, as IANA publishes it")
    parser.add_argument("--registry", choices=["status", *REGISTRIES], default="status",
                        help="which registry FILE.csv is (default: status)")
    parser.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()

    try:
        text = args.csv.read_bytes().decode("utf-8")
        if args.registry == "status":
            result = import_status(root, text, str(args.csv))
        else:
            result = import_other(root, args.registry, text, str(args.csv))
    except (OSError, UnicodeDecodeError) as error:
        print(f"import_iana.py: {args.csv}: cannot read: {error}", file=sys.stderr)
        print("import_iana.py: nothing written", file=sys.stderr)
        return 2
    except (RegistryError, dataset.DatasetError) as error:
        print(f"import_iana.py: {error}", file=sys.stderr)
        guess = guess_registry(text)
        if guess and guess != args.registry and "header row" in str(error):
            print(f"import_iana.py: {args.csv} looks like the {guess} registry: add --registry {guess}", file=sys.stderr)
        print("import_iana.py: nothing written", file=sys.stderr)
        return 2

    summary_of_registry, output, data_path, added, changed, withdrawn, kept = result
    print(f"import_iana.py: {summary_of_registry} in {args.csv}")
    for label, lines in (("added", added), ("changed", changed), ("withdrawn", withdrawn), ("kept", kept)):
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
