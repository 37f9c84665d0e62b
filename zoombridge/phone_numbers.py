"""Phone numbers, read by libphonenumber's rules (the `phonenumbers` package) and kept as E.164.

A phone caller's number is how they are tied to their registration, and that decides whether
they are paid, so a number is read exactly or not at all (None), never guessed:

- written the UK way, the UK is the default region: `07700 900123`, `020 7946 0018`,
  `(020) 7946-0018`, `+44 (0)20 7946 0018` are `+447700900123`, `+442079460018`;
- international numbers, with `+` or the UK's international prefix `00`: `+33 1 23 45 67 89`,
  `0033 1 23 45 67 89`, `+1 (415) 555-0100`;
- bare digits, as caller ids may come (`14155550100`, `447700900123`): a valid international
  number when they make one, otherwise a UK number when they make one of the right length;
- masked caller ids (`+44******123`), names ("Anonymous", "Withheld"), extensions, and anything
  libphonenumber says is not a number of the right length for its country: None.

"Of the right length" is libphonenumber's `is_possible_number`, not `is_valid_number`: the
numbers Ofcom keeps for drama and tests (07700 900xxx, 01632 960xxx) are not "valid" (not
allocated) but are read exactly, and a number that is read exactly is what matching needs.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

DEFAULT_REGION = "GB"
# What people and caller ids write around the digits; anything else (letters, `*`, `#`) is not a number.
_WRITTEN = re.compile(r"\+?[0-9 ()./-]{3,40}")


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _possible(number: phonenumbers.PhoneNumber | None) -> bool:
    return number is not None and (
        phonenumbers.is_possible_number_with_reason(number) == ValidationResult.IS_POSSIBLE)


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The number as E.164 (`+447700900123`), or None when it cannot be read exactly."""
    if not raw:
        return None
    text = raw.strip()
    if not _WRITTEN.fullmatch(text):
        return None
    number = None
    if not text.startswith(("+", "0")):  # bare digits: an international number first, if they make one
        international = _parse("+" + re.sub(r"\D", "", text), None)
        if international is not None and phonenumbers.is_valid_number(international):
            number = international
    if number is None:
        number = _parse(text, region)
    if not _possible(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)



def for_people(e164: str | None, region: str = DEFAULT_REGION) -> str:
    """A stored number as people write it: `07700 900123` at home, `+33 1 23 45 67 89` abroad."""
    number = _parse(e164, None) if e164 else None
    if number is None:
        return e164 or ""
    home = number.country_code == phonenumbers.country_code_for_region(region)  # drama numbers have no region
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL)
