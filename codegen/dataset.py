"""The status-code dataset: loading, validation and the canonical TOML form.

`data/status-codes.toml` is the only place a status code, its phrase or its
description is written. This module reads it (standard library only: tomllib),
checks every rule the generated C++ relies on, and writes it back in one
canonical layout so that the importer's rewrites produce small, readable diffs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import checks
import dates
import toml_form
from checks import GUARDED_MACROS, NAME_RE, RESERVED_NAMES, DatasetError  # noqa: F401 (importers use them)

# "expired": a temporary registration past its expiry date that the last registry imported did
# not renew; the registry may yet renew it, make it permanent or withdraw it.
REGISTRATIONS = ("registered", "temporary", "expired", "reserved", "unofficial", "obsolete")
DATED_REGISTRATIONS = ("temporary", "expired")
HEADER_TYPES = ("string", "list", "seconds", "complete-length")
CLASS_NAMES = {
    1: "informational",
    2: "success",
    3: "redirection",
    4: "client_error",
    5: "server_error",
}
HEADER_NAME_RE = checks.TOKEN_RE
PARAMETER_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# Names the library itself gives to classes in namespace http: no failure class may take one.
RESERVED_CLASS_NAMES = frozenset(
    "Failure Redirection ClientError ServerError Status StatusClass StatusInfo StatusHeader "
    "VendorMeaning Registration Headers Request Response Server Client Url Cookie "
    "Field FieldStatus FieldInfo Method MethodInfo CloseCode CloseCodeInfo".split()
)

STATUS_KEYS = {
    # key: (required, type)
    "code": (True, int),
    "name": (True, str),
    "phrase": (True, str),
    "source": (True, str),
    "registration": (True, str),
    "registered": (False, str),
    "extended": (False, str),
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
ALIAS_KEYS = {"name": (True, str), "source": (True, str)}
VENDOR_KEYS = {"name": (True, str), "phrase": (False, str), "meaning": (True, str), "reference": (False, str)}
RETRY_KEYS = {"when": (True, str), "retry_after": (False, bool)}
RETRY_WHEN = ("any-method", "idempotent")


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


def alias_names(entry: dict) -> list[str]:
    """The alias names of a status entry, in the data's order."""
    return [a["name"] for a in entry.get("aliases", [])]


def _entry_label(entry: dict, index: int) -> str:
    code = entry.get("code")
    name = entry.get("name")
    if isinstance(code, int) and isinstance(name, str):
        return f"status {code} ({name})"
    if isinstance(code, int):
        return f"status {code}"
    return f"status entry #{index + 1}"


_check_keys = checks.check_keys
_check_text = checks.check_text


def _check_dates(entry: dict, path, label: str) -> None:
    """Registration dates: calendar dates, in order, and only where a registration is dated."""
    registration = entry["registration"]
    try:
        dates.check_order(entry)
    except dates.DateError as error:
        raise DatasetError(path, label, str(error)) from None
    if registration in DATED_REGISTRATIONS:
        article = "an" if registration[0] in "aeiou" else "a"
        for key in ("expires", "registered"):
            if key not in entry:
                raise DatasetError(path, label, f"{article} {registration} registration needs '{key}'")
        return
    for key in dates.ORDER:
        if key in entry:
            raise DatasetError(path, label, f"'{key}' is only for temporary (or expired) registrations, not {registration}")


def validate(raw: dict, path: Path | str, field_names: set[str] | None = None) -> Dataset:
    """Checks a parsed data file and returns the Dataset; raises DatasetError on the first problem.

    `field_names`, when given, are the names of the field registry: every header a status
    carries must be one of them, spelt as the registry spells it.
    """
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
        if field_names is not None and hname not in field_names:
            raise DatasetError(path, label, f"{hname} is not a field name of the field registry (data/field-names.toml)")
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
        _check_dates(entry, path, label)
        if "deprecated" in entry:
            _check_text(entry["deprecated"], path, label, "deprecated")

        for alias in entry.get("aliases", []):
            if not isinstance(alias, dict):
                raise DatasetError(path, label, "each of 'aliases' must be a table { name = ..., source = ... }: "
                                                "an alias says where the name comes from")
            _check_keys(alias, ALIAS_KEYS, path, label, "alias")
            _check_text(alias["source"], path, label, f"source of alias {alias['name']}")
        names = [entry["name"]] + alias_names(entry)
        for n in names:
            checks.check_enumerator(n, path, label)
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


def parse(text: str, path: Path | str, field_names: set[str] | None = None) -> Dataset:
    return validate(checks.parse_toml(text, path), path, field_names)


def load(path: Path, field_names: set[str] | None = None) -> Dataset:
    return validate(checks.load_toml(path), path, field_names)


# --- the canonical TOML form -------------------------------------------------------------

FILE_HEADER = """\
# HTTP status codes: the canonical dataset behind generated/.
#
# One [[status]] table per code, in code order. Keys:
#   code, name (canonical UPPER_SNAKE enumerator), phrase (IANA's wording for registered
#   codes), source ("IANA" or the vendor that introduced the code), registration
#   (registered | temporary | expired | reserved | unofficial | obsolete; expired: a temporary
#   registration past its expiry date that no registry imported since has renewed),
#   registered / extended / expires (YYYY-MM-DD calendar dates, in that order, of temporary
#   and expired registrations), reference, deprecated (why, if so), aliases (other names users
#   know, each with where it comes from), headers (response fields the RFCs tie to the status,
#   spelt as the field registry spells them: required = the RFC says MUST or SHOULD), retry
#   (when repeating the request can succeed: when = "any-method" or "idempotent" (RFC 9110,
#   Section 9.2.2), retry_after = true if a Retry-After in the response says how long to wait;
#   no key: never), vendors (each vendor's meaning, and where the vendor says so), description.
# [header.NAME] tables define how a failure class takes each header as a constructor
# parameter: type string | list | seconds | complete-length.
#
# After editing: python3 codegen/generate.py. codegen/import_iana.py rewrites this file in
# this layout, so keep notes in the data (descriptions, vendors), not in comments.
"""

ENTRY_ORDER = list(STATUS_KEYS)


def dump(dataset: Dataset) -> str:
    out = [FILE_HEADER]
    for hname, spec in dataset.headers.items():
        out.append(f"[header.{hname}]")
        for key in HEADER_KEYS:
            out.append(f"{key} = {toml_form.value(spec[key])}")
        out.append("")
    for entry in dataset.statuses:
        out.extend(toml_form.table("status", entry, ENTRY_ORDER, long_keys=("description",)))
    return "\n".join(out)
