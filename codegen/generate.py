#!/usr/bin/env python3
"""Regenerates generated/ from data/status-codes.toml and templates/.

    python3 codegen/generate.py            write every generated file that changed
    python3 codegen/generate.py --check    exit 1, naming the stale files, if generated/
                                           differs from what would be written; write nothing

Everything is rendered in memory first; files are replaced only when the whole dataset
validated and every template rendered. Output is byte-identical for the same input.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import files  # noqa: E402

try:
    import jinja2
except ModuleNotFoundError:
    raise SystemExit("httpkit codegen needs Jinja2: apt-get install python3-jinja2")

DATA_FILE = Path("data/status-codes.toml")
# template (under templates/) -> output (under the root)
OUTPUTS = {
    "status.hpp.j2": Path("generated/include/http/status.hpp"),
    "failure.hpp.j2": Path("generated/include/http/failure.hpp"),
    "status-codes.md.j2": Path("generated/docs/status-codes.md"),
}
GENERATED_DIR = Path("generated")

BASES = {3: "Redirection", 4: "ClientError", 5: "ServerError"}
# How each header type is taken by a failure constructor and turned into a field value
# (parameter type, field value from the parameter), and read back by the accessor of the same
# name (its type, its expression over the failure's fields, what it gives when the field is absent).
PARAMETER_TYPES = {
    "string": ("std::string", "std::move({p})",
               "std::string", "std::string(headers().get({h}))", "empty"),
    "list": ("const std::vector<std::string>&", "detail::join_list({p})",
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


def build_context(data: dataset.Dataset) -> dict:
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
                    "value": value.format(p=spec["parameter"]),
                    "accessor_type": accessor_type,
                    "accessor": accessor.format(h=cpp_string(h["name"])),
                    "absent_note": f" ({absent} when it is absent)",
                }
            )
        failure_class = dataset.camel_case(entry["name"]) if code >= 300 else None
        alias_classes = []
        if failure_class:
            for alias in entry.get("aliases", []):
                cls = dataset.camel_case(alias)
                if cls != failure_class and cls not in alias_classes:
                    alias_classes.append(cls)
        statuses.append(
            {
                "registered": None,
                "expires": None,
                "deprecated": None,
                **entry,
                "aliases": entry.get("aliases", []),
                "vendors": [{"phrase": "", **v} for v in entry.get("vendors", [])],
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
        names.extend((alias, entry["name"]) for alias in entry.get("aliases", []))
    names.sort(key=lambda pair: pair[0].encode())
    iana = [s for s in statuses if s["source"] == "IANA"]
    return {
        "statuses": statuses,
        "sorted_names": names,
        "alias_count": sum(len(s["aliases"]) for s in statuses),
        "iana_count": len(iana),
        "extended_count": len(statuses) - len(iana),
        "failures": [s for s in statuses if s["failure_class"]],
        "data_file": DATA_FILE.as_posix(),
    }


def today() -> datetime.date:
    """The date registrations are checked against; HTTPKIT_TODAY=YYYY-MM-DD sets it (for tests)."""
    if override := os.environ.get("HTTPKIT_TODAY"):
        return datetime.date.fromisoformat(override)
    return datetime.date.today()


def expired_registrations(data: dataset.Dataset, on: datetime.date) -> list[str]:
    """A warning for each temporary registration past its expiry date: the data may be out of date."""
    warnings = []
    for entry in data.statuses:
        if entry["registration"] == "temporary" and datetime.date.fromisoformat(entry["expires"]) < on:
            warnings.append(
                f"status {entry['code']} ({entry['name']}): its temporary registration expired on {entry['expires']}; "
                "import a current IANA registry (codegen/import_iana.py) to learn whether it was renewed, "
                "made permanent or withdrawn")
    return warnings


def render_all(root: Path) -> dict[Path, str]:
    """Loads and validates the data and renders every output; raises DatasetError or a Jinja2 error."""
    data = dataset.load(root / DATA_FILE)
    data.path = DATA_FILE
    for warning in expired_registrations(data, today()):
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
    context = build_context(data)
    rendered = {}
    for template, output in OUTPUTS.items():
        text = env.get_template(template).render(template_name=f"templates/{template}", **context)
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
