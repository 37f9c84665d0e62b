"""Loading a person's participant statement: their current decisions and cost claims.

The wording is pure (`zoombridge.payments.statement`); this is the part that reads the database.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments import ledger
from zoombridge.payments.statement import (
    Statement,
    StatementLine,
    Totals,
    cost_claim_words,
    payment_words,
    statement_for,
)
from zoombridge.payments.tax_year import tax_year_of
from zoombridge.payments.yearly_income import income_in
from zoombridge.store.models import CostClaim, PaymentDecision, Person
from zoombridge.store.models import Session as SessionRow


def build_statement(s: DbSession, person_id: int, session_ids: list[int] | None = None,
                    timezone: str = "Europe/London", now: datetime | None = None) -> Statement:
    """The statement for these sessions (all when None); `now` adds their tax year's income so far."""
    person = s.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    zone = ZoneInfo(timezone)
    query = select(PaymentDecision).where(PaymentDecision.person_id == person_id, PaymentDecision.is_current.is_(True))
    if session_ids:
        query = query.where(PaymentDecision.session_id.in_(session_ids))
    decisions = {d.session_id: d for d in s.scalars(query)}
    sessions = [s.get(SessionRow, sid) for sid in sorted(decisions)]
    sessions.sort(key=lambda row: row.starts_at)
    lines = []
    for session in sessions:
        decision = decisions.get(session.id)
        seconds = (decision.inputs or {}).get("attended_seconds", 0) if decision else 0
        lines.append(StatementLine(session_id=session.id, title=session.title,
                                   date=session.starts_at.astimezone(zone).strftime("%A %-d %B %Y, %H:%M"),
                                   minutes=seconds // 60, payment=payment_words(decision)))
    claims_query = select(CostClaim).where(CostClaim.person_id == person_id).order_by(CostClaim.id)
    if session_ids:
        claims_query = claims_query.where(CostClaim.session_id.in_(session_ids))
    claims = list(s.scalars(claims_query))
    cost_claims = [cost_claim_words(c.amount_pence, c.what_for, c.status) for c in claims]
    # The same figure as the tax year's and the staff pages': paid, plus what the next export moves.
    money = ledger.money_by_session(s, [person_id], session_ids=list(decisions)).values()
    year = tax_year_of(now, timezone) if now is not None else None
    totals = Totals(income_pence=sum(m.income_pence for m in money),
                    charity_pence=sum(m.charity_pence for m in money),
                    expenses_pence=sum(c.amount_pence for c in claims if c.status in ("approved", "exported")),
                    tax_year=year,
                    tax_year_income_pence=income_in(s, [person_id], year, timezone)[person_id] if year else 0)
    return statement_for(person_id, person.first_name, lines, cost_claims, totals)
