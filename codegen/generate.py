#!/usr/bin/env python3
"""Regenerates generated/ from data/ and templates/.

    python3 codegen/generate.py            write every generated file that changed
    python3 codegen/generate.py --check    exit 1, naming the stale files, if generated/
                                           differs from what would be written; write nothing

The data: data/status-codes.toml, and the registries the library speaks, each in its own file
(data/field-names.toml, data/methods.toml, data/close-codes.toml, data/http2-error-codes.toml).
Everything is rendered in memory first; files are replaced only when every data file validated
and every template rendered. Output is byte-identical for the same input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import close_codes  # noqa: E402
import dataset  # noqa: E402
import dates  # noqa: E402
import field_names  # noqa: E402
import files  # noqa: E402
import h2_error_codes  # noqa: E402
import methods  # noqa: E402
import perfect_hash  # noqa: E402

try:
    import jinja2
except ModuleNotFoundError:
    raise SystemExit("httpkit codegen needs Jinja2: apt-get install python3-jinja2")

DATA_FILE = Path("data/status-codes.toml")
FIELDS = field_names.REGISTRY
METHODS = methods.REGISTRY
CLOSE_CODES = close_codes.REGISTRY
H2_ERROR_CODES = h2_error_codes.REGISTRY
# template (under templates/) -> (output under the root, the data files it is made from)
OUTPUTS = {
    "status.hpp.j2": (Path("generated/include/http/status.hpp"), [DATA_FILE, FIELDS.data_file]),
    "failure.hpp.j2": (Path("generated/include/http/failure.hpp"), [DATA_FILE]),
    "status-codes.md.j2": (Path("generated/docs/status-codes.md"), [DATA_FILE]),
    "fields.hpp.j2": (Path("generated/include/http/fields.hpp"), [FIELDS.data_file]),
    "field-names.md.j2": (Path("generated/docs/field-names.md"), [FIELDS.data_file]),
    "methods.hpp.j2": (Path("generated/include/http/methods.hpp"), [METHODS.data_file]),
    "methods.md.j2": (Path("generated/docs/methods.md"), [METHODS.data_file]),
    "close_codes.hpp.j2": (Path("generated/include/http/close_codes.hpp"), [CLOSE_CODES.data_file]),
    "close-codes.md.j2": (Path("generated/docs/close-codes.md"), [CLOSE_CODES.data_file]),
    "h2_error_codes.hpp.j2": (Path("generated/include/http/h2_error_codes.hpp"), [H2_ERROR_CODES.data_file]),
    "http2-error-codes.md.j2": (Path("generated/docs/http2-error-codes.md"), [H2_ERROR_CODES.data_file]),
}
GENERATED_DIR = Path("generated")

BASES = {3: "Redirection", 4: "ClientError", 5: "ServerError"}
# How each header type is taken by a failure constructor and turned into a field value
# (parameter type, field value from the parameter {p}, with the failure class {c} and the field
# {h} for the messages of what it refuses), and read back by the accessor of the same
# name (its type, its expression over the failure's fields, what it gives when the field is absent).
PARAMETER_TYPES = {
    "string": ("std::string", "std::move({p})",
               "std::string", "std::string(headers().get({h}))", "empty"),
    "list": ("const std::vector<std::string>&", "detail::join_list({p}, {c}, {h})",
             "std::vector<std::string>", "detail::split_list(headers().get_all({h}))", "empty"),
    "seconds": ("std::chrono::seconds", "detail::delay_seconds({p})",
                "std::optional<std::chrono::seconds>", "detail::parse_retry_after(headers().get({h}))",
                "nullopt, or malformed"),
    "complete-length": ("std::uint64_t", "detail::unsatisfied_range({p})",
                        "std::optional<std::uint64_t>", "detail::parse_complete_length(headers().get({h}))",
                        "nullopt, or malformed"),
}


def cpp_string(value: str) -> str:
    """A C++ string literal for printable ASCII text (the dataset allows nothing else)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def constructors(headers: list[dict]) -> list[dict]:
    """The public constructor signatures of a failure class, from the headers its status carries.

    Required headers come first in every constructor. When there are optional headers, a second
    constructor takes them too. A message parameter always comes last and defaults to the phrase,
    except where that default would make a one-argument call ambiguous (an optional string header).
    """
    required = [h for h in headers if h["required"]]
    optional = [h for h in headers if not h["required"]]
    variants = [{"params": required, "message_default": True}]
    if optional:
        ambiguous = not required and optional[0]["type"] in ("string", "list")
        variants.append({"params": required + optional, "message_default": not ambiguous})
    return variants


# The three digits of every code 100-999, one after another, for code_text().
DIGITS = "".join(str(code) for code in range(100, 1000))


def number_rows(numbers: list[int], per_row: int = 24, indent: str = "    ") -> str:
    """`1, 2, 3,` in rows of `per_row`, every row after the first indented (the template indents the first)."""
    rows = [", ".join(str(n) for n in numbers[i:i + per_row]) + "," for i in range(0, len(numbers), per_row)]
    return ("\n" + indent).join(rows)


def guards(names) -> list[dict]:
    """The macros a header must refuse to follow, for the enumerators it declares."""
    return [{"name": n, "why": dataset.GUARDED_MACROS[n]} for n in sorted(set(names)) if n in dataset.GUARDED_MACROS]


def status_context(data: dataset.Dataset) -> dict:
    statuses = []
    names = []
    for entry in data.statuses:
        code = entry["code"]
        headers = []
        for h in entry.get("headers", []):
            spec = data.headers[h["name"]]
            cpp_type, value, accessor_type, accessor, absent = PARAMETER_TYPES[spec["type"]]
            headers.append(
                {
                    "name": h["name"],
                    "required": h["required"],
                    "parameter": spec["parameter"],
                    "type": spec["type"],
                    "doc": spec["doc"],
                    "cpp_type": cpp_type,
                    "value": value.format(p=spec["parameter"], h=cpp_string(h["name"]),
                                          c=cpp_string(dataset.camel_case(entry["name"]))),
                    "accessor_type": accessor_type,
                    "accessor": accessor.format(h=cpp_string(h["name"])),
                    "absent_note": f" ({absent} when it is absent)",
                }
            )
        aliases = dataset.alias_names(entry)
        failure_class = dataset.camel_case(entry["name"]) if code >= 300 else None
        alias_classes = []
        if failure_class:
            for alias in aliases:
                cls = dataset.camel_case(alias)
                if cls != failure_class and cls not in alias_classes:
                    alias_classes.append(cls)
        statuses.append(
            {
                "registered": None,
                "extended": None,
                "expires": None,
                "deprecated": None,
                **entry,
                "aliases": aliases,
                "alias_sources": entry.get("aliases", []),
                "vendors": [{"phrase": "", "reference": "", **v} for v in entry.get("vendors", [])],
                "headers": headers,
                "digit": code // 100,
                "status_class": dataset.status_class(code),
                "failure_class": failure_class,
                "failure_base": BASES.get(code // 100),
                "alias_classes": alias_classes,
                "constructors": constructors(headers),
                "retry_when": entry["retry"]["when"].replace("-", "_") if "retry" in entry else "never",
                "retry_after": entry.get("retry", {}).get("retry_after", False),
            }
        )
        names.append((entry["name"], entry["name"]))
        names.extend((alias, entry["name"]) for alias in aliases)
    names.sort(key=lambda pair: pair[0].encode())
    iana = [s for s in statuses if s["source"] == "IANA"]
    return {
        "statuses": statuses,
        "sorted_names": names,
        "alias_count": sum(len(s["aliases"]) for s in statuses),
        "iana_count": len(iana),
        "extended_count": len(statuses) - len(iana),
        "failures": [s for s in statuses if s["failure_class"]],
        "status_guards": guards(name for name, _ in names),
        "code_digits": [DIGITS[i:i + 96] for i in range(0, len(DIGITS), 96)],
    }


def hash_context(registry, entries: list[dict], names: list[str], fold_case: bool) -> dict:
    """A perfect hash of `names`, checked here against every name before the C++ relies on it."""
    table = perfect_hash.build(names, fold_case)
    for index, name in enumerate(names):
        probes = [name, name.upper(), name.lower()] if fold_case else [name]
        for probe in probes:
            if perfect_hash.lookup(table, names, probe, fold_case) != index:
                raise dataset.DatasetError(registry.data_file, f"{registry.table} {name}", "the perfect hash misses it")
    return {
        "bucket_bits": table.bucket_bits,
        "slot_bits": table.slot_bits,
        "seeds": table.seeds,
        "slots": table.slots,
        "longest": max(len(n) for n in names),
        "shortest": min(len(n) for n in names),
    }


def fields_context(entries: list[dict]) -> dict:
    fields = []
    for entry in entries:
        enumerator = FIELDS.enumerator(entry)
        if enumerator is None:
            continue
        fields.append({"structured_type": "", "reference": "", "comments": "", "withdrawn": False, "note": "",
                       **entry, "enumerator": enumerator, "index": len(fields)})
    reserved = [e for e in entries if e.get("reserved")]
    names = [f["name"] for f in fields]
    return {
        "fields": fields,
        "reserved_fields": reserved,
        "field_hash": hash_context(FIELDS, entries, names, fold_case=True),
        "field_counts": {status: sum(1 for f in fields if f["status"] == status) for status in field_names.STATUSES},
    }


def methods_context(entries: list[dict]) -> dict:
    methods_ = []
    for entry in entries:
        enumerator = METHODS.enumerator(entry)
        if enumerator is None:
            continue
        methods_.append({"source": "IANA", "note": "", "withdrawn": False, **entry, "enumerator": enumerator,
                         "index": len(methods_)})
    return {
        "methods": methods_,
        "reserved_methods": [e for e in entries if e.get("reserved")],
        "method_hash": hash_context(METHODS, entries, [m["name"] for m in methods_], fold_case=False),
        "method_guards": guards(m["enumerator"] for m in methods_),
    }


def close_codes_context(entries: list[dict]) -> dict:
    codes = [{"in_close_frame": True, "withdrawn": False, "reference": "", "contact": "", "source": "IANA", "note": "",
              **e} for e in entries if not e.get("reserved")]
    return {
        "close_codes": codes,
        "reserved_close_codes": [e for e in entries if e.get("reserved")],
        # RFC 6455, Section 7.4: what an endpoint may put in a Close frame, below the private-use span.
        "sendable_close_codes": [c["code"] for c in codes if c["in_close_frame"] and not c["withdrawn"]],
        "close_code_guards": guards(c["name"] for c in codes),
    }


def h2_context(entries: list[dict]) -> dict:
    codes = [{"withdrawn": False, "source": "IANA", "note": "", **e} for e in entries]
    return {"h2_error_codes": codes, "h2_guards": guards(c["name"] for c in codes)}


def load_all(root: Path) -> dict:
    """Every data file, validated, each against the others (the statuses' headers are fields)."""
    fields = FIELDS.load(root)
    data = dataset.load(root / DATA_FILE, {e["name"] for e in fields})
    data.path = DATA_FILE
    return {
        "status": data,
        "fields": fields,
        "methods": METHODS.load(root),
        "close_codes": CLOSE_CODES.load(root),
        "h2": H2_ERROR_CODES.load(root),
    }


def build_context(loaded: dict) -> dict:
    return {
        **status_context(loaded["status"]),
        **fields_context(loaded["fields"]),
        **methods_context(loaded["methods"]),
        **close_codes_context(loaded["close_codes"]),
        **h2_context(loaded["h2"]),
    }


def today():
    return dates.today()


def expired_registrations(data: dataset.Dataset, on) -> list[str]:
    """A warning for each temporary registration past its expiry date: the data is out of date."""
    warnings = []
    for entry in data.statuses:
        if entry["registration"] == "temporary" and dates.parse("expires", entry["expires"]) < on:
            warnings.append(
                f"status {entry['code']} ({entry['name']}): its temporary registration expired on {entry['expires']}; "
                "import a current IANA registry (codegen/import_iana.py) to learn whether it was renewed, "
                "made permanent or withdrawn, or mark it registration = \"expired\"")
    return warnings


def premature_expiries(data: dataset.Dataset, on) -> None:
    """An 'expired' registration whose expiry date has not come is an error in the data."""
    for entry in data.statuses:
        if entry["registration"] == "expired" and not dates.parse("expires", entry["expires"]) < on:
            raise dataset.DatasetError(DATA_FILE, f"status {entry['code']} ({entry['name']})",
                                       f"marked expired, but its expiry date {entry['expires']} has not passed "
                                       f"(today is {on.isoformat()})")


def render_all(root: Path) -> dict[Path, str]:
    """Loads and validates the data and renders every output; raises DatasetError or a Jinja2 error."""
    loaded = load_all(root)
    on = today()
    premature_expiries(loaded["status"], on)
    for warning in expired_registrations(loaded["status"], on):
        print(f"generate.py: warning: {DATA_FILE.as_posix()}: {warning}", file=sys.stderr)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "templates")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["cpp"] = cpp_string
    env.filters["sv"] = lambda text: cpp_string(text) + "sv"
    env.filters["md"] = lambda text: str(text).replace("|", "\\|")
    env.filters["hex"] = lambda number: f"0x{number:02x}"
    env.filters["rows"] = number_rows
    context = build_context(loaded)
    rendered = {}
    for template, (output, sources) in OUTPUTS.items():
        text = env.get_template(template).render(
            template_name=f"templates/{template}", data_file=sources[0].as_posix(),
            sources=", ".join(source.as_posix() for source in sources), **context)
        rendered[output] = text
    return rendered


def template_location(error: jinja2.TemplateError) -> str:
    """file:line of a template error; Jinja2 maps render-time frames onto template lines."""
    if getattr(error, "lineno", None):
        return f"{error.filename or error.name}:{error.lineno}"
    location = "templates"
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            location = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return location


def stale_files(root: Path, rendered: dict[Path, str]) -> list[str]:
    problems = []
    for output, text in rendered.items():
        path = root / output
        if not path.exists():
            problems.append(f"{output} (missing)")
        elif path.read_bytes() != text.encode():
            problems.append(f"{output} (differs)")
    expected = {root / output for output in rendered}
    for path in sorted((root / GENERATED_DIR).rglob("*")):
        if path.is_file() and path not in expected:
            problems.append(f"{path.relative_to(root)} (not produced by the generator)")
    return problems


def write_files(root: Path, rendered: dict[Path, str]) -> list[Path]:
    """Writes changed files, each through a temporary file and an atomic rename."""
    written = []
    for output, text in rendered.items():
        path = root / output
        data = text.encode()
        if path.exists() and path.read_bytes() == data:
            continue
        files.write_atomic(path, data)
        written.append(output)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report stale generated files; write nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()

    try:
        rendered = render_all(root)
    except dataset.DatasetError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        print("generate.py: nothing written", file=sys.stderr)
        return 1
    except jinja2.TemplateError as error:
        print(f"generate.py: {template_location(error)}: template error: {error}", file=sys.stderr)
        print("generate.py: nothing written", file=sys.stderr)
        return 1

    if args.check:
        problems = stale_files(root, rendered)
        if problems:
            print("generate.py --check: generated/ is stale; run python3 codegen/generate.py", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"generate.py --check: {len(rendered)} generated files are up to date")
        return 0

    written = write_files(root, rendered)
    for output in written:
        print(f"wrote {output}")
    if not written:
        print(f"generate.py: {len(rendered)} generated files already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
