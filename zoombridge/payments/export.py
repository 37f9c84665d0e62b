"""The finance export: a CSV of approved, not yet exported payments and cost claims.

Picking the rows and marking them exported happen in one transaction, and each row is claimed
with a guarded UPDATE (`... WHERE status = 'approved'`), so two exports running at once, or one
run twice, never pay anyone twice: a row is in exactly one batch.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments.policy import pounds
from zoombridge.store import audit_log
from zoombridge.store.models import CostClaim, PaymentDecision, Person, Registration
from zoombridge.store.models import Session as SessionRow

COLUMNS = ["batch", "line", "type", "reference", "session_id", "session_title", "session_date", "person_id",
           "first_name", "email", "pay_by", "amount_pence", "amount_gbp", "what_for", "rule_version",
           "approved_by", "approved_at"]


@dataclass(frozen=True)
class Export:
    batch: str
    csv_text: str
    payments: int
    cost_claims: int
    total_pence: int


def _claim_rows(s: DbSession, model, ids: list[int], batch: str, now: datetime) -> list:
    """Mark each row exported only if it is still approved; return the rows this call won."""
    won = []
    for row_id in ids:
        result = s.execute(update(model).where(model.id == row_id, model.status == "approved",
                                               model.exported_at.is_(None))
                           .values(status="exported", exported_at=now, export_batch=batch))
        if result.rowcount == 1:
            won.append(row_id)
    return won


def export_approved(s: DbSession, actor: str, now: datetime) -> Export:
    batch = now.strftime("%Y%m%dT%H%M%S") + f"-{now.microsecond:06d}"
    decision_ids = list(s.scalars(select(PaymentDecision.id).where(
        PaymentDecision.status == "approved", PaymentDecision.is_current.is_(True),
        PaymentDecision.exported_at.is_(None), PaymentDecision.amount_pence > 0).order_by(PaymentDecision.id)))
    claim_ids = list(s.scalars(select(CostClaim.id).where(
        CostClaim.status == "approved", CostClaim.exported_at.is_(None)).order_by(CostClaim.id)))
    decision_ids = _claim_rows(s, PaymentDecision, decision_ids, batch, now)
    claim_ids = _claim_rows(s, CostClaim, claim_ids, batch, now)
    s.expire_all()

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    line = total = 0
    decisions = s.scalars(select(PaymentDecision).where(PaymentDecision.id.in_(decision_ids)).order_by(PaymentDecision.id)) if decision_ids else []
    for d in decisions:
        session, person = s.get(SessionRow, d.session_id), s.get(Person, d.person_id)
        registration = s.scalar(select(Registration).where(Registration.session_id == d.session_id,
                                                           Registration.person_id == d.person_id))
        pay_by = (registration.payment_choice if registration else "cash")
        line += 1
        total += d.amount_pence
        writer.writerow([batch, line, "session_payment", f"decision-{d.id}-v{d.version}", session.id, _safe(session.title),
                         session.starts_at.date().isoformat(), person.id, _safe(person.first_name), person.email or "",
                         pay_by, d.amount_pence, pounds(d.amount_pence), _safe(d.reason), d.rule_version,
                         _safe(d.reviewed_by or ""), d.reviewed_at.isoformat() if d.reviewed_at else ""])
    claims = s.scalars(select(CostClaim).where(CostClaim.id.in_(claim_ids)).order_by(CostClaim.id)) if claim_ids else []
    for c in claims:
        session, person = s.get(SessionRow, c.session_id), s.get(Person, c.person_id)
        line += 1
        total += c.amount_pence
        writer.writerow([batch, line, "cost_claim", f"cost-claim-{c.id}", session.id, _safe(session.title),
                         session.starts_at.date().isoformat(), person.id, _safe(person.first_name), person.email or "",
                         "cash", c.amount_pence, pounds(c.amount_pence), _safe(c.what_for), "",
                         _safe(c.reviewed_by or ""), c.reviewed_at.isoformat() if c.reviewed_at else ""])
    audit_log.record(s, now, actor, "payments.exported", "export_batch", batch, payment_decisions=decision_ids,
                     cost_claims=claim_ids, total_pence=total)
    return Export(batch=batch, csv_text=out.getvalue(), payments=len(decision_ids), cost_claims=len(claim_ids),
                  total_pence=total)


def _safe(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is read as a formula by Excel."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
