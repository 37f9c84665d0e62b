"""A person's payment claim for a session, as they told us: confirmed, and how they want it paid.

Public-involvement practice (NIHR, SCIE: docs/payments.md) has the person confirm their claim,
lets them decline, ask for a lower amount, have it paid to a charity or take a voucher (income,
like money: `payments/choices.py`), and does not pay someone on a public-sector salary for work
done in work time. Staff record what the person said; every change
is audited and the decision is recomputed in the same transaction by the caller. A lower amount
is checked against the session's full payment (`decisions.full_pence`). The claim of someone
whose details were erased is what their kept payments were worked out from: it is not changed
(409, `person_erased`), and a change waits for an erasure of them running meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments import choices, decisions
from zoombridge.payments.policy import Policy
from zoombridge.refusals import Refused, person_erased
from zoombridge.store import audit_log
from zoombridge.store.models import Registration
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.person_records import hold_person


class ClaimError(Refused):
    """A payment claim field that cannot be taken as given."""


FIELDS = ("wants_payment", "payment_choice", "lower_amount_pence", "charity", "public_sector_work_time", "confirmed",
          "written_response")


def update_claim(s: DbSession, session_id: int, person_id: int, body: dict, actor: str, now: datetime,
                 policy: Policy | None = None) -> Registration:
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
    # A lower amount given now is checked against the full payment; one kept from before stays a ceiling.
    full = decisions.full_pence(s.get(SessionRow, session_id), policy) if "lower_amount_pence" in body else None
    choice = _choice(registration, body, full)
    person = hold_person(s, person_id)
    if person is not None and person.erased_at is not None:
        raise person_erased("This person's details were erased; the claim their payments were worked out from "
                            "is kept as it was.")
    before = claim_state(registration)
    if "wants_payment" in body:
        registration.wants_payment = body["wants_payment"]
    registration.payment_choice = choice.kind
    registration.lower_amount_pence, registration.charity = choice.lower_amount_pence, choice.charity
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


def _choice(registration: Registration, body: dict, full_pence: int | None) -> choices.Choice:
    """The choice after this change: a field not given keeps its value while the choice keeps its kind."""
    kind = body.get("payment_choice", registration.payment_choice)
    kept = kind == registration.payment_choice
    lower = body["lower_amount_pence"] if "lower_amount_pence" in body else \
        (registration.lower_amount_pence if kept else None)
    charity = body["charity"] if "charity" in body else (registration.charity if kept else None)
    return choices.checked(kind, lower, charity, full_pence=full_pence)


def claim_state(registration: Registration) -> dict:
    return {"wants_payment": registration.wants_payment, "payment_choice": registration.payment_choice,
            "lower_amount_pence": registration.lower_amount_pence, "charity": registration.charity,
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
