"""A person's payment claim for a session, as they told us: confirmed, declined, or a voucher.

Public-involvement practice (e.g. NIHR's payment policy) has the person confirm their claim, lets
them decline or take a voucher (cash can affect state benefits), and does not pay someone on a
public-sector salary for work done in work time. Staff record what the person said; every change
is audited and the decision is recomputed in the same transaction by the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments.policy import PAYMENT_CHOICES
from zoombridge.refusals import Refused
from zoombridge.store import audit_log
from zoombridge.store.models import Registration
from zoombridge.store.models import Session as SessionRow


class ClaimError(Refused):
    """A payment claim field that cannot be taken as given."""


FIELDS = ("wants_payment", "payment_choice", "public_sector_work_time", "confirmed", "written_response")


def update_claim(s: DbSession, session_id: int, person_id: int, body: dict, actor: str, now: datetime) -> Registration:
    registration = s.scalar(select(Registration).where(Registration.session_id == session_id,
                                                       Registration.person_id == person_id))
    if registration is None:
        raise ClaimError("person_id", "This person is not registered for this session.", "not_found")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ClaimError(unknown[0], f"Unknown field; use {', '.join(FIELDS)}.")
    for name in ("wants_payment", "public_sector_work_time", "confirmed", "written_response"):
        if name in body and not isinstance(body[name], bool):
            raise ClaimError(name, "Must be true or false.")
    if "payment_choice" in body and body["payment_choice"] not in PAYMENT_CHOICES:
        raise ClaimError("payment_choice", f"Must be one of {', '.join(PAYMENT_CHOICES)}.")
    before = claim_state(registration)
    if "wants_payment" in body:
        registration.wants_payment = body["wants_payment"]
    if "payment_choice" in body:
        registration.payment_choice = body["payment_choice"]
    if "public_sector_work_time" in body:
        registration.public_sector_work_time = body["public_sector_work_time"]
    if "confirmed" in body:
        registration.claim_confirmed_at = (registration.claim_confirmed_at or now) if body["confirmed"] else None
    if "written_response" in body:
        registration.written_response_at = (registration.written_response_at or now) if body["written_response"] else None
    after = claim_state(registration)
    if after != before:
        audit_log.record(s, now, actor, "payment_claim.updated", "registration", registration.id,
                         session_id=session_id, person_id=person_id, before=before, after=after)
    return registration


def claim_state(registration: Registration) -> dict:
    return {"wants_payment": registration.wants_payment, "payment_choice": registration.payment_choice,
            "public_sector_work_time": registration.public_sector_work_time,
            "confirmed": registration.claim_confirmed_at is not None,
            "written_response": registration.written_response_at is not None}


def set_preparation(s: DbSession, session: SessionRow, minutes: object, actor: str, now: datetime) -> None:
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 600:
        raise ClaimError("preparation_minutes", "Give whole minutes from 0 to 600.")
    if session.preparation_minutes != minutes:
        audit_log.record(s, now, actor, "session.preparation_set", "session", session.id,
                         before=session.preparation_minutes, after=minutes)
        session.preparation_minutes = minutes
