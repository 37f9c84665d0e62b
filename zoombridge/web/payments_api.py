"""Staff review of attendance and payments under `/api/v1` (the same bearer-token check).

Views are thin: parse and check the request, call the attendance/payments code in one unit of
work (so a refused request writes nothing), shape the answer. The domain's refusals (`Refused`:
a decision's `conflict`, `not_payable` or `person_erased`, a claim's or cost claim's wrong field)
reach the caller as they are, through the one error handler (`web/errors.py`): their status,
code and field, never a 500 and never re-labelled here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, Field
from sqlalchemy import select

from zoombridge import runtime
from zoombridge.attendance import session_attendance
from zoombridge.attendance.matching import match_participant
from zoombridge.notify.messages import statement_intent
from zoombridge.payments import choices, claims, cost_claims, decisions, ledger, yearly_income
from zoombridge.payments.export import export_approved
from zoombridge.payments.money import MAX_PENCE, pounds
from zoombridge.payments.policy import PAYMENT_CHOICES
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.store import audit_log, db_session
from zoombridge.store.models import AttendanceDifference, CostClaim, EmailMessage, PaymentDecision, Person
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.statements import build_statement
from zoombridge.web import openapi
from zoombridge.web.errors import ApiError, invalid
from zoombridge.web.input_guards import FLAG_WORDS, query_flag, query_ids, query_whole
from zoombridge.web.openapi import Closed

blueprint = Blueprint("payments_api", __name__)  # under /api/v1 (web.staff_api.api_v1)


# --- the contract (zoombridge.web.openapi): what these views take and answer ---------------

class Decision(BaseModel):
    id: int
    session_id: int
    person_id: int
    version: int
    is_current: bool
    status: str = Field(description="needs_review, approved, adjusted, rejected, exported, ...")
    eligible: bool
    amount_pence: int
    amount_gbp: str
    method: str | None = Field(description="cash, voucher, charity or none: how it is paid (their choice)")
    payee: str | None = Field(description="The charity paid instead of the person (method charity)")
    reason: str | None
    rule_version: str
    attended_minutes: float
    pending_amount_pence: int
    reviewed_by: str | None
    reviewed_at: datetime | None
    exported_at: datetime | None
    export_batch: str | None
    created_at: datetime | None


class Recomputed(BaseModel):
    new_versions: int
    unchanged: int
    needs_review: int


class ParticipantOut(BaseModel):
    id: int
    display_name: str | None
    matched_by: str | None
    person_id: int | None
    has_email: bool
    has_phone: bool
    minutes: float


class PersonAttendance(BaseModel):
    person_id: int
    first_name: str | None
    minutes: float
    seconds: int
    sources: list[str]
    participants: list[Any]
    decision: Decision | None


class Window(BaseModel):
    start: datetime | None
    end: datetime | None


class Difference(BaseModel):
    id: int
    participant_id: int | None
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    seconds: int | None
    details: dict[str, Any] | None


class AttendanceOut(BaseModel):
    session_id: int
    window: Window
    scheduled_minutes: int
    attendance_final_at: datetime | None
    rule_version: str
    people: list[PersonAttendance]
    unmatched: list[ParticipantOut]
    differences: list[Difference]


class Participants(BaseModel):
    participants: list[ParticipantOut]


Flag = Literal[tuple(FLAG_WORDS)]  # type: ignore[valid-type]  # input_guards.query_flag


class UnmatchedOnly(BaseModel):
    unmatched: Flag | None = Field(None, description="1, true or yes: only participants no one has matched")


class MatchIn(BaseModel):
    person_id: int = Field(ge=1, description="The person this participant is")


class MatchedParticipant(BaseModel):
    id: int
    person_id: int | None
    matched_by: str | None


class Matched(BaseModel):
    participant: MatchedParticipant
    recomputed: Recomputed


class RecomputeOut(BaseModel):
    recomputed: Recomputed


class ClaimIn(Closed):
    """What the person told us; each field left out stays as it was."""

    wants_payment: bool = openapi.optional()
    payment_choice: Literal[PAYMENT_CHOICES] = openapi.optional(  # type: ignore[valid-type]
        description="How they want to be paid (payments/choices.py)")
    lower_amount_pence: int | None = Field(None, ge=1, le=choices.MAX_LOWER_PENCE,
                                           description="With payment_choice lower: the most they want, in pence")
    charity: str | None = Field(None, max_length=choices.CHARITY_LENGTH,
                                description="With payment_choice charity: the charity paid instead of them")
    public_sector_work_time: bool = openapi.optional(description="On a public-sector salary, in work time")
    confirmed: bool = openapi.optional(description="The person confirmed their claim")
    written_response: bool = openapi.optional(description="They sent a written response instead")


class ClaimState(BaseModel):
    wants_payment: bool
    payment_choice: str | None
    lower_amount_pence: int | None
    charity: str | None
    public_sector_work_time: bool
    confirmed: bool
    written_response: bool


class ClaimOut(BaseModel):
    claim: ClaimState
    recomputed: Recomputed


class PreparationIn(BaseModel):
    preparation_minutes: int = Field(ge=0, le=600)


class PreparationOut(BaseModel):
    preparation_minutes: int
    recomputed: Recomputed


class Totals(BaseModel):
    eligible: int
    needs_review: int
    approved_pence: int


class TaxYearCheck(BaseModel):
    """The person's income from us in the session's UK tax year with this payment (payments/yearly_income.py)."""

    tax_year: str = Field(description="Like 2026-27 (6 April to 5 April)")
    income_with_this_pence: int
    threshold_pence: int
    over_threshold: bool


class SessionPayment(Decision):
    tax_year: TaxYearCheck | None = Field(description="For current decisions; null for earlier versions")


class SessionPayments(BaseModel):
    session_id: int
    payments: list[SessionPayment]
    totals: Totals


class WithHistory(BaseModel):
    history: Flag | None = Field(None, description="1, true or yes: earlier versions too")


class ReviewIn(BaseModel):
    action: Literal["approve", "adjust", "reject"]
    reason: str | None = Field(None, description="Required to adjust or reject")
    amount_pence: int | None = Field(None, ge=0, le=100_000, description="Required to adjust")
    note: str = ""


class Reviewed(BaseModel):
    payment: Decision


class CostClaimIn(BaseModel):
    person_id: int = Field(ge=1)
    amount_pence: int = Field(ge=1)
    what_for: str = Field(min_length=1, description="Phone minutes, landline, mobile data")


class CostClaimOut(BaseModel):
    id: int
    session_id: int
    person_id: int
    amount_pence: int
    amount_gbp: str
    what_for: str
    status: str
    created_by: str
    created_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    exported_at: datetime | None
    export_batch: str | None


class OneCostClaim(BaseModel):
    cost_claim: CostClaimOut


class CostClaims(BaseModel):
    cost_claims: list[CostClaimOut]


class CostClaimReview(BaseModel):
    action: Literal["approve", "reject"]
    reason: str = Field("", description="Required to reject")


class StatementQuery(BaseModel):
    session_id: int | None = Field(None, ge=1, description="Only these sessions (repeat it for several)")
    format: Literal["json", "html", "text"] | None = None


class StatementLineOut(BaseModel):
    session_id: int
    title: str
    date: str
    minutes: int
    payment: str


class StatementTotals(BaseModel):
    """Kept apart: paid for their time (income), given to charities and costs paid back (not income)."""

    income_pence: int
    charity_pence: int
    expenses_pence: int
    tax_year: str | None = Field(description="The UK tax year so far, like 2026-27")
    tax_year_income_pence: int


class StatementOut(BaseModel):
    person_id: int
    subject: str
    text: str
    lines: list[StatementLineOut]
    cost_claims: list[str]
    totals: StatementTotals


class StatementEmail(BaseModel):
    intent: str
    status: str = Field(description="queued, or the email's state when it was asked for before: sent, "
                                    "sending, unconfirmed")


class AuditQuery(BaseModel):
    subject_type: str | None = None
    subject_id: str | None = None
    action: str | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] | openapi.Empty = Field(200, description="Default 200")
    before_id: Annotated[int, Field(ge=1)] | openapi.Empty | None = Field(
        None, description="Page back: entries older than this id")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any] | None


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "Send a JSON object.")
    return body


def _session(s, session_id: int) -> SessionRow:
    session = s.get(SessionRow, session_id)
    if session is None:
        raise ApiError(404, "not_found", "No such session.", field="session_id")
    return session


def _iso(value):
    return value.isoformat() if value else None


def decision_json(d: PaymentDecision | None, paid_pence: int | None = None) -> dict | None:
    """A decision, with the ledger beside it when known: what earlier exports paid for this person
    and session, and what the next export would pay (`to_pay_pence`, negative for a correction down)."""
    if d is None:
        return None
    outcome = (d.inputs or {}).get("outcome", {})
    adjustment = (d.inputs or {}).get("adjustment", {})
    answer = {"id": d.id, "session_id": d.session_id, "person_id": d.person_id, "version": d.version,
              "is_current": d.is_current, "status": d.status, "eligible": d.eligible, "amount_pence": d.amount_pence,
              "amount_gbp": pounds(d.amount_pence), "method": outcome.get("method"), "payee": outcome.get("payee"),
              "reason": d.reason, "rule_version": d.rule_version,
              "attended_minutes": round((d.inputs or {}).get("attended_seconds", 0) / 60, 1),
              "pending_amount_pence": outcome.get("pending_amount_pence", 0),
              "policy_pence": decisions.policy_pence(d),
              "above_policy_pence": int(adjustment.get("above_policy_pence") or 0),
              "reviewed_by": d.reviewed_by, "reviewed_at": _iso(d.reviewed_at), "exported_at": _iso(d.exported_at),
              "export_batch": d.export_batch, "created_at": _iso(d.created_at)}
    if paid_pence is not None:
        due = ledger.due_pence(d)
        answer["paid_pence"] = paid_pence
        answer["to_pay_pence"] = None if due is None or not d.is_current or d.exported_at else due - paid_pence
    return answer


def _recompute(s, session_id: int) -> dict:
    summary = decisions.recompute_session(s, session_id, decisions.current_policy(), g.staff_name, runtime.now())
    return summary.__dict__


# --- attendance ----------------------------------------------------------------------------

@blueprint.get("/sessions/<int:session_id>/attendance")
@openapi.operation(responses={200: AttendanceOut}, errors=(404,))
def session_attendance_view(session_id: int):
    """Attended time per person, participants to match, and differences from Zoom's report."""
    with db_session() as s:
        session = _session(s, session_id)
        policy = decisions.current_policy()
        result = session_attendance.read(s, session, policy.grace_minutes)
        current = decisions.current_decisions(s, session_id)
        people = [{"person_id": p.person_id, "first_name": p.first_name, "minutes": p.attendance.minutes,
                   "seconds": p.attendance.seconds, "sources": list(p.attendance.sources),
                   "participants": p.participant_ids, "decision": decision_json(current.get(p.person_id))}
                  for p in result.people]
        unmatched = [_unmatched_json(u) for u in result.unmatched]
        differences = [{"id": d.id, "participant_id": d.participant_id, "kind": d.kind, "starts_at": _iso(d.starts_at),
                        "ends_at": _iso(d.ends_at), "seconds": d.seconds, "details": d.details}
                       for d in s.scalars(select(AttendanceDifference).where(
                           AttendanceDifference.session_id == session_id).order_by(AttendanceDifference.id))]
        return jsonify({"session_id": session_id, "window": {"start": _iso(result.window.start),
                                                             "end": _iso(result.window.end)},
                        "scheduled_minutes": result.window.scheduled_seconds // 60,
                        "attendance_final_at": _iso(session.attendance_final_at), "rule_version": policy.version,
                        "people": people, "unmatched": unmatched, "differences": differences})


def _unmatched_json(u: session_attendance.UnmatchedRead) -> dict:
    return {"id": u.participant_id, "display_name": u.display_name, "matched_by": u.matched_by, "person_id": None,
            "has_email": u.has_email, "has_phone": u.has_phone, "minutes": round(u.seconds / 60, 1)}


def _participant_json(s, p, window) -> dict:
    return {"id": p.id, "display_name": p.display_name, "matched_by": p.matched_by, "person_id": p.person_id,
            "has_email": bool(p.email), "has_phone": bool(p.phone),
            "minutes": round(session_attendance.participant_seconds(s, p, window) / 60, 1)}


@blueprint.get("/sessions/<int:session_id>/participants")
@openapi.operation(query=UnmatchedOnly, responses={200: Participants}, errors=(400, 404))
def session_participants_view(session_id: int):
    """The meeting's participants, or only those no one has matched to a person."""
    only_unmatched = query_flag("unmatched")
    with db_session() as s:
        session = _session(s, session_id)
        window = session_attendance.session_window(session, decisions.current_policy().grace_minutes)
        rows = [p for p in session_attendance.session_participants(s, session)
                if not only_unmatched or p.person_id is None]
        return jsonify({"participants": [_participant_json(s, p, window) for p in rows]})


@blueprint.post("/sessions/<int:session_id>/participants/<int:participant_id>/match")
@openapi.operation(body=MatchIn, responses={200: Matched}, errors=(400, 404))
def match_view(session_id: int, participant_id: int):
    """Match a participant to a person by hand (audited); payments are worked out again."""
    body = _body()
    person_id = body.get("person_id")
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise invalid("person_id", "Give the id of the person this participant is.")
    with db_session() as s:
        session = _session(s, session_id)
        participant = match_participant(s, session, participant_id, person_id, g.staff_name, runtime.now())
        summary = _recompute(s, session_id)
        return jsonify({"participant": {"id": participant.id, "person_id": participant.person_id,
                                        "matched_by": participant.matched_by}, "recomputed": summary})


@blueprint.post("/sessions/<int:session_id>/attendance/recompute")
@openapi.operation(responses={200: RecomputeOut}, errors=(404,))
def recompute_view(session_id: int):
    """Work out the session's payment decisions again from its attendance (audited)."""
    with db_session() as s:
        _session(s, session_id)
        summary = _recompute(s, session_id)
        audit_log.record(s, runtime.now(), g.staff_name, "payments.recompute_requested", "session", session_id,
                         **summary)
        return jsonify({"recomputed": summary})


# --- payment claims and decisions ----------------------------------------------------------

@blueprint.put("/sessions/<int:session_id>/claims/<int:person_id>")
@openapi.operation(body=ClaimIn, responses={200: ClaimOut}, errors=(400, 404, 409))
def claim_view(session_id: int, person_id: int):
    """Record what the person said about being paid (audited); their decision is worked out again."""
    body = _body()
    with db_session() as s:
        _session(s, session_id)
        registration = claims.update_claim(s, session_id, person_id, body, g.staff_name, runtime.now())
        summary = _recompute(s, session_id)
        return jsonify({"claim": claims.claim_state(registration), "recomputed": summary})


@blueprint.put("/sessions/<int:session_id>/preparation")
@openapi.operation(body=PreparationIn, responses={200: PreparationOut}, errors=(400, 404))
def preparation_view(session_id: int):
    """Set the paid preparation time for the session (audited)."""
    body = _body()
    with db_session() as s:
        session = _session(s, session_id)
        claims.set_preparation(s, session, body.get("preparation_minutes"), g.staff_name, runtime.now())
        return jsonify({"preparation_minutes": session.preparation_minutes, "recomputed": _recompute(s, session_id)})


@blueprint.get("/sessions/<int:session_id>/payments")
@openapi.operation(query=WithHistory, responses={200: SessionPayments}, errors=(400, 404))
def session_payments_view(session_id: int):
    """The session's payment decisions and their totals."""
    history = query_flag("history")
    with db_session() as s:
        _session(s, session_id)
        query = select(PaymentDecision).where(PaymentDecision.session_id == session_id)
        if not history:
            query = query.where(PaymentDecision.is_current.is_(True))
        rows = list(s.scalars(query.order_by(PaymentDecision.person_id, PaymentDecision.version)))
        paid = ledger.paid_for_session(s, session_id)
        settings = runtime.settings()
        checks = yearly_income.checks_for(s, [d for d in rows if d.is_current],
                                          settings.tax_year_income_threshold_pence, settings.timezone)
        payments = [{**decision_json(d, paid.get(d.person_id, 0)),
                     "tax_year": checks[d.id].as_json() if d.id in checks else None} for d in rows]
        current = [p for p in payments if p["is_current"]]
        return jsonify({"session_id": session_id, "payments": payments,
                        "totals": {"eligible": sum(1 for p in current if p["eligible"]),
                                   "needs_review": sum(1 for p in current if p["status"] == "needs_review"),
                                   "approved_pence": sum(p["amount_pence"] for p in current
                                                         if p["status"] in ("approved", "exported")),
                                   "paid_pence": sum(paid.values()),
                                   "to_pay_pence": sum(p["to_pay_pence"] or 0 for p in current)}})


@blueprint.patch("/payments/<int:decision_id>")
@openapi.operation(body=ReviewIn, responses={200: Reviewed}, errors=(400, 404, 409))
def review_view(decision_id: int):
    """Approve, adjust (amount and reason) or reject a payment decision (audited)."""
    body = _body()
    action = body.get("action")
    reason = body.get("reason")
    if action not in ("approve", "adjust", "reject"):
        raise invalid("action", "Use approve, adjust or reject.")
    if action in ("adjust", "reject") and (not isinstance(reason, str) or not reason.strip()):
        raise invalid("reason", f"Say why you {action} it.")
    amount = body.get("amount_pence")
    if action == "adjust" and (not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= MAX_PENCE):
        raise invalid("amount_pence", f"Give the amount as whole pence, from 0 to {MAX_PENCE}.")
    note = body.get("note", "")
    if not isinstance(note, str):
        raise invalid("note", "Must be text.")
    with db_session() as s:
        try:
            if action == "approve":
                decision = decisions.approve(s, decision_id, g.staff_name, runtime.now(), note=note.strip())
            elif action == "adjust":
                decision = decisions.adjust(s, decision_id, amount, reason.strip(), g.staff_name, runtime.now())
            else:
                decision = decisions.reject(s, decision_id, reason.strip(), g.staff_name, runtime.now())
        except LookupError as exc:
            raise ApiError(404, "not_found", "No such payment decision.", "id") from exc
        paid = ledger.paid_by_pair(s, [(decision.session_id, decision.person_id)])
        return jsonify({"payment": decision_json(decision, paid[(decision.session_id, decision.person_id)])})


@blueprint.post("/payments/export")
@openapi.operation(responses={200: {"text/csv": None}})
def export_view():
    """The finance CSV of approved payments and cost claims not exported before, marked exported."""
    with db_session() as s:
        export = export_approved(s, g.staff_name, runtime.now(), runtime.settings().timezone)
    return Response(export.csv_text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payments-{export.batch}.csv"',
        "X-Export-Batch": export.batch, "X-Export-Rows": str(export.payments + export.cost_claims),
        "X-Export-Total-Pence": str(export.total_pence), "X-Export-Income-Pence": str(export.income_pence),
        "X-Export-Charity-Pence": str(export.charity_pence), "X-Export-Expenses-Pence": str(export.expenses_pence),
        "Cache-Control": "no-store"})


# --- cost claims ---------------------------------------------------------------------------

def claim_json(c: CostClaim) -> dict:
    return {"id": c.id, "session_id": c.session_id, "person_id": c.person_id, "amount_pence": c.amount_pence,
            "amount_gbp": pounds(c.amount_pence), "what_for": c.what_for, "status": c.status,
            "created_by": c.created_by, "created_at": _iso(c.created_at), "reviewed_by": c.reviewed_by,
            "reviewed_at": _iso(c.reviewed_at), "review_note": c.review_note, "exported_at": _iso(c.exported_at),
            "export_batch": c.export_batch}


@blueprint.post("/sessions/<int:session_id>/cost-claims")
@openapi.operation(body=CostClaimIn, responses={201: OneCostClaim}, errors=(400, 404))
def create_cost_claim_view(session_id: int):
    """A claim for phone or data costs, for anyone registered for or at the session."""
    body = _body()
    person_id = body.get("person_id")
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise invalid("person_id", "Give the id of the person claiming.")
    what_for = body.get("what_for")
    if not isinstance(what_for, str):
        raise invalid("what_for", "Say what the cost was for.")
    with db_session() as s:
        claim = cost_claims.create(s, session_id, person_id, body.get("amount_pence"), what_for, g.staff_name,
                                   runtime.now())
        return jsonify({"cost_claim": claim_json(claim)}), 201


@blueprint.get("/sessions/<int:session_id>/cost-claims")
@openapi.operation(responses={200: CostClaims}, errors=(404,))
def list_cost_claims_view(session_id: int):
    """The session's cost claims."""
    with db_session() as s:
        _session(s, session_id)
        rows = s.scalars(select(CostClaim).where(CostClaim.session_id == session_id).order_by(CostClaim.id))
        return jsonify({"cost_claims": [claim_json(c) for c in rows]})


@blueprint.patch("/cost-claims/<int:claim_id>")
@openapi.operation(body=CostClaimReview, responses={200: OneCostClaim}, errors=(400, 404, 409))
def review_cost_claim_view(claim_id: int):
    """Approve or reject a cost claim (audited)."""
    body = _body()
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise invalid("reason", "Must be text.")
    with db_session() as s:
        claim = cost_claims.review(s, claim_id, body.get("action"), g.staff_name, runtime.now(), reason)
        return jsonify({"cost_claim": claim_json(claim)})


# --- statement and audit -------------------------------------------------------------------

@blueprint.get("/people/<int:person_id>/statement")
@openapi.operation(query=StatementQuery, responses={200: {"application/json": StatementOut, "text/html": None,
                                                          "text/plain": None}}, errors=(400, 404))
def statement_view(person_id: int):
    """A person's participant statement: JSON, HTML or text (`format`, or the Accept header)."""
    session_ids = query_ids("session_id") or None
    with db_session() as s:
        try:
            statement = build_statement(s, person_id, session_ids, runtime.settings().timezone, runtime.now())
        except LookupError as exc:
            raise ApiError(404, "not_found", "No such person.", "person_id") from exc
    wanted = request.args.get("format")
    if wanted is not None and wanted not in ("json", "html", "text"):
        raise invalid("format", "Use json, html or text (or leave it out and send an Accept header).")
    wanted = wanted or request.accept_mimetypes.best_match(
        ["application/json", "text/html", "text/plain"], default="application/json")
    if wanted in ("html", "text/html"):
        return Response(statement.html, mimetype="text/html")
    if wanted in ("text", "text/plain"):
        return Response(statement.text, mimetype="text/plain")
    return jsonify({"person_id": person_id, "subject": statement.subject, "text": statement.text,
                    "lines": [line.__dict__ for line in statement.lines], "cost_claims": statement.cost_claims,
                    "totals": _totals_json(statement.totals)})


def _totals_json(totals) -> dict:
    return {"income_pence": totals.income_pence, "charity_pence": totals.charity_pence,
            "expenses_pence": totals.expenses_pence,
            "tax_year": totals.tax_year.label if totals.tax_year else None,
            "tax_year_income_pence": totals.tax_year_income_pence}


@blueprint.post("/sessions/<int:session_id>/statements/<int:person_id>")
@openapi.operation(responses={202: StatementEmail, 200: StatementEmail}, errors=(400, 404, 409))
def send_statement_view(session_id: int, person_id: int):
    """Email the person their statement for this session, once (intent `statement:{session}:{person}`).

    202 when the email is queued; 200 with the email's state when it was already sent (or may
    have been: `sending`, `unconfirmed`), since asking again must not send a second copy.
    """
    intent = statement_intent(session_id, person_id)
    with db_session() as s:
        _session(s, session_id)
        person = s.get(Person, person_id)
        if person is None:
            raise ApiError(404, "not_found", "No such person.", "person_id")
        if not person.email:
            raise invalid("person_id", "This person has no email address; give them the statement another way.")
        if decisions.current_decisions(s, session_id).get(person_id) is None:
            raise ApiError(409, "conflict", "There is no payment decision for this person at this session yet.",
                           "person_id")
        email_status = s.scalar(select(EmailMessage.status).where(EmailMessage.intent == intent))
        if email_status not in (None, "pending", "failed"):
            return jsonify({"intent": intent, "status": email_status})
        audit_log.record(s, runtime.now(), g.staff_name, "statement.email_requested", "person", person_id,
                         session_id=session_id)
    intents.send_statement(current_redis(), session_id, person_id)
    return jsonify({"intent": intent, "status": "queued"}), 202


@blueprint.get("/audit")
@openapi.operation(query=AuditQuery, responses={200: AuditOut}, errors=(400,))
def audit_view():
    """The audit log, newest first: who changed what, and why."""
    limit = query_whole("limit", 200, 1, 1000)
    before_id = query_whole("before_id")
    with db_session() as s:
        rows = audit_log.entries(s, subject_type=request.args.get("subject_type"),
                                 subject_id=request.args.get("subject_id"), action=request.args.get("action"),
                                 limit=limit, before_id=before_id)
        return jsonify({"entries": [{"id": e.id, "at": _iso(e.at), "actor": e.actor, "action": e.action,
                                     "subject_type": e.subject_type, "subject_id": e.subject_id,
                                     "details": e.details} for e in rows]})
