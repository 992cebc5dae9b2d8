"""The canonical TOML layout every data file is written in, so that an importer's rewrite is a
small, readable diff. Standard library only: tomllib reads; this writes."""

from __future__ import annotations

import json
import textwrap


def string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)


def value(item) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, dict):
        return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in item.items()) + " }"
    raise TypeError(f"cannot write {type(item).__name__} to TOML")


def long_text(text: str, indent: str = "  ", width: int = 92) -> str:
    """A multi-line basic string whose line-ending backslashes fold the text back into one line."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    lines = textwrap.wrap(escaped, width=width, break_long_words=False, break_on_hyphens=False)
    body = " \\\n".join(indent + line for line in lines)
    return '"""\\\n' + body + '"""'


def table(header: str, entry: dict, order: list[str], long_keys: tuple[str, ...] = ()) -> list[str]:
    """The lines of one [[header]] table, its keys in `order`; `long_keys` are folded text."""
    out = [f"[[{header}]]"]
    for key in order:
        if key not in entry:
            continue
        item = entry[key]
        if key in long_keys:
            out.append(f"{key} = {long_text(item)}")
        elif isinstance(item, list):
            if not item:
                continue
            if all(isinstance(v, str) for v in item):
                out.append(f"{key} = [" + ", ".join(string(v) for v in item) + "]")
            else:
                out.append(f"{key} = [")
                out.extend(f"  {value(v)}," for v in item)
                out.append("]")
        else:
            out.append(f"{key} = {value(item)}")
    out.append("")
    return out
