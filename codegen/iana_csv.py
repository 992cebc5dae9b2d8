"""Reading a registry CSV as IANA publishes it: a header row, CRLF records, quoted fields that
may span lines, ranges of unassigned values kept as rows."""

from __future__ import annotations

import csv
import io
import re


class RegistryError(Exception):
    """A malformed registry file: the message names the file, the line and the problem."""


def rows(text: str, filename: str, header: list[str]) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each record after the header; cells are stripped, and a line break
    inside one (with the indentation that follows it) becomes one space."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = []
        line = 1
        for record in reader:
            records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as error:
        raise RegistryError(f"{filename}:{reader.line_num}: {error}") from None
    if not records or [c.strip() for c in records[0][1]] != header:
        got = ",".join(records[0][1]) if records else "an empty file"
        raise RegistryError(f"{filename}:1: header row must be {','.join(header)}, got {got!r}")
    out = []
    for line, record in records[1:]:
        if not record or all(not c.strip() for c in record):
            continue
        if len(record) != len(header):
            first = record[0].strip() or "row"
            raise RegistryError(f"{filename}:{line}: {first}: expected {len(header)} fields, got {len(record)}")
        cells = [re.sub(r"\s*\n\s*", " ", c).strip() for c in record]
        for cell in cells:
            if not cell.isascii() or not cell.isprintable():
                raise RegistryError(f"{filename}:{line}: {cells[0] or 'row'}: {cell!r} is not printable ASCII")
        out.append((line, cells))
    return out


def references(text: str) -> str:
    """'[RFC9110, Section 15.5.5]' -> 'RFC 9110, Section 15.5.5'; several brackets are joined with '; '."""
    parts = re.findall(r"\[([^\]]+)\]", text)
    if not parts:
        parts = [text] if text.strip() else []
    out = []
    for part in parts:
        part = re.sub(r"\s+", " ", part.strip())
        part = re.sub(r"^RFC\s*(\d+)", r"RFC \1", part)
        out.append(part)
    return "; ".join(out)
