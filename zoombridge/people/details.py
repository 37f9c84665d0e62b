"""A person's details, and the one rule for changing them (issue 13, item 9).

A person (`Person`) is shared by every session they take part in. Their first name is what the
meeting and the host see, their email is where their links go, their phone number is how a
caller is recognised (and so paid), and `is_staff` is an access right. So a stored person changes
only with proof, and every change has an audit line naming who, on what proof, and which fields
(never the values: the audit trail carries ids, not identities):

- **staff** (the staff API and pages, a CSV import staff upload, `zoombridge staff add/remove`):
  the change is made at once; staff are the proof.
- **the person**: a public registration is anyone on the internet typing an email. It may make a
  registration, but new details for a known email change nothing; they are kept as a
  `PersonChange` and the address we hold is emailed a link (signed with the secret key, single
  use, valid for 48 hours by the app's clock). Opening the link shows the new details; pressing
  Confirm makes the change. A link made before a newer change of the person cannot undo it.
- **never** from the public page: a staff member's own record (not even with a link), and
  anything but first name and phone. A person is asked at most three times a day.

Nothing else writes a person: `zoombridge.store.person_writes` refuses, at flush, any new person
or changed guarded field that did not come through `add_person` or `change` here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from zoombridge import runtime
from zoombridge.attendance.identity import normalise_phone
from zoombridge.notify import messages
from zoombridge.queue import intents
from zoombridge.queue.intents import Intent
from zoombridge.refusals import Refused, conflict, not_found
from zoombridge.store import audit_log, person_writes
from zoombridge.store.models import EmailMessage, Person, PersonChange
from zoombridge.unit_of_work import Done

CHANGEABLE = ("first_name", "phone")  # what a registration may ask to change; email is who they are
CONFIRM_WITHIN = timedelta(hours=48)
ASKS_PER_DAY = 3  # confirmation emails to one person in any 24 hours: a stranger cannot flood them
TOKEN_PREFIX = "zbc_"  # marks a confirmation link's token (the log scan looks for it)
TOKEN_SALT = "zoombridge.people.details confirmation"
MAX_TOKEN_LENGTH = 400
PERSON = "the person, by the link emailed to them"  # the actor of a confirmed change


@dataclass(frozen=True)
class Proof:
    """Why a stored person may be changed: `staff` (who acted) or `person` (the request they confirmed)."""

    kind: str  # staff | person
    actor: str
    request_id: int | None = None


def by_staff(actor: str) -> Proof:
    return Proof("staff", actor)


@dataclass(frozen=True)
class ConfirmDetails:
    token: object  # as it came back from the emailed link


# --- people ------------------------------------------------------------------------------------

def find(s: DbSession, email: str) -> Person | None:
    """The person with this (normalised, lower-case) email."""
    return s.scalar(select(Person).where(Person.email == email))


def add_person(s: DbSession, *, first_name: str, email: str | None, phone: str | None = None,
               is_staff: bool = False, now: datetime) -> Person:
    """Someone new. Nothing stored about anyone changes, so no proof is asked; what made them (a
    registration, `zoombridge staff add`) writes its own audit line."""
    person = Person(first_name=first_name, email=email, phone=phone, is_staff=is_staff, created_at=now)
    with person_writes.allowed(s, person):
        s.add(person)
    return person


def change(s: DbSession, person: Person, changes: Mapping[str, object], proof: Proof, now: datetime, *,
           action: str = "person.changed", **details) -> None:
    """The one write to a stored person: with proof, and with its audit line."""
    unknown = set(changes) - set(person_writes.GUARDED)
    if unknown or proof.kind not in ("staff", "person"):
        raise ValueError(f"cannot change {sorted(unknown)} with {proof.kind!r} proof")
    if proof.kind == "person" and (person.is_staff or set(changes) - set(CHANGEABLE)):
        raise conflict("staff_record", "These details can only be changed by staff. Please contact us.", "token")
    with person_writes.allowed(s, person):
        for name, value in changes.items():
            setattr(person, name, value)
    if proof.request_id is not None:
        details["request"] = proof.request_id
    audit_log.record(s, now, proof.actor, action, "person", person.id, fields=sorted(changes), proof=proof.kind,
                     **details)


def _same_phone(given: str | None, stored: str | None) -> bool:
    return (normalise_phone(given) or given) == (normalise_phone(stored) or stored)


def differences(person: Person, first_name: str, phone: str | None) -> dict[str, object]:
    """What a registration's answers would change about a stored person (a phone left out is no change)."""
    wanted: dict[str, object] = {}
    if first_name != person.first_name:
        wanted["first_name"] = first_name
    if phone and not _same_phone(phone, person.phone):
        wanted["phone"] = phone
    return wanted


def person_for_registration(s: DbSession, *, email: str, first_name: str, phone: str | None, source: str,
                            actor: str, session_id: int, now: datetime) -> tuple[Person, tuple[Intent, ...]]:
    """The person a registration is for: someone new, or the stored person, changed when staff
    registered them with new details, or asked (by email) when the public page did."""
    person = find(s, email)
    if person is None:
        try:
            with s.begin_nested():  # two first registrations of one email at once: the second finds the first
                return add_person(s, first_name=first_name, email=email, phone=phone, now=now), ()
        except IntegrityError:
            person = find(s, email)
            if person is None:
                raise
    wanted = differences(person, first_name, phone)
    if not wanted:
        return person, ()
    if source == "public":
        return person, _ask_the_person(s, person, wanted, session_id, actor, now)
    change(s, person, wanted, by_staff(actor), now, source=source)
    return person, ()


# --- asking the person --------------------------------------------------------------------------

def _basis(person: Person) -> str:
    """A keyed digest of the details a request would change, as they are now."""
    values = json.dumps([person.first_name, normalise_phone(person.phone) or person.phone]).encode()
    return hmac.new(runtime.settings().effective_secret_key.encode(), values, hashlib.sha256).hexdigest()


def _ask_the_person(s: DbSession, person: Person, wanted: dict, session_id: int, actor: str,
                    now: datetime) -> tuple[Intent, ...]:
    fields = sorted(wanted)
    refused = None
    if person.is_staff:
        refused = "staff"
    elif s.scalar(select(func.count()).select_from(PersonChange).where(
            PersonChange.person_id == person.id, PersonChange.requested_at > now - timedelta(days=1))) >= ASKS_PER_DAY:
        refused = "too_many_requests"
    if refused:
        audit_log.record(s, now, actor, "person.change_refused", "person", person.id, fields=fields, reason=refused,
                         source="public")
        return ()
    request = PersonChange(person_id=person.id, session_id=session_id, wanted=dict(wanted), basis=_basis(person),
                           nonce=secrets.token_urlsafe(32), requested_at=now, expires_at=now + CONFIRM_WITHIN)
    s.add(request)
    s.flush()
    audit_log.record(s, now, actor, "person.change_requested", "person", person.id, fields=fields,
                     request=request.id, source="public")
    return (Intent(intents.send_details_confirmation, (request.id,)),)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(runtime.settings().effective_secret_key, salt=TOKEN_SALT)


def confirmation_token(request: PersonChange) -> str:
    """The token of the emailed link: the request and its nonce, signed with the secret key, so
    neither the database alone nor the key alone makes a working link."""
    return TOKEN_PREFIX + _serializer().dumps([request.id, request.nonce])


def waiting_request(s: DbSession, request_id: int, now: datetime) -> PersonChange | None:
    """The request if its link may still be sent (not decided, not expired)."""
    request = s.get(PersonChange, request_id)
    if request is None or request.decided_at is not None or not request.nonce or now >= request.expires_at:
        return None
    return request


def unsent_requests(s: DbSession, now: datetime) -> list[int]:
    """Requests still waiting whose email was not sent (its job lost with Redis, say): the safety
    sweep enqueues them again; the email's intent keeps it to one."""
    waiting = s.scalars(select(PersonChange.id).where(
        PersonChange.decided_at.is_(None), PersonChange.nonce.is_not(None), PersonChange.expires_at > now)).all()
    if not waiting:
        return []
    intent = messages.details_confirmation_intent
    sent = set(s.scalars(select(EmailMessage.intent).where(
        EmailMessage.intent.in_([intent(i) for i in waiting]), EmailMessage.status != "failed")))
    return [i for i in waiting if intent(i) not in sent]


# --- the person confirms ------------------------------------------------------------------------

def _not_valid() -> Refused:
    return not_found("This link is not valid. Please copy the whole link from the email, or contact us.",
                     field="token")


def _used() -> Refused:
    return conflict("link_used", "This link has already been used. Your details were updated then.", "token")


def _request_for(s: DbSession, token: object, now: datetime) -> tuple[PersonChange, Person]:
    """The request behind a link, if the link is genuine, unused, in time and still applies."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise _not_valid()
    try:
        request_id, nonce = _serializer().loads(token[len(TOKEN_PREFIX):])
    except (BadSignature, ValueError, TypeError):
        raise _not_valid() from None
    if type(request_id) is not int or not 0 < request_id < 2**63 or not isinstance(nonce, str):
        raise _not_valid()
    request = s.get(PersonChange, request_id)
    if request is None:
        raise _not_valid()
    if request.decided_at is not None or not request.nonce:
        raise _used()
    if not hmac.compare_digest(request.nonce.encode(), nonce.encode()):
        raise _not_valid()
    if now >= request.expires_at:
        raise conflict("link_expired", "This link has expired: links work for 48 hours. Register again, or "
                                       "contact us, to change your details.", "token")
    person = s.get(Person, request.person_id)
    if person is None or not hmac.compare_digest(request.basis, _basis(person)):
        raise conflict("link_outdated", "Your details have changed since this link was sent, so it no longer "
                                        "applies. Register again, or contact us, to change them.", "token")
    return request, person


def requested_change(s: DbSession, token: object) -> dict:
    """What the link would change (for the page that asks the person to confirm); changes nothing."""
    request, _person = _request_for(s, token, runtime.now())
    return {name: request.wanted[name] for name in CHANGEABLE if name in request.wanted}


def confirm_details(s: DbSession, command: ConfirmDetails, actor: str) -> Done[dict]:
    """The person pressed Confirm: the request is claimed once (a guarded UPDATE, so two presses
    at once change the person once) and its details become theirs."""
    now = runtime.now()
    request, person = _request_for(s, command.token, now)
    claimed = s.execute(
        update(PersonChange).where(PersonChange.id == request.id, PersonChange.decided_at.is_(None))
        .values(decided_at=now, outcome="confirmed", nonce=None)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise _used()
    change(s, person, request.wanted, Proof("person", actor, request.id), now)
    return Done({"fields": sorted(request.wanted)})
