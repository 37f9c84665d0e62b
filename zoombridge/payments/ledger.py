"""The payment ledger: what has been sent to finance for each person and session.

A payment decision says what is *due* for a (person, session): the current version's amount once
staff approved it (or adjusted it), nothing once they rejected it. The ledger says what has been
*paid*: the sum of the lines earlier exports wrote for that pair. An export writes one line for
the difference (`due - paid`): the first payment, or a correction up or down with its reason,
and never a line when nothing moved. A decision version settles the ledger once (its id is
unique in the ledger), so the same money cannot be sent twice however often versions change.
See docs/payments.md for the shape and how later payment choices build on it.

What a person's payment for a session comes to (`SessionMoney`, `money_by_session`) is the
ledger as it will stand once the next export has settled what staff decided: what was paid, plus
the difference a reviewed decision still waiting for the export will move. Every figure of a
person's income (the statement, the staff person page, the threshold check before approving)
is this one, so a payment is counted once whether it is approved, exported, or exported and
then corrected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import LedgerLine, PaymentDecision
from zoombridge.store.models import Session as SessionRow

# Decision statuses that say what is due; the others (proposed, needs_review) wait for staff.
SETTLES = ("approved", "exported", "rejected")
# Reviewed, and moving money at the next export until one settles it (`exported_at`).
WAITS_FOR_EXPORT = ("approved", "rejected")


def due_pence(decision: PaymentDecision) -> int | None:
    """What this version says is owed in all, or None while staff have not reviewed it."""
    if decision.status in ("approved", "exported"):
        return decision.amount_pence
    if decision.status == "rejected":
        return 0
    return None


def method_of(decision: PaymentDecision) -> str:
    """How this version pays: cash, voucher or charity (what its ledger line will say)."""
    return ((decision.inputs or {}).get("outcome") or {}).get("method") or "cash"


def counts_as(method: str | None) -> str:
    """What money paid this way is to the person: `charity` (given to a charity in their name: not
    their income) or `income` (money or a voucher for their time). Cost claims are `expense`."""
    return "charity" if method == "charity" else "income"


def waits_for_export(decision: PaymentDecision) -> bool:
    """A current, reviewed version the next export will settle (a payment, or a correction)."""
    return decision.is_current and decision.exported_at is None and decision.status in WAITS_FOR_EXPORT


@dataclass(frozen=True)
class SessionMoney:
    """A person's payment for one session, as the ledger will stand after the next export."""

    paid: Mapping[str, int] = field(default_factory=dict)  # counts_as -> what the ledger has paid
    due_pence: int | None = None  # what a reviewed version waiting for the export says is due in all
    due_counts_as: str = "income"  # ... and what that money is

    def waiting(self, due_pence: int, method: str | None) -> SessionMoney:
        """The same, with a version due at `due_pence`, paid by `method`, waiting for the export."""
        return replace(self, due_pence=due_pence, due_counts_as=counts_as(method))

    def counted(self, kind: str) -> int:
        """Income or charity: what was paid that way plus the difference the next export moves."""
        moving = self.due_pence - sum(self.paid.values()) if self.due_pence is not None else 0
        return self.paid.get(kind, 0) + (moving if self.due_counts_as == kind else 0)

    @property
    def income_pence(self) -> int:
        return self.counted("income")

    @property
    def charity_pence(self) -> int:
        return self.counted("charity")


def money_by_session(s: DbSession, person_ids: Iterable[int], session_ids: Iterable[int] | None = None,
                     starting: tuple[datetime, datetime] | None = None) -> dict[tuple[int, int], SessionMoney]:
    """(session_id, person_id) → `SessionMoney`, for these people's sessions (only `session_ids`,
    or only sessions starting in [start, end) when given); pairs with no money are left out."""
    person_ids = sorted(set(person_ids))
    wanted = None if session_ids is None else sorted(set(session_ids))
    paid: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waiting: list[PaymentDecision] = []
    for chunk in (person_ids[i:i + 500] for i in range(0, len(person_ids), 500)):
        lines = (select(LedgerLine.session_id, LedgerLine.person_id, LedgerLine.method, func.sum(LedgerLine.amount_pence))
                 .where(LedgerLine.person_id.in_(chunk))
                 .group_by(LedgerLine.session_id, LedgerLine.person_id, LedgerLine.method))
        reviewed = select(PaymentDecision).where(
            PaymentDecision.person_id.in_(chunk), PaymentDecision.is_current.is_(True),
            PaymentDecision.exported_at.is_(None), PaymentDecision.status.in_(WAITS_FOR_EXPORT))
        if wanted is not None:
            lines = lines.where(LedgerLine.session_id.in_(wanted))
            reviewed = reviewed.where(PaymentDecision.session_id.in_(wanted))
        if starting is not None:
            lines = lines.join(SessionRow, SessionRow.id == LedgerLine.session_id).where(
                SessionRow.starts_at >= starting[0], SessionRow.starts_at < starting[1])
            reviewed = reviewed.join(SessionRow, SessionRow.id == PaymentDecision.session_id).where(
                SessionRow.starts_at >= starting[0], SessionRow.starts_at < starting[1])
        for session_id, person_id, method, total in s.execute(lines):
            paid[(session_id, person_id)][counts_as(method)] += int(total or 0)
        waiting += s.scalars(reviewed)
    money = {pair: SessionMoney(dict(by_kind)) for pair, by_kind in paid.items()}
    for decision in waiting:
        pair = (decision.session_id, decision.person_id)
        money[pair] = money.get(pair, SessionMoney()).waiting(due_pence(decision) or 0, method_of(decision))
    return money


def paid_by_pair(s: DbSession, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The ledger's sum for each (session_id, person_id) asked about (0 when nothing was paid)."""
    pairs = sorted(set(pairs))
    paid = dict.fromkeys(pairs, 0)
    for start in range(0, len(pairs), 500):  # a bounded IN list per query on either database
        chunk = pairs[start:start + 500]
        rows = s.execute(select(LedgerLine.session_id, LedgerLine.person_id, func.sum(LedgerLine.amount_pence))
                         .where(tuple_(LedgerLine.session_id, LedgerLine.person_id).in_(chunk))
                         .group_by(LedgerLine.session_id, LedgerLine.person_id))
        for session_id, person_id, total in rows:
            paid[(session_id, person_id)] = int(total or 0)
    return paid


def paid_for_session(s: DbSession, session_id: int) -> dict[int, int]:
    """person_id → what the ledger has paid them for this session."""
    rows = s.execute(select(LedgerLine.person_id, func.sum(LedgerLine.amount_pence))
                     .where(LedgerLine.session_id == session_id).group_by(LedgerLine.person_id))
    return {person_id: int(total or 0) for person_id, total in rows}


def lines_for(s: DbSession, session_id: int, person_id: int) -> list[LedgerLine]:
    return list(s.scalars(select(LedgerLine).where(LedgerLine.session_id == session_id,
                                                   LedgerLine.person_id == person_id).order_by(LedgerLine.id)))
