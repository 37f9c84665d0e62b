"""JSON from outside, read within limits: one reader for request bodies and webhooks. Pure.

Python's `json` happily returns what a database or the code after it cannot take: integers of
any size (an id of 2**64 overflows SQLite and PostgreSQL's bigint), `Infinity`/`NaN` and `1e309`
(which becomes `inf`), nesting deep enough to exhaust the recursion limit, and text holding NUL
(`\u0000`, which PostgreSQL refuses to store) or half a surrogate pair (not encodable as UTF-8). `loads` refuses
all of them with `JsonRefused(field, message)`, naming where in the document the value is
(`overrides.breakouts.room_size`, `keep_together.0`), so the caller can answer 400 naming it.
"""

from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 32  # our bodies nest 4 or 5 deep; Zoom's events about as much
LARGEST_INTEGER = 2**63 - 1  # a signed 64-bit integer: what every id and amount column can hold


class JsonRefused(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def loads(text: str | bytes) -> object:
    """Parse and check; `JsonRefused` for anything outside the limits, ValueError for bad JSON."""
    try:
        value = json.loads(text)  # NaN and ±Infinity become floats here and are refused by `check`, by path
    except RecursionError as exc:
        raise JsonRefused("body", f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).") from exc
    check(value)
    return value


def check(value: object) -> None:
    """Walk the document without recursion; refuse the first value past a limit, naming its path."""
    stack: list[tuple[object, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        field = path or "body"
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JsonRefused(field, f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
            if isinstance(item, dict) and not all(storable_text(key) for key in item):
                raise JsonRefused(field, "A field name holds a NUL character or a broken surrogate pair.")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, f"{path}.{key}" if path else str(key), depth + 1) for key, child in pairs)
        elif isinstance(item, str):
            if not storable_text(item):
                raise JsonRefused(field, "The text holds a NUL character or a broken surrogate pair.")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > LARGEST_INTEGER:
                raise JsonRefused(field, "The number is too large.")
        elif isinstance(item, float) and not math.isfinite(item):
            raise JsonRefused(field, "The number is not finite (NaN, Infinity) or too large.")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> bool:
    """No NUL and no lone surrogate: text every database here can store and UTF-8 can encode."""
    return _UNSTORABLE.search(text) is None
