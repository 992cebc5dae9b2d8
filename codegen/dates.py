"""Registry dates: real calendar dates, in order, and the date they are checked against.

A registration date, an extension date and an expiry date are written YYYY-MM-DD. Each is read
as a calendar date (2026-13-45 and 2099-02-30 are refused, with the entry named), and a
registration comes before its extension and its expiry.
"""

from __future__ import annotations

import datetime
import os
import re

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The order the dates of one registration must keep: registered <= extended < expires.
ORDER = ("registered", "extended", "expires")


class DateError(ValueError):
    """A date that is not a calendar date, or dates out of order; the message says which."""


def parse(key: str, value) -> datetime.date:
    """The calendar date `value` (a YYYY-MM-DD string) stands for; DateError if there is none."""
    if isinstance(value, datetime.date):
        raise DateError(f"'{key}' must be a quoted string \"YYYY-MM-DD\", not a TOML date")
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise DateError(f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise DateError(f"'{key}' {value} is not a calendar date ({error})") from None


def check_order(dates: dict[str, str]) -> dict[str, datetime.date]:
    """Parses each of registered / extended / expires present and checks their order."""
    parsed = {key: parse(key, dates[key]) for key in ORDER if dates.get(key) is not None}
    if "extended" in parsed and "registered" not in parsed:
        raise DateError("an extension date needs the registration date it extends")
    if "registered" in parsed and "expires" in parsed and not parsed["registered"] < parsed["expires"]:
        raise DateError(f"registered {dates['registered']} is not before expires {dates['expires']}")
    if "extended" in parsed:
        if parsed["extended"] < parsed["registered"]:
            raise DateError(f"extended {dates['extended']} is before registered {dates['registered']}")
        if "expires" in parsed and not parsed["extended"] < parsed["expires"]:
            raise DateError(f"extended {dates['extended']} is not before expires {dates['expires']}")
    return parsed


def today() -> datetime.date:
    """The date registrations are checked against; HTTPKIT_TODAY=YYYY-MM-DD sets it (for tests)."""
    if override := os.environ.get("HTTPKIT_TODAY"):
        try:
            return parse("HTTPKIT_TODAY", override)
        except DateError as error:
            raise SystemExit(f"httpkit codegen: {error}") from None
    return datetime.date.today()
