"""Money as whole pence, read from what a person types. Pure.

A typed amount is read against a strict pattern, never through `float`, so "inf", "1e309", "nan"
or "12.345" are refused instead of becoming a number no one meant.
"""

from __future__ import annotations

import re

MAX_PENCE = 1_000_00  # £1,000: the most staff may set for one person and one session
_POUNDS = re.compile(r"([0-9]{1,7})(?:\.([0-9]{1,2}))?")


class AmountError(ValueError):
    """A typed amount that is not pounds and pence within the allowed range."""


def pence_from_pounds(text: str, most: int = MAX_PENCE) -> int:
    """'25', '£12.50', '1,000' → pence; anything else (exponents, inf, three decimals) is refused."""
    cleaned = text.strip().removeprefix("£").replace(",", "").strip()
    match = _POUNDS.fullmatch(cleaned)
    if match is None:
        raise AmountError("Enter the amount in pounds, like 25 or 12.50.")
    pence = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if pence > most:
        raise AmountError(f"The amount must be at most £{most // 100:,}.")
    return pence
