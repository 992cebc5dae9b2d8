"""The status-code dataset: loading, validation and the canonical TOML form.

`data/status-codes.toml` is the only place a status code, its phrase or its
description is written. This module reads it (standard library only: tomllib),
checks every rule the generated C++ relies on, and writes it back in one
canonical layout so that the importer's rewrites produce small, readable diffs.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    raise SystemExit("httpkit codegen needs Python 3.11 or newer (for tomllib)")

REGISTRATIONS = ("registered", "temporary", "reserved", "unofficial", "obsolete")
HEADER_TYPES = ("string", "list", "seconds", "complete-length")
CLASS_NAMES = {
    1: "informational",
    2: "success",
    3: "redirection",
    4: "client_error",
    5: "server_error",
}
NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
PARAMETER_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Macros that common C and system headers define: an enumerator with one of these
# names would be rewritten by the preprocessor in a user's translation unit.
RESERVED_NAMES = frozenset(
    "NULL EOF TRUE FALSE DOMAIN OVERFLOW UNDERFLOW SING TLOSS PLOSS ERROR DELETE "
    "IN OUT OPTIONAL INFINITY NAN EDOM ERANGE EILSEQ BUFSIZ".split()
)

# Names the library itself gives to classes in namespace http: no failure class may take one.
RESERVED_CLASS_NAMES = frozenset(
    "Failure Redirection ClientError ServerError Status StatusClass StatusInfo StatusHeader "
    "VendorMeaning Registration Headers Request Response Server Client Url Cookie".split()
)

STATUS_KEYS = {
    # key: (required, type)
    "code": (True, int),
    "name": (True, str),
    "phrase": (True, str),
    "source": (True, str),
    "registration": (True, str),
    "registered": (False, str),
    "expires": (False, str),
    "reference": (True, str),
    "deprecated": (False, str),
    "aliases": (False, list),
    "headers": (False, list),
    "retry": (False, dict),
    "vendors": (False, list),
    "description": (True, str),
}
HEADER_KEYS = {"parameter": (True, str), "type": (True, str), "doc": (True, str)}
ENTRY_HEADER_KEYS = {"name": (True, str), "required": (True, bool)}
VENDOR_KEYS = {"name": (True, str), "phrase": (False, str), "meaning": (True, str)}
RETRY_KEYS = {"when": (True, str), "retry_after": (False, bool)}
RETRY_WHEN = ("any-method", "idempotent")


class DatasetError(Exception):
    """A problem in a data file: says which file, which entry, and what is wrong."""

    def __init__(self, path: Path | str, entry: str | None, problem: str):
        where = f"{path}: {entry}: " if entry else f"{path}: "
        super().__init__(where + problem)


@dataclass
class Dataset:
    headers: dict[str, dict]
    statuses: list[dict]  # sorted by code
    path: Path = field(default=Path("data/status-codes.toml"))

    def by_code(self) -> dict[int, dict]:
        return {s["code"]: s for s in self.statuses}


def status_class(code: int) -> str:
    return CLASS_NAMES[code // 100]


def camel_case(name: str) -> str:
    """NOT_FOUND -> NotFound, IM_A_TEAPOT -> ImATeapot, HTTP_VERSION_NOT_SUPPORTED -> HttpVersionNotSupported."""
    return "".join(part[:1] + part[1:].lower() for part in name.split("_"))


def name_from_phrase(phrase: str) -> str:
    """'Non-Authoritative Information' -> NON_AUTHORITATIVE_INFORMATION; "I'm a teapot" -> IM_A_TEAPOT."""
    cleaned = re.sub(r"['\u2019]", "", phrase)
    words = re.findall(r"[A-Za-z0-9]+", cleaned)
    return "_".join(w.upper() for w in words)


def _entry_label(entry: dict, index: int) -> str:
    code = entry.get("code")
    name = entry.get("name")
    if isinstance(code, int) and isinstance(name, str):
        return f"status {code} ({name})"
    if isinstance(code, int):
        return f"status {code}"
    return f"status entry #{index + 1}"


def _check_keys(table: dict, spec: dict, path, label: str, what: str) -> None:
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


def _check_text(value: str, path, label: str, key: str) -> None:
    if not value.strip():
        raise DatasetError(path, label, f"'{key}' is empty")
    if value != value.strip() or "  " in value or "\n" in value:
        raise DatasetError(path, label, f"'{key}' has stray whitespace or line breaks")
    if not value.isascii() or not value.isprintable():
        raise DatasetError(path, label, f"'{key}' must be printable ASCII")


def validate(raw: dict, path: Path | str) -> Dataset:
    """Checks a parsed data file and returns the Dataset; raises DatasetError on the first problem."""
    for key in raw:
        if key not in ("header", "status"):
            raise DatasetError(path, None, f"unknown top-level table '{key}' (expected 'header' and 'status')")

    headers = raw.get("header", {})
    if not isinstance(headers, dict):
        raise DatasetError(path, None, "'header' must be a table of header definitions")
    parameters: dict[str, str] = {}
    for hname, spec in headers.items():
        label = f"header {hname}"
        if not HEADER_NAME_RE.match(hname):
            raise DatasetError(path, label, "header name is not an HTTP token")
        if not isinstance(spec, dict):
            raise DatasetError(path, label, "must be a table")
        _check_keys(spec, HEADER_KEYS, path, label, "header")
        if spec["type"] not in HEADER_TYPES:
            raise DatasetError(path, label, f"type '{spec['type']}' is not one of {', '.join(HEADER_TYPES)}")
        if not PARAMETER_RE.match(spec["parameter"]):
            raise DatasetError(path, label, f"parameter '{spec['parameter']}' is not a lower_snake_case identifier")
        if spec["parameter"] in ("message", "status"):
            raise DatasetError(path, label, f"parameter name '{spec['parameter']}' is reserved")
        if spec["parameter"] in parameters:
            raise DatasetError(path, label, f"parameter '{spec['parameter']}' is already used by header {parameters[spec['parameter']]}")
        parameters[spec["parameter"]] = hname
        _check_text(spec["doc"], path, label, "doc")

    entries = raw.get("status")
    if not isinstance(entries, list) or not entries:
        raise DatasetError(path, None, "no [[status]] entries")

    seen_codes: dict[int, str] = {}
    seen_names: dict[str, str] = {}  # every enumerator name -> label of its owner
    seen_classes: dict[str, str] = {}  # every failure class name -> label of its owner
    for index, entry in enumerate(entries):
        label = _entry_label(entry, index)
        if not isinstance(entry, dict):
            raise DatasetError(path, label, "must be a table")
        _check_keys(entry, STATUS_KEYS, path, label, "status")

        code = entry["code"]
        if not 100 <= code <= 599:
            raise DatasetError(path, label, f"code {code} is outside 100-599")
        if code in seen_codes:
            raise DatasetError(path, label, f"duplicate code {code} (also {seen_codes[code]})")
        seen_codes[code] = label

        for key in ("phrase", "description", "reference", "source"):
            _check_text(entry[key], path, label, key)

        registration = entry["registration"]
        if registration not in REGISTRATIONS:
            raise DatasetError(path, label, f"registration '{registration}' is not one of {', '.join(REGISTRATIONS)}")
        for key in ("registered", "expires"):
            if key in entry and not DATE_RE.match(entry[key]):
                raise DatasetError(path, label, f"'{key}' must be a date written YYYY-MM-DD")
        if registration == "temporary" and "expires" not in entry:
            raise DatasetError(path, label, "a temporary registration needs 'expires'")
        if registration != "temporary" and "expires" in entry:
            raise DatasetError(path, label, "'expires' is only for temporary registrations")
        if "deprecated" in entry:
            _check_text(entry["deprecated"], path, label, "deprecated")

        names = [entry["name"]] + list(entry.get("aliases", []))
        for n in names:
            if not isinstance(n, str) or not NAME_RE.match(n):
                raise DatasetError(path, label, f"bad name {n!r}: names are UPPER_SNAKE_CASE and start with a letter")
            if n in RESERVED_NAMES:
                raise DatasetError(path, label, f"name {n} is a macro in common system headers")
            if n in seen_names:
                owner = seen_names[n]
                kind = "alias" if n != entry["name"] else "name"
                raise DatasetError(path, label, f"{kind} {n} collides with {owner}")
            seen_names[n] = label

        if code >= 300:
            for n in names:
                cls = camel_case(n)
                if cls in RESERVED_CLASS_NAMES:
                    raise DatasetError(path, label, f"name {n} gives failure class {cls}, a name the library already uses")
                other = seen_classes.get(cls)
                if other and other != label:
                    raise DatasetError(path, label, f"name {n} gives failure class {cls}, which {other} already has")
                seen_classes[cls] = label

        header_names = set()
        for h in entry.get("headers", []):
            if not isinstance(h, dict):
                raise DatasetError(path, label, "each of 'headers' must be a table { name = ..., required = ... }")
            _check_keys(h, ENTRY_HEADER_KEYS, path, label, "header")
            if h["name"] not in headers:
                raise DatasetError(path, label, f"header {h['name']} is not defined in a [header.{h['name']}] table")
            if h["name"] in header_names:
                raise DatasetError(path, label, f"header {h['name']} is listed twice")
            header_names.add(h["name"])
        if "retry" in entry:
            _check_keys(entry["retry"], RETRY_KEYS, path, label, "retry")
            if entry["retry"]["when"] not in RETRY_WHEN:
                raise DatasetError(path, label, f"retry when '{entry['retry']['when']}' is not one of {', '.join(RETRY_WHEN)}")
            if code < 400:
                raise DatasetError(path, label, "only a 4xx or 5xx status can be retried")
        for v in entry.get("vendors", []):
            if not isinstance(v, dict):
                raise DatasetError(path, label, "each of 'vendors' must be a table { name = ..., meaning = ... }")
            _check_keys(v, VENDOR_KEYS, path, label, "vendor")
            for key in v:
                _check_text(v[key], path, label, f"vendors.{key}")

    statuses = sorted(entries, key=lambda e: e["code"])
    return Dataset(headers=dict(sorted(headers.items())), statuses=statuses, path=Path(path))


def parse(text: str, path: Path | str) -> Dataset:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DatasetError(path, None, f"syntax error: {error}") from None
    return validate(raw, path)


def load(path: Path) -> Dataset:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DatasetError(path, None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DatasetError(path, None, f"not UTF-8: {error}") from None
    return parse(text, path)


# --- the canonical TOML form -------------------------------------------------------------

FILE_HEADER = """\
# HTTP status codes: the canonical dataset behind generated/.
#
# One [[status]] table per code, in code order. Keys:
#   code, name (canonical UPPER_SNAKE enumerator), phrase (IANA's wording for registered
#   codes), source ("IANA" or the vendor that introduced the code), registration
#   (registered | temporary | reserved | unofficial | obsolete), registered / expires
#   (YYYY-MM-DD, temporary registrations), reference, deprecated (why, if so), aliases
#   (other names users know), headers (response fields the RFCs tie to the status:
#   required = the RFC says MUST or SHOULD), retry (when repeating the request can succeed:
#   when = "any-method" or "idempotent" (RFC 9110, Section 9.2.2), retry_after = true if a
#   Retry-After in the response says how long to wait; no key: never), vendors (each vendor's
#   meaning), description.
# [header.NAME] tables define how a failure class takes each header as a constructor
# parameter: type string | list | seconds | complete-length.
#
# After editing: python3 codegen/generate.py. codegen/import_iana.py rewrites this file in
# this layout, so keep notes in the data (descriptions, vendors), not in comments.
"""

ENTRY_ORDER = list(STATUS_KEYS)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_long_text(value: str, indent: str = "  ", width: int = 92) -> str:
    """A multi-line basic string whose line-ending backslashes fold the text back into one line."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    lines = textwrap.wrap(escaped, width=width, break_long_words=False, break_on_hyphens=False)
    body = " \\\n".join(indent + line for line in lines)
    return '"""\\\n' + body + '"""'


def dump(dataset: Dataset) -> str:
    out = [FILE_HEADER]
    for hname, spec in dataset.headers.items():
        out.append(f"[header.{hname}]")
        for key in HEADER_KEYS:
            out.append(f"{key} = {_toml_value(spec[key])}")
        out.append("")
    for entry in dataset.statuses:
        out.append("[[status]]")
        for key in ENTRY_ORDER:
            if key not in entry:
                continue
            value = entry[key]
            if key == "description":
                out.append(f"description = {_toml_long_text(value)}")
            elif isinstance(value, list):
                if not value:
                    continue
                if all(isinstance(v, str) for v in value):
                    out.append(f"{key} = [" + ", ".join(_toml_string(v) for v in value) + "]")
                else:
                    out.append(f"{key} = [")
                    out.extend(f"  {_toml_value(v)}," for v in value)
                    out.append("]")
            else:
                out.append(f"{key} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)
