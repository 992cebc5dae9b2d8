"""Checks shared by every data file: errors that name the file and the entry, key tables,
text, enumerator names and the macros that would rewrite them."""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    raise SystemExit("httpkit codegen needs Python 3.11 or newer (for tomllib)")

NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # RFC 9110, Section 5.6.2

# Macros that common C and system headers define: an enumerator with one of these names would
# be rewritten by the preprocessor in a user's translation unit, so no registry may use them.
# UNUSED is here too: .NET calls 306 Unused, but C and C++ code defines UNUSED as a macro so
# often (`#define UNUSED __attribute__((unused))`, `#define UNUSED(x) (void)(x)`) that an
# enumerator of that name would break users' builds.
RESERVED_NAMES = frozenset(
    "NULL EOF TRUE FALSE DOMAIN OVERFLOW UNDERFLOW SING TLOSS PLOSS ERROR "
    "IN OUT OPTIONAL INFINITY NAN EDOM ERANGE EILSEQ BUFSIZ UNUSED".split()
)

# Names a registry cannot do without although a system header defines them as macros. Each
# generated header that declares one refuses to compile, with this explanation, when the macro
# is defined before it: a clear error rather than a puzzle inside the enum.
GUARDED_MACROS = {
    "OK": "<curses.h> defines OK (as 0)",
    "DELETE": "<arpa/nameser.h>, and so <resolv.h>, defines DELETE (as ns_uop_delete)",
    "QUERY": "<arpa/nameser.h>, and so <resolv.h>, defines QUERY (as ns_o_query)",
}


class DatasetError(Exception):
    """A problem in a data file: says which file, which entry, and what is wrong."""

    def __init__(self, path: Path | str, entry: str | None, problem: str):
        where = f"{path}: {entry}: " if entry else f"{path}: "
        super().__init__(where + problem)


def load_toml(path: Path) -> dict:
    """The parsed TOML of a data file; DatasetError naming the file when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DatasetError(path, None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DatasetError(path, None, f"not UTF-8: {error}") from None
    return parse_toml(text, path)


def parse_toml(text: str, path: Path | str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DatasetError(path, None, f"syntax error: {error}") from None


def check_keys(table: dict, spec: dict, path, label: str, what: str) -> None:
    """`spec` maps each key to (required, type); unknown keys, missing ones and wrong types fail."""
    for key in table:
        if key not in spec:
            raise DatasetError(path, label, f"unknown {what} key '{key}' (known: {', '.join(spec)})")
    for key, (required, kind) in spec.items():
        if key not in table:
            if required:
                raise DatasetError(path, label, f"missing {what} key '{key}'")
            continue
        value = table[key]
        # bool is a subclass of int: a code of `true` must not pass as 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DatasetError(path, label, f"'{key}' must be a {kind.__name__}, not {type(value).__name__}")


def check_text(value: str, path, label: str, key: str) -> None:
    if not value.strip():
        raise DatasetError(path, label, f"'{key}' is empty")
    if value != value.strip() or "  " in value or "\n" in value:
        raise DatasetError(path, label, f"'{key}' has stray whitespace or line breaks")
    if not value.isascii() or not value.isprintable():
        raise DatasetError(path, label, f"'{key}' must be printable ASCII")


def check_enumerator(name, path, label: str, what: str = "name") -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise DatasetError(path, label, f"bad {what} {name!r}: names are UPPER_SNAKE_CASE and start with a letter")
    if name in RESERVED_NAMES:
        raise DatasetError(path, label, f"{what} {name} is a macro in common system headers")


def entries_of(raw: dict, table: str, path) -> list:
    """The [[table]] entries of a data file, which must hold those and nothing else."""
    for key in raw:
        if key != table:
            raise DatasetError(path, None, f"unknown top-level table '{key}' (expected [[{table}]] entries)")
    entries = raw.get(table)
    if not isinstance(entries, list) or not entries:
        raise DatasetError(path, None, f"no [[{table}]] entries")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DatasetError(path, f"{table} entry #{index + 1}", "must be a table")
    return entries
