"""The finance export: a CSV of what is still to pay, from the ledger and approved cost claims.

For each (person, session) whose current decision staff have reviewed and no export has settled
yet, the export writes a ledger line for the difference between what is due now and what earlier
exports paid (`payments/ledger.py`): a first payment, or a correction up or down with its reason.
A difference of nothing writes no line. Approved cost claims are paid once each.

Each line says what the money is (`counts_as`): `income` (a payment for the person's time, in
money or a voucher), `charity` (their payment given to the charity they named: not their income)
or `expense` (phone, data or travel costs paid back: not income); `pay_by` is how it is paid
(cash, voucher, charity), `payment_choice` what the person chose on the decision it settles
(`payments/choices.py`) and `payee` the charity.

Races: each decision and cost claim is claimed with a guarded UPDATE that also checks the row
version it was read at (`... WHERE row_version = :read AND is_current ...`), so a review that
committed first makes the export skip that row (it is picked up, as it now is, by the next
export), and a review that comes second finds the row version moved and is refused (409). Two
exports never claim one row. Picking, claiming, the ledger lines and the audit line are one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments import ledger
from zoombridge.payments.decisions import policy_pence
from zoombridge.payments.money import pounds, pounds_decimal
from zoombridge.spreadsheet_csv import csv_text
from zoombridge.store import audit_log
from zoombridge.store.models import CostClaim, LedgerLine, PaymentDecision, Person
from zoombridge.store.models import Session as SessionRow

COLUMNS = ["batch", "line", "type", "reference", "session_id", "session_title", "session_date", "person_id",
           "first_name", "email", "pay_by", "amount_pence", "amount_gbp", "what_for", "rule_version",
           "approved_by", "approved_at", "due_pence", "paid_before_pence", "policy_pence", "above_policy_pence",
           "payment_choice", "payee", "counts_as"]

__all__ = ["COLUMNS", "Export", "export_approved", "pounds"]


@dataclass(frozen=True)
class Export:
    batch: str
    csv_text: str
    payments: int  # ledger lines written (payments and corrections)
    cost_claims: int
    total_pence: int
    income_pence: int = 0  # paid for people's time (money and vouchers)
    charity_pence: int = 0  # given to charities in people's names
    expenses_pence: int = 0  # costs paid back (not income)


def _candidates(s: DbSession) -> list[tuple[int, int]]:
    """(id, row_version) of current, reviewed, unsettled decisions that would move money."""
    rows = s.execute(select(PaymentDecision.id, PaymentDecision.row_version, PaymentDecision.session_id,
                            PaymentDecision.person_id, PaymentDecision.status, PaymentDecision.amount_pence)
                     .where(PaymentDecision.is_current.is_(True), PaymentDecision.exported_at.is_(None),
                            PaymentDecision.status.in_(ledger.WAITS_FOR_EXPORT))
                     .order_by(PaymentDecision.id)).all()
    paid = ledger.paid_by_pair(s, ((r.session_id, r.person_id) for r in rows))
    due = {r.id: (r.amount_pence if r.status == "approved" else 0) for r in rows}
    # An approved £0 or a rejection with nothing paid before settles nothing: leave it alone.
    return [(r.id, r.row_version) for r in rows if due[r.id] or paid[(r.session_id, r.person_id)]]


def _claim_decisions(s: DbSession, candidates: list[tuple[int, int]], batch: str, now: datetime) -> list[int]:
    won = []
    for decision_id, row_version in candidates:
        result = s.execute(
            update(PaymentDecision)
            .where(PaymentDecision.id == decision_id, PaymentDecision.row_version == row_version,
                   PaymentDecision.is_current.is_(True), PaymentDecision.exported_at.is_(None),
                   PaymentDecision.status.in_(ledger.WAITS_FOR_EXPORT))
            .values(status=case((PaymentDecision.status == "approved", "exported"), else_=PaymentDecision.status),
                    exported_at=now, export_batch=batch, row_version=PaymentDecision.row_version + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            won.append(decision_id)
    return won


def _claim_cost_claims(s: DbSession, batch: str, now: datetime) -> list[int]:
    candidates = s.execute(select(CostClaim.id, CostClaim.row_version).where(
        CostClaim.status == "approved", CostClaim.exported_at.is_(None)).order_by(CostClaim.id)).all()
    won = []
    for claim_id, row_version in candidates:
        result = s.execute(
            update(CostClaim)
            .where(CostClaim.id == claim_id, CostClaim.row_version == row_version, CostClaim.status == "approved",
                   CostClaim.exported_at.is_(None))
            .values(status="exported", exported_at=now, export_batch=batch, row_version=CostClaim.row_version + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            won.append(claim_id)
    return won


def _ledger_lines(s: DbSession, decision_ids: list[int], batch: str, actor: str, now: datetime) -> list[LedgerLine]:
    """One line per settled decision whose due amount differs from what the ledger has paid."""
    decisions = list(s.scalars(select(PaymentDecision).where(PaymentDecision.id.in_(decision_ids))
                               .order_by(PaymentDecision.id))) if decision_ids else []
    # Read after the claims: no other export can add to these pairs now (they hold no claim on them).
    paid = ledger.paid_by_pair(s, ((d.session_id, d.person_id) for d in decisions))
    lines = []
    for d in decisions:
        due = ledger.due_pence(d) or 0
        before = paid[(d.session_id, d.person_id)]
        if due == before:
            continue
        outcome = (d.inputs or {}).get("outcome", {})
        adjustment = (d.inputs or {}).get("adjustment", {})
        reason = d.reason if not before else (
            f"Correction: £{pounds(due)} due now, £{pounds(before)} paid before. {d.reason}")
        lines.append(LedgerLine(
            session_id=d.session_id, person_id=d.person_id, decision_id=d.id, decision_version=d.version,
            kind="payment" if not before else "correction", amount_pence=due - before, due_pence=due,
            paid_before_pence=before, method=ledger.method_of(d), payee=outcome.get("payee"),
            policy_pence=policy_pence(d),
            above_policy_pence=int(adjustment.get("above_policy_pence") or 0) if due else 0,
            reason=reason, batch=batch, exported_at=now, exported_by=actor))
    s.add_all(lines)
    s.flush()
    return lines


def export_approved(s: DbSession, actor: str, now: datetime, timezone: str = "Europe/London") -> Export:
    """Claim what is to pay, write its ledger lines and return the batch's CSV (one transaction)."""
    batch = now.strftime("%Y%m%dT%H%M%S") + f"-{now.microsecond:06d}"
    decision_ids = _claim_decisions(s, _candidates(s), batch, now)
    claim_ids = _claim_cost_claims(s, batch, now)
    lines = _ledger_lines(s, decision_ids, batch, actor, now)
    s.expire_all()

    zone = ZoneInfo(timezone)
    rows = []
    total = 0
    counted = {"income": 0, "charity": 0, "expense": 0}
    for line in lines:
        d = s.get(PaymentDecision, line.decision_id)
        session, person = s.get(SessionRow, line.session_id), s.get(Person, line.person_id)
        total += line.amount_pence
        counts_as = ledger.counts_as(line.method)
        counted[counts_as] += line.amount_pence
        rows.append([batch, len(rows) + 1, "session_payment" if line.kind == "payment" else "correction",
                     f"decision-{d.id}-v{d.version}", session.id, session.title,
                     session.starts_at.astimezone(zone).date().isoformat(), person.id, person.first_name,
                     person.email or "", line.method, line.amount_pence, pounds_decimal(line.amount_pence),
                     line.reason, d.rule_version, d.reviewed_by or "", d.reviewed_at.isoformat() if d.reviewed_at else "",
                     line.due_pence, line.paid_before_pence, line.policy_pence, line.above_policy_pence,
                     ((d.inputs or {}).get("claim") or {}).get("payment_choice", "cash"), line.payee or "",
                     counts_as])
    claims = s.scalars(select(CostClaim).where(CostClaim.id.in_(claim_ids)).order_by(CostClaim.id)) if claim_ids else []
    for c in claims:
        session, person = s.get(SessionRow, c.session_id), s.get(Person, c.person_id)
        total += c.amount_pence
        rows.append([batch, len(rows) + 1, "cost_claim", f"cost-claim-{c.id}", session.id, session.title,
                     session.starts_at.astimezone(zone).date().isoformat(), person.id, person.first_name,
                     person.email or "", "cash", c.amount_pence, pounds_decimal(c.amount_pence), c.what_for, "",
                     c.reviewed_by or "", c.reviewed_at.isoformat() if c.reviewed_at else "",
                     c.amount_pence, 0, 0, 0, "", "", "expense"])
        counted["expense"] += c.amount_pence
    audit_log.record(s, now, actor, "payments.exported", "export_batch", batch, payment_decisions=decision_ids,
                     ledger_lines=[line.id for line in lines], cost_claims=claim_ids, total_pence=total,
                     above_policy_lines=[line.id for line in lines if line.above_policy_pence],
                     income_pence=counted["income"], charity_pence=counted["charity"],
                     expenses_pence=counted["expense"])
    return Export(batch=batch, csv_text=csv_text(COLUMNS, rows), payments=len(lines), cost_claims=len(claim_ids),
                  total_pence=total, income_pence=counted["income"], charity_pence=counted["charity"],
                  expenses_pence=counted["expense"])
