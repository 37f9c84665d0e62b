"""Finding the person behind a Zoom participant, by the identifiers `attendance.identity` ranks:
registrant id → email → phone number (never a display name).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance.identity import EMAIL, PHONE, REGISTRANT, normalise_phone
from zoombridge.store.models import Person, Registration
from zoombridge.store.sql import one_of
from zoombridge.zoom.webhooks import ParticipantIdentity


@dataclass(frozen=True)
class Match:
    person_id: int
    matched_by: str  # registrant | email | phone


class PersonDirectory:
    """Finds people for a meeting's participants with a few set-wise queries, not one per person.

    Built once per ingest run from all the identities it will be asked about.
    """

    def __init__(self, s: DbSession, session_id: int | None, identities: Iterable[ParticipantIdentity]):
        self._s = s
        self._session_id = session_id
        self._phones: dict[str, list[int]] | None = None
        self._registered: set[int] | None = None
        identities = list(identities)
        registrant_ids = sorted({i.registrant_id for i in identities if i.registrant_id})
        emails = sorted({i.email for i in identities if i.email})
        self._registrants: dict[str, list[tuple[int, int]]] = {}
        for chunk in _chunks(registrant_ids):
            for registrant_id, person_id, session in s.execute(
                    select(Registration.zoom_registrant_id, Registration.person_id, Registration.session_id)
                    .where(one_of(s, Registration.zoom_registrant_id, chunk))):
                self._registrants.setdefault(registrant_id, []).append((person_id, session))
        self._emails: dict[str, int] = {}
        for chunk in _chunks(emails):
            self._emails.update({email: person_id for email, person_id in s.execute(
                select(Person.email, Person.id).where(one_of(s, Person.email, chunk)))})

    def match(self, identity: ParticipantIdentity) -> Match | None:
        if identity.registrant_id:
            found = self._by_registrant(identity.registrant_id)
            if found is not None:
                return Match(found, REGISTRANT)
        if identity.email and identity.email in self._emails:
            return Match(self._emails[identity.email], EMAIL)
        phone = normalise_phone(identity.phone_number)
        if phone:
            found = self._by_phone(phone)
            if found is not None:
                return Match(found, PHONE)
        return None

    def _by_registrant(self, registrant_id: str) -> int | None:
        # A recurring meeting keeps one registrant id across its occurrences: several
        # registrations may carry it, all for the same person. Prefer this session's.
        rows = self._registrants.get(registrant_id, [])
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


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
