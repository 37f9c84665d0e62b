"""Who a Zoom participant is: registrant id → email → phone number → Zoom participant id.

Payment depends on this, so there is no fuzzy matching and no guessing by display name: a
participant is tied to a person only through an identifier the person gave us (their personal
registrant link, their email, their phone number). Everyone else is left unmatched
(`person_id` NULL) for staff to match by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import Person, Registration
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


@dataclass(frozen=True)
class Match:
    person_id: int
    matched_by: str  # registrant | email | phone


class PersonDirectory:
    """Finds people for participants, loading each kind of lookup once per ingest run."""

    def __init__(self, s: DbSession, session_id: int | None):
        self._s = s
        self._session_id = session_id
        self._phones: dict[str, list[int]] | None = None
        self._registered: set[int] | None = None

    def match(self, identity: ParticipantIdentity) -> Match | None:
        if identity.registrant_id:
            found = self._by_registrant(identity.registrant_id)
            if found is not None:
                return Match(found, REGISTRANT)
        if identity.email:
            found = self._s.scalar(select(Person.id).where(Person.email == identity.email))
            if found is not None:
                return Match(found, EMAIL)
        phone = normalise_phone(identity.phone_number)
        if phone:
            found = self._by_phone(phone)
            if found is not None:
                return Match(found, PHONE)
        return None

    def _by_registrant(self, registrant_id: str) -> int | None:
        # A recurring meeting keeps one registrant id across its occurrences: several
        # registrations may carry it, all for the same person. Prefer this session's.
        rows = self._s.execute(
            select(Registration.person_id, Registration.session_id)
            .where(Registration.zoom_registrant_id == registrant_id)
        ).all()
        people = {person_id for person_id, _ in rows}
        if len(people) == 1:
            return people.pop()
        own = {person_id for person_id, session_id in rows if session_id == self._session_id}
        return own.pop() if len(own) == 1 else None

    def _by_phone(self, phone: str) -> int | None:
        if self._phones is None:
            self._phones = {}
            for person_id, raw in self._s.execute(select(Person.id, Person.phone).where(Person.phone.is_not(None))):
                number = normalise_phone(raw)
                if number:
                    self._phones.setdefault(number, []).append(person_id)
        candidates = self._phones.get(phone, [])
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:  # a shared landline: only the one registered for this session
            registered = [p for p in candidates if p in self._registered_people()]
            return registered[0] if len(registered) == 1 else None
        return None

    def _registered_people(self) -> set[int]:
        if self._registered is None:
            self._registered = set()
            if self._session_id is not None:
                self._registered = set(self._s.scalars(
                    select(Registration.person_id).where(Registration.session_id == self._session_id)))
        return self._registered
