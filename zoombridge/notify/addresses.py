"""Email addresses: the one check used for registrations, captioners and staff addresses.

Deliberately loose (something@domain.tld, no spaces, at most 254 characters): the real test of
an address is whether mail arrives, and a strict pattern turns away people with unusual but
valid addresses.
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+")
MAX_LENGTH = 254


def normalise_email(value: object) -> str | None:
    """The address lower-cased and trimmed, or None when it does not look like one."""
    if not isinstance(value, str):
        return None
    address = value.strip().lower()
    if len(address) > MAX_LENGTH or not _ADDRESS.fullmatch(address):
        return None
    return address
