"""Who a Zoom participant is: registrant id → email → phone number → Zoom participant id.

Payment depends on this, so there is no fuzzy matching and no guessing by display name: a
participant is tied to a person only through an identifier the person gave us (their personal
registrant link, their email, their phone number). Everyone else is left unmatched
(`person_id` NULL) for staff to match by hand.

Pure: the keys and the phone-number rule. Looking people up by them is
`zoombridge.store.person_directory`.
"""

from __future__ import annotations

import re

from zoombridge.zoom.webhooks import ParticipantIdentity

REGISTRANT, EMAIL, PHONE, ZOOM = "registrant", "email", "phone", "zoom"
_PHONE_ALLOWED = re.compile(r"^\+?[0-9 ()./-]{6,40}$")


def normalise_phone(raw: str | None, country_code: str = "44") -> str | None:
    """A phone number as `+` and digits, or None when it cannot be read exactly.

    `07700 900123`, `+44 7700 900123` and `0044 7700 900123` are the same number. Caller ids
    that Zoom masks (`+44******123`) or that hold letters are not numbers: None, never a guess.
    """
    if not raw:
        return None
    text = raw.strip()
    if not _PHONE_ALLOWED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = country_code + digits[1:]
    else:
        number = digits
    if not 7 <= len(number) <= 15:
        return None
    return "+" + number


def participant_key(identity: ParticipantIdentity) -> str:
    """The key a participant is filed under for one meeting instance, strongest identifier first."""
    if identity.registrant_id:
        return f"{REGISTRANT}:{identity.registrant_id}"
    if identity.email:
        return f"{EMAIL}:{identity.email}"
    phone = normalise_phone(identity.phone_number)
    if phone:
        return f"{PHONE}:{phone}"
    zoom_id = identity.zoom_user_id or identity.participant_uuid or identity.user_id or "unknown"
    return f"{ZOOM}:{zoom_id}"[:200]
