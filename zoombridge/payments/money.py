"""Money as whole pence: shown as pounds, and read from what a person types. Pure.

Amounts are integers of pence everywhere; a typed amount is read with `Decimal` against a strict
pattern, never `float`, so "inf", "1e309", "nan" or "12.345" are refused with a message instead of
becoming a number no one meant (or an OverflowError).
"""

from __future__ import annotations

import re
from decimal import Decimal

MAX_PENCE = 1_000_00  # £1,000: the most staff may set for one person and one session
_POUNDS = re.compile(r"([0-9]{1,7})(?:\.([0-9]{1,2}))?")


class AmountError(ValueError):
    """A typed amount that is not pounds and pence within the allowed range."""


def pounds(pence: int) -> str:
    """'12.50', '-3.05': pounds and pence with the sign in front (floor division would say -4.95)."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def pounds_decimal(pence: int) -> Decimal:
    """The same amount as a number, for CSV cells a spreadsheet should add up."""
    return Decimal(pence).scaleb(-2)


def pence_from_pounds(text: str, most: int = MAX_PENCE) -> int:
    """'25', '£12.50', '1,000' → pence; anything else (exponents, inf, three decimals) is refused."""
    cleaned = text.strip().removeprefix("£").replace(",", "").strip()
    match = _POUNDS.fullmatch(cleaned)
    if match is None:
        raise AmountError("Enter the amount in pounds, like 25 or 12.50.")
    pence = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if pence > most:
        raise AmountError(f"The amount must be between £0 and £{pounds(most)}.")
    return pence
