"""Phone and data cost support: a separate claim (an amount and what it was for) that any
attendee of any session can have, paid or unpaid session alike, once staff approve it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session as DbSession

from zoombridge.refusals import Refused, person_erased
from zoombridge.store import audit_log
from zoombridge.store.models import CostClaim, Participant, Person, Registration
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.person_records import hold_person

MAX_CLAIM_PENCE = 100_00  # a typo guard: £100 of phone costs for one session is someone's mistake


class CostClaimError(Refused):
    """A cost claim refused: (field, message, kind) for a 4xx answer naming the field."""


def was_at(s: DbSession, session: SessionRow, person_id: int) -> bool:
    """Registered for the session, or matched to someone who joined it."""
    registered = s.scalar(select(exists().where(Registration.session_id == session.id,
                                                Registration.person_id == person_id)))
    joined = s.scalar(select(exists().where(Participant.person_id == person_id,
                                            (Participant.session_id == session.id)
                                            | (Participant.meeting_uuid == (session.meeting_uuid or "")))))
    return bool(registered or joined)


def create(s: DbSession, session_id: int, person_id: int, amount_pence: int, what_for: str, actor: str,
           now: datetime) -> CostClaim:
    session = s.get(SessionRow, session_id)
    if session is None:
        raise CostClaimError("session_id", "No such session.", "not_found")
    if s.get(Person, person_id) is None:
        raise CostClaimError("person_id", "No such person.")
    if not was_at(s, session, person_id):
        raise CostClaimError("person_id", "This person was not registered for or at this session.")
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool) or not 0 < amount_pence <= MAX_CLAIM_PENCE:
        raise CostClaimError("amount_pence", f"Give a whole number of pence from 1 to {MAX_CLAIM_PENCE}.")
    what_for = (what_for or "").strip()
    if not what_for:
        raise CostClaimError("what_for", "Say what the cost was for (phone minutes, landline, mobile data).")
    claim = CostClaim(session_id=session_id, person_id=person_id, amount_pence=amount_pence, what_for=what_for[:500],
                      status="claimed", created_by=actor, created_at=now)
    s.add(claim)
    s.flush()
    audit_log.record(s, now, actor, "cost_claim.created", "cost_claim", claim.id, session_id=session_id,
                     person_id=person_id, amount_pence=amount_pence, what_for=claim.what_for)
    return claim


def review(s: DbSession, claim_id: int, action: str, actor: str, now: datetime, note: str = "") -> CostClaim:
    claim = s.get(CostClaim, claim_id)
    if claim is None:
        raise CostClaimError("id", "No such cost claim.", "not_found")
    if action not in ("approve", "reject"):
        raise CostClaimError("action", "Use approve or reject.")
    if claim.status == "exported":
        raise CostClaimError("action", "Already exported to finance; it cannot be changed.", "conflict")
    if action == "reject" and not note.strip():
        raise CostClaimError("reason", "Say why it is rejected.")
    person = hold_person(s, claim.person_id)  # waits for an erasure of them (as a payment review does)
    if person is not None and person.erased_at is not None and (action == "approve" or claim.status != "claimed"):
        raise person_erased("This person's details were erased; money for their claim cannot be approved or "
                            "changed: finance could not reach them.")
    s.refresh(claim)
    if claim.status == "exported":
        raise CostClaimError("action", "Already exported to finance; it cannot be changed.", "conflict")
    previous = claim.status
    claim.status = "approved" if action == "approve" else "rejected"
    claim.reviewed_by, claim.reviewed_at, claim.review_note = actor, now, note.strip()
    audit_log.record(s, now, actor, f"cost_claim.{claim.status}", "cost_claim", claim.id,
                     previous_status=previous, amount_pence=claim.amount_pence, note=claim.review_note)
    return claim
