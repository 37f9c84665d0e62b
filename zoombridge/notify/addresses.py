"""Email addresses: the one check used for registrations, captioners and staff addresses.

Syntax is checked by `email-validator` (RFC 5322/6531 rules: no `a..b@x.org`, no `.a@x.org`, no
`a@-x.org`, a dotted domain; internationalised addresses allowed), not by a hand-written pattern.
Deliverability (DNS) is not looked up: a registration must not wait on DNS, and the real test of
an address is whether mail arrives. Addresses are stored lower-cased and trimmed.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254


def normalise_email(value: object) -> str | None:
    """The address lower-cased and trimmed, or None when it is not a valid address."""
    if not isinstance(value, str):
        return None
    address = value.strip()
    if not address or len(address) > MAX_LENGTH:
        return None
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.lower()
