"""The payment ledger: what has been sent to finance for each person and session.

A payment decision says what is *due* for a (person, session): the current version's amount once
staff approved it (or adjusted it), nothing once they rejected it. The ledger says what has been
*paid*: the sum of the lines earlier exports wrote for that pair. An export writes one line for
the difference (`due - paid`): the first payment, or a correction up or down with its reason,
and never a line when nothing moved. A decision version settles the ledger once (its id is
unique in the ledger), so the same money cannot be sent twice however often versions change.
See docs/payments.md for the shape and how later payment choices build on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import LedgerLine, PaymentDecision

# Decision statuses that say what is due; the others (proposed, needs_review) wait for staff.
SETTLES = ("approved", "exported", "rejected")


def due_pence(decision: PaymentDecision) -> int | None:
    """What this version says is owed in all, or None while staff have not reviewed it."""
    if decision.status in ("approved", "exported"):
        return decision.amount_pence
    if decision.status == "rejected":
        return 0
    return None


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
