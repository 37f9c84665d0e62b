"""A person's income from the organisation in a UK tax year, and who a payment would take over
the configured threshold (`Settings.tax_year_income_threshold_pence`, default £1,000).

Income is what is paid for their time, in money or as a voucher: current payment decisions that
staff approved (or that were exported), counted in the tax year of the session's date in the
organisation's timezone. A payment given to a charity in their name is not their income, and
costs paid back (cost claims) are not income either (docs/payments.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments.tax_year import TaxYear, tax_year_of
from zoombridge.store.models import PaymentDecision
from zoombridge.store.models import Session as SessionRow

COUNTED = ("approved", "exported")


def is_income(decision: PaymentDecision) -> bool:
    """Paid to the person (money or voucher), not given to a charity for them."""
    return ((decision.inputs or {}).get("outcome") or {}).get("method") != "charity"


def income_in(s: DbSession, person_ids: Iterable[int], year: TaxYear, timezone: str) -> dict[int, int]:
    """person id → their income from the organisation for sessions in `year` (0 when none)."""
    person_ids = sorted(set(person_ids))
    totals = dict.fromkeys(person_ids, 0)
    start, end = year.bounds(timezone)
    for chunk in (person_ids[i:i + 500] for i in range(0, len(person_ids), 500)):
        decisions = s.scalars(select(PaymentDecision).join(SessionRow, SessionRow.id == PaymentDecision.session_id)
                              .where(PaymentDecision.person_id.in_(chunk), PaymentDecision.is_current.is_(True),
                                     PaymentDecision.status.in_(COUNTED), SessionRow.starts_at >= start,
                                     SessionRow.starts_at < end))
        for decision in decisions:
            if is_income(decision):
                totals[decision.person_id] += decision.amount_pence
    return totals


@dataclass(frozen=True)
class YearCheck:
    """What approving a payment does to the person's income in its tax year."""

    tax_year: TaxYear
    with_this_pence: int  # their income in that tax year if this payment is approved
    threshold_pence: int

    @property
    def over(self) -> bool:
        return self.with_this_pence > self.threshold_pence

    def as_json(self) -> dict:
        return {"tax_year": self.tax_year.label, "income_with_this_pence": self.with_this_pence,
                "threshold_pence": self.threshold_pence, "over_threshold": self.over}


def checks_for(s: DbSession, decisions: Iterable[PaymentDecision], threshold_pence: int,
               timezone: str) -> dict[int, YearCheck]:
    """decision id → its YearCheck, for the decisions staff are about to review."""
    decisions = list(decisions)
    sessions = {row.id: row for row in s.scalars(select(SessionRow).where(
        SessionRow.id.in_({d.session_id for d in decisions})))} if decisions else {}
    by_year: dict[TaxYear, list[PaymentDecision]] = defaultdict(list)
    for decision in decisions:
        by_year[tax_year_of(sessions[decision.session_id].starts_at, timezone)].append(decision)
    checks = {}
    for year, in_year in by_year.items():
        totals = income_in(s, (d.person_id for d in in_year), year, timezone)
        for d in in_year:
            counted_now = d.amount_pence if d.status in COUNTED and is_income(d) else 0
            this = d.amount_pence if is_income(d) else 0
            checks[d.id] = YearCheck(year, totals[d.person_id] - counted_now + this, threshold_pence)
    return checks
