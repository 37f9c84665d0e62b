"""An erasure and a payment review (approve, adjust, reject) for the same person at the same moment:
one waits for the other, so there is never an approved payment or a correction, not yet exported,
for someone whose details are gone (finance could not pay it or ask for it back), on SQLite and
on PostgreSQL. Exactly one of the two wins; the other is refused (409) and writes nothing.

Each test holds one request inside its transaction, just after it has taken the person's row,
and lets the other run into it; the second must wait and then see what the first did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.sample_session import START as SAMPLE_START
from tests.sample_session import add_held_session, join, register
from zoombridge.store.models import PaymentDecision, Person

WAIT = 60  # seconds; only a broken build waits this long


def _writes(statement: str) -> bool:
    return not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "SAVEPOINT"))


class Interleaving:
    """Pause thread `first` just after its first write (its hold on the person); let
    `second` run up to its own first write, then let both go on."""

    def __init__(self, engine, first: str, second: str):
        self.engine, self.first, self.second = engine, first, second
        self.first_holds = threading.Event()
        self.second_arrives = threading.Event()
        self.release = threading.Event()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == self.first and _writes(statement) and not self.first_holds.is_set():
            self.first_holds.set()
            assert self.release.wait(WAIT), "the test never let the first request go on"

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == self.second and _writes(statement):
            self.second_arrives.set()

    def __enter__(self):
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        self.release.set()
        sa.event.remove(self.engine, "after_cursor_execute", self._after)
        sa.event.remove(self.engine, "before_cursor_execute", self._before)


def run(name: str, call: Callable, answers: dict) -> threading.Thread:
    def target():
        answers[name] = call()
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def interleave(app, first: tuple[str, Callable], second: tuple[str, Callable]) -> dict:
    """Run `first` until it holds the person, then `second` up to its own first write, then
    both to the end; their answers by name."""
    answers: dict = {}
    (first_name, first_call), (second_name, second_call) = first, second
    with Interleaving(app.extensions["zoombridge.db"].engine, first_name, second_name) as order:
        leader = run(first_name, first_call, answers)
        assert order.first_holds.wait(WAIT)
        follower = run(second_name, second_call, answers)
        assert order.second_arrives.wait(WAIT)
        order.release.set()
        leader.join(WAIT), follower.join(WAIT)
    return answers


@pytest.fixture
def proposed(held, db, client, staff_headers):
    """Ann (erasable: her earlier payment is exported) has a proposed payment for another session."""
    with db() as s:
        other = add_held_session(s, meeting_uuid="another==", attendance_final_at=SAMPLE_START + timedelta(days=1))
        ann = s.get(Person, held.ann)
        register(s, other, ann, None)
        join(s, other, ann)
        other_id = other.id
    client.post(f"/api/v1/sessions/{other_id}/attendance/recompute", headers=staff_headers)
    (payment,) = client.get(f"/api/v1/sessions/{other_id}/payments", headers=staff_headers).get_json()["payments"]
    assert payment["status"] == "proposed"
    return payment["id"]


def erase_call(app, headers, person_id):
    return lambda: app.test_client().post(f"/api/v1/people/{person_id}/erase", headers=headers)


def approve_call(app, headers, decision_id):
    return lambda: app.test_client().patch(f"/api/v1/payments/{decision_id}", headers=headers,
                                           json={"action": "approve"})


def approved_for_erased(db, person_id) -> list[int]:
    with db() as s:
        erased = s.get(Person, person_id).erased_at is not None
        waiting = list(s.scalars(select(PaymentDecision.id).where(
            PaymentDecision.person_id == person_id, PaymentDecision.status == "approved",
            PaymentDecision.exported_at.is_(None))))
    return waiting if erased else []


def test_an_approval_arriving_during_an_erasure_waits_and_is_refused(app, db, staff_headers, held, proposed):
    answers = interleave(app, ("erase", erase_call(app, staff_headers, held.ann)),
                         ("approve", approve_call(app, staff_headers, proposed)))
    assert answers["erase"].status_code == 200
    assert answers["approve"].status_code == 409
    assert "erased" in answers["approve"].get_json()["error"]["message"]
    assert approved_for_erased(db, held.ann) == []


def test_an_erasure_arriving_during_an_approval_waits_and_is_refused(app, db, staff_headers, held, proposed):
    answers = interleave(app, ("approve", approve_call(app, staff_headers, proposed)),
                         ("erase", erase_call(app, staff_headers, held.ann)))
    assert answers["approve"].status_code == 200
    assert answers["erase"].status_code == 409
    assert answers["erase"].get_json()["error"]["code"] == "payment_not_exported"
    with db() as s:
        assert s.get(Person, held.ann).email == "ann@example.org"


# --- every review of money races erasure the same way ------------------------------------------

def paid_decision(db, person_id) -> int:
    """The current decision of the held session's export: Ann's £50, paid."""
    with db() as s:
        decision = s.scalar(select(PaymentDecision).where(PaymentDecision.person_id == person_id,
                                                          PaymentDecision.is_current.is_(True),
                                                          PaymentDecision.status == "exported"))
        return decision.id


REVIEWS = {
    "reject": {"action": "reject", "reason": "counted twice"},
    "adjust": {"action": "adjust", "amount_pence": 4000, "reason": "left early"},
    "adjust to nothing": {"action": "adjust", "amount_pence": 0, "reason": "not eligible after all"},
}


def review_call(app, headers, decision_id, body):
    return lambda: app.test_client().patch(f"/api/v1/payments/{decision_id}", headers=headers, json=body)


def money_of(db, person_id) -> list[tuple]:
    with db() as s:
        return [(d.version, d.status, d.amount_pence, d.is_current) for d in s.scalars(
            select(PaymentDecision).where(PaymentDecision.person_id == person_id).order_by(PaymentDecision.id))]


@pytest.mark.parametrize("review", sorted(REVIEWS))
def test_a_review_of_paid_money_arriving_during_an_erasure_waits_and_is_refused(app, db, staff_headers, held,
                                                                                review):
    decision_id = paid_decision(db, held.ann)
    before = money_of(db, held.ann)
    answers = interleave(app, ("erase", erase_call(app, staff_headers, held.ann)),
                         ("review", review_call(app, staff_headers, decision_id, REVIEWS[review])))
    assert answers["erase"].status_code == 200
    assert answers["review"].status_code == 409
    assert answers["review"].get_json()["error"] | {"message": ""} == {"code": "person_erased", "field": "person_id",
                                                                      "message": ""}
    assert money_of(db, held.ann) == before, "what she was paid stands, with no correction waiting"


@pytest.mark.parametrize("review", sorted(REVIEWS))
def test_an_erasure_arriving_during_a_review_of_paid_money_waits_and_is_refused(app, db, staff_headers, held,
                                                                                review):
    decision_id = paid_decision(db, held.ann)
    answers = interleave(app, ("review", review_call(app, staff_headers, decision_id, REVIEWS[review])),
                         ("erase", erase_call(app, staff_headers, held.ann)))
    assert answers["review"].status_code == 200
    assert answers["erase"].status_code == 409
    assert answers["erase"].get_json()["error"]["code"] == "payment_not_exported"  # the correction goes first
    with db() as s:
        assert s.get(Person, held.ann).erased_at is None and s.get(Person, held.ann).email == "ann@example.org"


def test_erasure_and_reviews_started_together_never_leave_money_waiting_for_someone_erased(app, db, staff_headers,
                                                                                           held, proposed):
    """No pauses: an erasure, an approval of one payment and a rejection of another, all at once.
    Whatever order they land in, each refused one says why, and nothing waits for the export
    for an erased person."""
    start = threading.Barrier(3)
    calls = {"erase": erase_call(app, staff_headers, held.ann),
             "approve": approve_call(app, staff_headers, proposed),
             "reject": review_call(app, staff_headers, paid_decision(db, held.ann), REVIEWS["reject"])}
    answers: dict = {}

    def together(call):
        def go():
            start.wait(WAIT)
            return call()
        return go

    threads = [run(name, together(call), answers) for name, call in calls.items()]
    for thread in threads:
        thread.join(WAIT)
    codes = {name: (answer.status_code, (answer.get_json().get("error") or {}).get("code"))
             for name, answer in answers.items()}
    if codes["erase"][0] == 200:  # it went first: both reviews then found her erased
        assert codes == {"erase": (200, None), "approve": (409, "person_erased"), "reject": (409, "person_erased")}
    else:  # a review went first: its money now waits for the export, so the erasure waits too
        assert codes == {"erase": (409, "payment_not_exported"), "approve": (200, None), "reject": (200, None)}
    with db() as s:
        erased = s.get(Person, held.ann).erased_at is not None
        waiting = list(s.scalars(select(PaymentDecision.id).where(
            PaymentDecision.person_id == held.ann, PaymentDecision.is_current.is_(True),
            PaymentDecision.exported_at.is_(None), PaymentDecision.status.in_(("approved", "rejected")))))
    assert not (erased and waiting), (codes, waiting)
