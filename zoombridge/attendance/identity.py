"""Who a Zoom participant is: registrant id → email → phone number → Zoom participant id.

Payment depends on this, so there is no fuzzy matching and no guessing by display name: a
participant is tied to a person only through an identifier the person gave us (their personal
registrant link, their email, their phone number). Everyone else is left unmatched
(`person_id` NULL) for staff to match by hand.

Pure: the keys, and the phone-number rule (`zoombridge.phone_numbers`). Looking people up by them is
`zoombridge.store.person_directory`.
"""

from __future__ import annotations

from zoombridge.phone_numbers import to_e164
from zoombridge.zoom.webhooks import ParticipantIdentity

REGISTRANT, EMAIL, PHONE, ZOOM = "registrant", "email", "phone", "zoom"


def normalise_phone(raw: str | None) -> str | None:
    """A phone number as E.164 (`+447700900123`), or None when it cannot be read exactly.

    `07700 900123`, `+44 7700 900123` and `0044 7700 900123` are the same number; so are
    `+33 1 23 45 67 89` and `0033 1 23 45 67 89`. Caller ids that Zoom masks (`+44******123`) or
    that hold letters are not numbers: None, never a guess (`zoombridge.phone_numbers`).
    """
    return to_e164(raw)


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
