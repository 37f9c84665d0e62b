"""A person's income from the organisation in a UK tax year, and who a payment would take over
the configured threshold (`Settings.tax_year_income_threshold_pence`, default £1,000).

Income is what is paid for their time, in money or as a voucher, counted in the tax year of the
session's date in the organisation's timezone: for each session, what the ledger has paid plus
what a reviewed decision still waiting for the export will move (`ledger.SessionMoney`), so an
approved payment counts before it is exported and once after, a correction replaces what it
corrects, and a rejection counts for nothing. A payment given to a charity in their name is not
their income, and costs paid back (cost claims) are not income either (docs/payments.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.payments import ledger
from zoombridge.payments.tax_year import TaxYear, tax_year_of
from zoombridge.store.models import PaymentDecision
from zoombridge.store.models import Session as SessionRow


def _totals(money: dict[tuple[int, int], ledger.SessionMoney], person_ids: Iterable[int]) -> dict[int, int]:
    totals = dict.fromkeys(person_ids, 0)
    for (_session_id, person_id), pair in money.items():
        totals[person_id] += pair.income_pence
    return totals


def income_in(s: DbSession, person_ids: Iterable[int], year: TaxYear, timezone: str) -> dict[int, int]:
    """person id → their income from the organisation for sessions in `year` (0 when none)."""
    person_ids = sorted(set(person_ids))
    return _totals(ledger.money_by_session(s, person_ids, starting=year.bounds(timezone)), person_ids)


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
    """decision id → its YearCheck, for the decisions staff are about to review: the person's income
    that year with this version approved in place of whatever stands for its session now."""
    decisions = list(decisions)
    sessions = {row.id: row for row in s.scalars(select(SessionRow).where(
        SessionRow.id.in_({d.session_id for d in decisions})))} if decisions else {}
    by_year: dict[TaxYear, list[PaymentDecision]] = defaultdict(list)
    for decision in decisions:
        by_year[tax_year_of(sessions[decision.session_id].starts_at, timezone)].append(decision)
    checks = {}
    for year, in_year in by_year.items():
        person_ids = sorted({d.person_id for d in in_year})
        money = ledger.money_by_session(s, person_ids, starting=year.bounds(timezone))
        totals = _totals(money, person_ids)
        for d in in_year:
            now = money.get((d.session_id, d.person_id), ledger.SessionMoney())
            approved = now.waiting(d.amount_pence, ledger.method_of(d))
            checks[d.id] = YearCheck(year, totals[d.person_id] - now.income_pence + approved.income_pence,
                                     threshold_pence)
    return checks
