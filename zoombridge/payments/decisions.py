"""Payment decisions as a ledger: versioned rows, reviewed by staff, never changed silently.

- `recompute_session` applies the policy to everyone at a session (attended, or registered)
  and writes a new version only when the result moves: a changed amount, eligibility or payment
  method, or — before anyone has reviewed it — changed evidence. A decision staff have already
  approved, rejected or exported is never overwritten: a changed result becomes a new version
  with status `needs_review`, and the reviewed version stays in the history.
- Staff `approve` (in place: nothing about the decision changes but its status), `adjust` (a new
  version with the amount staff set and their reason) or `reject` (a new version with their
  reason). Every write has an audit line in the same transaction.
- A decision says what is *due*; what was *paid* is the ledger (`payments/ledger.py`), so a new
  version after an export (a changed claim, an adjustment, a rejection) makes the next export pay
  only the difference, up or down.
- Races: every write to a decision is checked against the row version it read (SQLAlchemy's
  version counter, `PaymentDecision.row_version`), and exports claim rows with the same check,
  so of a review and an export (or two reviews) racing on one decision, one wins and the other
  is refused (`StaleDataError`, answered 409), on SQLite and PostgreSQL alike. Every review
  (approve, adjust, reject) first takes the person's row (`hold_person`), as erasure does, so a
  review and an erasure of the same person never interleave: the second waits for the first and
  then sees what it did.
- Erased people: once a person is erased (`people.service.erase_person`) no review may change
  what they are paid or approved to be paid (409, code `person_erased`): finance could
  not reach them. Only a version that nothing was approved or paid on may still be rejected.
  A recompute leaves their decisions as they are.
- Refusals are `Refused` (`zoombridge.refusals`), kind `conflict`, each with its code:
  `conflict` (the state does not allow it), `not_payable`, `person_erased`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance import session_attendance
from zoombridge.attendance.attended_time import Attendance
from zoombridge.payments import ledger
from zoombridge.payments.money import pounds
from zoombridge.payments.policy import (
    Claim,
    Outcome,
    Policy,
    decide,
    load_policy,
    not_paid_reason,
)
from zoombridge.refusals import Refused, person_erased
from zoombridge.store import audit_log
from zoombridge.store.models import PaymentDecision, Person, Registration
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.person_records import hold_people, hold_person

POLICY_KEY = "zoombridge.payment_policy"
REVIEWED = ("approved", "rejected", "exported")
OPEN = ("proposed", "needs_review")


class DecisionError(Refused):
    """A review action that the decision's state does not allow (409, code `conflict`)."""

    kind = "conflict"

    def __init__(self, message: str, code: str = "conflict", field: str = "action"):
        super().__init__(field, message, "conflict", code=code)


class NotPayable(DecisionError):
    """Money on a case the policy never pays (staff, unpaid kinds, not opted in...), or too early."""

    def __init__(self, message: str):
        super().__init__(message, "not_payable", "amount_pence")


def current_policy() -> Policy:
    """The running app's policy, read once (tests and rehearsals may put their own in place);
    outside an app (scripts, unit tests) the policy file itself."""
    if not has_app_context():
        return load_policy()
    extensions = current_app.extensions
    if POLICY_KEY not in extensions:
        extensions[POLICY_KEY] = load_policy()
    return extensions[POLICY_KEY]


def full_pence(session: SessionRow, policy: Policy | None = None) -> int:
    """The policy's full payment for one person at this session, as scheduled (with its paid
    preparation): what a lower amount they ask for must be below (`choices.checked`)."""
    return (policy or current_policy()).full_pence(session.duration_minutes * 60, session.preparation_minutes or 0)


@dataclass(frozen=True)
class RecomputeSummary:
    new_versions: int
    unchanged: int
    needs_review: int


def claim_for(session: SessionRow, person: Person, registration: Registration | None,
              attendance: Attendance | None, scheduled_seconds: int) -> Claim:
    active = registration is not None and registration.status == "active"
    return Claim(
        session_kind=session.kind,
        scheduled_seconds=scheduled_seconds,
        attended_seconds=attendance.seconds if attendance else 0,
        is_staff=person.is_staff,
        opted_in=active and registration.wants_payment,
        payment_choice=registration.payment_choice if registration else "cash",
        lower_amount_pence=registration.lower_amount_pence if registration else None,
        charity=registration.charity if registration else None,
        public_sector_work_time=bool(registration and registration.public_sector_work_time),
        claim_confirmed=bool(registration and registration.claim_confirmed_at),
        preparation_minutes=session.preparation_minutes or 0,
        written_response=bool(registration and registration.written_response_at),
    )


def _money(outcome: dict) -> tuple:
    return (outcome.get("eligible"), outcome.get("amount_pence"), outcome.get("method"),
            outcome.get("pending_amount_pence"), outcome.get("payee"))


def current_decisions(s: DbSession, session_id: int) -> dict[int, PaymentDecision]:
    rows = s.scalars(select(PaymentDecision).where(PaymentDecision.session_id == session_id,
                                                   PaymentDecision.is_current.is_(True)))
    return {row.person_id: row for row in rows}


def recompute_session(s: DbSession, session_id: int, policy: Policy, actor: str, now: datetime) -> RecomputeSummary:
    """Bring every person's decision for this session up to date with the evidence and the policy.

    Erased people are left out: their decisions stay as they were (the people whose decisions are
    about to change are held first, so an erasure running meanwhile is waited for and seen)."""
    session = s.get(SessionRow, session_id)
    if session is None:
        raise LookupError(f"no session {session_id}")
    attendance = session_attendance.compute(s, session, policy.grace_minutes)
    registrations = {r.person_id: r for r in s.scalars(select(Registration).where(Registration.session_id == session_id))}
    person_ids = set(attendance.by_person) | {pid for pid, r in registrations.items() if r.status == "active"}
    people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
    existing = current_decisions(s, session_id)
    unchanged = 0
    changes: list[tuple[int, PaymentDecision | None, dict, Outcome, str]] = []
    for person_id in sorted(pid for pid in person_ids if people[pid].erased_at is None):
        seen = attendance.by_person.get(person_id)
        claim = claim_for(session, people[person_id], registrations.get(person_id), seen,
                          attendance.window.scheduled_seconds)
        outcome = decide(policy, claim)
        inputs = _inputs(attendance, person_id, seen, claim, outcome)
        current = existing.get(person_id)
        if current is not None and not _moved(current, inputs):
            unchanged += 1
            continue
        status = "proposed" if current is None or current.status == "proposed" else "needs_review"
        changes.append((person_id, current, inputs, outcome, status))
    erased = hold_people(s, (change[0] for change in changes))
    changes = [change for change in changes if change[0] not in erased]
    needs_review = sum(1 for change in changes if change[4] == "needs_review")

    # Written in two batches (retire the old versions, then add the new), not one flush per person:
    # a 10,000-person meeting is two round trips of batched statements instead of 20,000.
    for _, current, _, _, _ in changes:
        if current is not None:
            current.is_current = False
    s.flush()
    made = [PaymentDecision(session_id=session_id, person_id=person_id, version=(current.version + 1) if current else 1,
                            is_current=True, rule_version=policy.version, inputs=inputs, eligible=outcome.eligible,
                            amount_pence=outcome.amount_pence, reason=outcome.reason, status=status, created_at=now)
            for person_id, current, inputs, outcome, status in changes]
    s.add_all(made)
    s.flush()
    for decision, (person_id, current, _, outcome, status) in zip(made, changes, strict=True):
        audit_log.record(s, now, actor, "payment_decision.recomputed", "payment_decision", decision.id,
                         session_id=session_id, person_id=person_id, version=decision.version,
                         previous_status=current.status if current else None, status=status,
                         eligible=outcome.eligible, amount_pence=outcome.amount_pence,
                         rule_version=policy.version, reason=outcome.reason)
    return RecomputeSummary(new_versions=len(made), unchanged=unchanged, needs_review=needs_review)


def _inputs(attendance, person_id: int, seen: Attendance | None, claim: Claim, outcome: Outcome) -> dict:
    window = attendance.window
    return {
        "attended_seconds": seen.seconds if seen else 0,
        "scheduled_seconds": window.scheduled_seconds,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "participants": attendance.participants_by_person.get(person_id, []),
        "segments": list(seen.segment_ids) if seen else [],
        "sources": list(seen.sources) if seen else [],
        "claim": {k: v for k, v in claim.__dict__.items()},
        "outcome": outcome.as_dict(),
    }


def _moved(current: PaymentDecision, inputs: dict) -> bool:
    """Does the new computation differ from the one behind the current decision?

    Money (eligible, amount, method) always counts. Evidence alone (a few more seconds, one more
    segment, the same result) counts only while the decision is still open: once staff have
    reviewed it, the result is what they reviewed, and it still holds.
    """
    before = current.inputs or {}
    if _money(before.get("outcome", {})) != _money(inputs["outcome"]):
        return True
    if current.status in OPEN:
        keys = ("attended_seconds", "scheduled_seconds", "segments", "participants", "claim")
        return any(before.get(k) != inputs[k] for k in keys) or before.get("outcome") != inputs["outcome"]
    return False


def _new_version(s: DbSession, session_id: int, person_id: int, current: PaymentDecision | None, rule_version: str,
                 inputs: dict, eligible: bool, amount_pence: int, reason: str, status: str, now: datetime,
                 reviewed_by: str | None = None) -> PaymentDecision:
    if current is not None:
        current.is_current = False
        s.flush()  # one current row per person and session, even mid-transaction
    decision = PaymentDecision(
        session_id=session_id, person_id=person_id, version=(current.version + 1) if current else 1,
        is_current=True, rule_version=rule_version, inputs=inputs, eligible=eligible, amount_pence=amount_pence,
        reason=reason, status=status, created_at=now,
        reviewed_by=reviewed_by, reviewed_at=now if reviewed_by else None)
    s.add(decision)
    s.flush()
    return decision


def _current_or_refuse(s: DbSession, decision_id: int) -> PaymentDecision:
    decision = s.get(PaymentDecision, decision_id)
    if decision is None:
        raise LookupError(f"no payment decision {decision_id}")
    if not decision.is_current:
        raise DecisionError("This is an earlier version; review the current one.")
    return decision


def _reviewing(s: DbSession, decision_id: int, action: str) -> PaymentDecision:
    """The current decision, once its person's row is held: a review waits for an erasure of the
    same person (and an erasure for the review), then sees it (`hold_person`, as erasure takes it).

    After an erasure, no review may change what the person is paid or approved to be paid: an
    export for someone whose details are gone could not reach them, nor could a correction
    (`people.service.erase_person`). Rejecting a version nothing was approved or paid on (not
    paying them) is still allowed. The decision itself is still checked against the row version
    read here when it is written, so a review racing an export or another review is refused."""
    decision = _current_or_refuse(s, decision_id)
    person = hold_person(s, decision.person_id)
    if person is not None and person.erased_at is not None:
        if action == "reject" and decision.status in OPEN and not _paid(s, decision):
            return decision
        raise person_erased(f"This person's details were erased; {ERASED_REFUSALS[action]}")
    return decision


ERASED_REFUSALS = {
    "approve": "a payment to them cannot be approved: finance could not reach them.",
    "adjust": "what they are paid cannot be changed: finance could not reach them.",
    "reject": "what they were paid or approved to be paid cannot be taken back: finance could not reach them "
              "for a correction.",
}


def _paid(s: DbSession, decision: PaymentDecision) -> int:
    pair = (decision.session_id, decision.person_id)
    return ledger.paid_by_pair(s, [pair])[pair]


def _within_their_choice(s: DbSession, decision: PaymentDecision, amount_pence: int) -> None:
    """A person who asked for a lower amount is never paid more than they named, by staff either."""
    registration = s.scalar(select(Registration).where(Registration.session_id == decision.session_id,
                                                       Registration.person_id == decision.person_id))
    ceiling = registration.lower_amount_pence if registration and registration.payment_choice == "lower" else None
    if ceiling is not None and amount_pence > ceiling:
        raise NotPayable(f"They asked to be paid a lower amount, £{pounds(ceiling)}; pay no more than that "
                         "unless they change their choice.")


def has_ended(session: SessionRow, now: datetime) -> bool:
    """The meeting ended (Zoom said so), or its scheduled time is over."""
    if session.ended_at is not None:
        return True
    return now >= session.starts_at + timedelta(minutes=session.duration_minutes)


def payment_refusal(s: DbSession, decision: PaymentDecision, policy: Policy, now: datetime,
                    adjusting: bool) -> str | None:
    """Why no money may be paid on this decision now, judged on today's facts, or None.

    The facts are read afresh (the person may have joined the staff, or declined, since the
    decision was worked out). An adjustment is also refused until the session has happened.
    """
    session = s.get(SessionRow, decision.session_id)
    person = s.get(Person, decision.person_id)
    registration = s.scalar(select(Registration).where(Registration.session_id == decision.session_id,
                                                       Registration.person_id == decision.person_id))
    claim = claim_for(session, person, registration, None, 0)
    reason = not_paid_reason(policy, claim)
    if reason is None and adjusting and session.status == "cancelled":
        reason = "The session was cancelled."
    if reason is None and adjusting and not has_ended(session, now):
        reason = "The session has not ended yet; adjust the payment after it."
    return reason


def approve(s: DbSession, decision_id: int, actor: str, now: datetime, note: str = "",
            policy: Policy | None = None) -> PaymentDecision:
    decision = _reviewing(s, decision_id, "approve")
    if decision.status == "exported":
        raise DecisionError("Already approved and sent to finance.")
    if not decision.eligible:
        raise DecisionError("Not eligible under the policy; adjust it with an amount and a reason to pay anyway.")
    refusal = payment_refusal(s, decision, policy or current_policy(), now, adjusting=False)
    if refusal is not None:
        raise NotPayable(f"Cannot be paid: {refusal}")
    previous = decision.status
    decision.status, decision.reviewed_by, decision.reviewed_at = "approved", actor, now
    s.flush()  # the version-checked write: a decision changed meanwhile (an export, an adjustment) is refused
    audit_log.record(s, now, actor, "payment_decision.approved", "payment_decision", decision.id,
                     session_id=decision.session_id, person_id=decision.person_id, version=decision.version,
                     previous_status=previous, amount_pence=decision.amount_pence, note=note)
    return decision


def policy_pence(decision: PaymentDecision) -> int:
    """What the policy alone would pay on this decision's evidence (0 when it would not pay)."""
    outcome = (decision.inputs or {}).get("outcome", {})
    return int(outcome.get("amount_pence") or 0) if outcome.get("eligible") else 0


def adjust(s: DbSession, decision_id: int, amount_pence: int, reason: str, actor: str, now: datetime,
           policy: Policy | None = None) -> PaymentDecision:
    """Staff set the amount themselves: a new, approved version carrying their reason.

    Refused (NotPayable) when the case is one the policy never pays, or the session has not
    happened. An amount above what the policy would pay is allowed with the reason, and marked
    as above policy in the decision, the audit line and the finance export.
    """
    current = _reviewing(s, decision_id, "adjust")
    if amount_pence > 0:
        refusal = payment_refusal(s, current, policy or current_policy(), now, adjusting=True)
        if refusal is not None:
            raise NotPayable(f"Cannot be paid: {refusal}")
        _within_their_choice(s, current, amount_pence)
    by_policy = policy_pence(current)
    above = max(0, amount_pence - by_policy)
    inputs = dict(current.inputs or {})
    inputs["adjusted_from"] = {"decision_id": current.id, "amount_pence": current.amount_pence,
                               "eligible": current.eligible, "reason": current.reason}
    inputs["adjustment"] = {"amount_pence": amount_pence, "policy_pence": by_policy, "above_policy_pence": above,
                            "reason": reason, "by": actor}
    text = f"Adjusted by staff: {reason}"
    if above:
        text += f" (above policy: £{pounds(above)} more than the policy's £{pounds(by_policy)})"
    decision = _new_version(s, current.session_id, current.person_id, current, current.rule_version, inputs,
                            amount_pence > 0, amount_pence, text, "approved", now, reviewed_by=actor)
    audit_log.record(s, now, actor, "payment_decision.adjusted", "payment_decision", decision.id,
                     session_id=current.session_id, person_id=current.person_id, version=decision.version,
                     previous_decision=current.id, previous_amount_pence=current.amount_pence,
                     amount_pence=amount_pence, reason=reason, policy_pence=by_policy,
                     above_policy=above > 0, above_policy_pence=above)
    return decision


def reject(s: DbSession, decision_id: int, reason: str, actor: str, now: datetime) -> PaymentDecision:
    """A new version that pays nothing; if an earlier export paid, the next one takes it back."""
    current = _reviewing(s, decision_id, "reject")
    if current.status == "rejected":
        raise DecisionError("Already rejected.")
    decision = _new_version(s, current.session_id, current.person_id, current, current.rule_version,
                            dict(current.inputs or {}), False, 0, f"Rejected by staff: {reason}", "rejected", now,
                            reviewed_by=actor)
    audit_log.record(s, now, actor, "payment_decision.rejected", "payment_decision", decision.id,
                     session_id=current.session_id, person_id=current.person_id, version=decision.version,
                     previous_decision=current.id, previous_amount_pence=current.amount_pence, reason=reason)
    return decision
