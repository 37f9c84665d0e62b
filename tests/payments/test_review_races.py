"""Review actions, cost-claim actions and exports racing on one decision: one wins, the other is
refused (409) or skips the row; nothing is paid twice (issue 13, items 2 and 4).

Real threads send real requests through the app to the real database (SQLite here, PostgreSQL
when ZOOMBRIDGE_TEST_DATABASE_URL is set). Where a test needs one exact interleaving it pauses a
thread just before its first write to a table (an engine event, the way a slow request would
pause there) until the other thread has finished; the free-running test just starts them together.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from tests.sample_session import add_held_session, add_person, join, register
from zoombridge.store.models import CostClaim, LedgerLine, PaymentDecision

WAIT_SECONDS = 20


@pytest.fixture
def approved(app, db, client, staff_headers):
    """A held co-production session with `n` people who attended all of it, each decision approved (£50)."""

    def make(n: int) -> list[dict]:
        with db() as s:
            session = add_held_session(s)
            people = [add_person(s, f"P{i}") for i in range(n)]
            for person in people:
                register(s, session, person)
                join(s, session, person, segments=((0, 120),))
            session_id = session.id
        assert client.post(f"/api/v1/sessions/{session_id}/attendance/recompute", headers=staff_headers).status_code == 200
        decisions = client.get(f"/api/v1/sessions/{session_id}/payments", headers=staff_headers).get_json()["payments"]
        for d in decisions:
            assert client.patch(f"/api/v1/payments/{d['id']}", json={"action": "approve"},
                                headers=staff_headers).status_code == 200
        return decisions

    return make


class Racer(threading.Thread):
    """One request in its own thread, with its own app context and test client."""

    def __init__(self, app, name: str, call):
        super().__init__(name=name, daemon=True)
        self.app, self.call, self.response, self.error = app, call, None, None

    def run(self):
        try:
            with self.app.app_context():
                self.response = self.call(self.app.test_client())
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def result(self):
        self.join(WAIT_SECONDS * 2)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.response


@contextmanager
def pause_before_first_write(app, thread_name: str, until: threading.Event, reached: threading.Event):
    """Hold the named thread just before the first write of its review or export (after it has
    read what it is about to change; the staff token's last-used stamp does not count) until
    `until` is set: the moment a slow request would be overtaken."""
    engine = app.extensions["zoombridge.db"].engine
    done = set()

    def before(conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        words = statement.lstrip().upper().split()
        is_write = words[:1] in (["INSERT"], ["UPDATE"], ["DELETE"]) and "STAFF_TOKENS" not in words[:3]
        if name == thread_name and name not in done and is_write:
            done.add(name)
            reached.set()
            until.wait(WAIT_SECONDS)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def overtaken(app, slow, fast):
    """Run `slow` = (name, call) in a thread until just before its first write, run `fast` to the
    end meanwhile, then let `slow` go on; returns (slow's answer, fast's answer)."""
    reached, fast_done = threading.Event(), threading.Event()
    with pause_before_first_write(app, slow[0], until=fast_done, reached=reached):
        slow_racer = Racer(app, *slow)
        slow_racer.start()
        assert reached.wait(WAIT_SECONDS), f"{slow[0]} never reached a write"
        fast_racer = Racer(app, *fast)
        fast_racer.start()
        fast_answer = fast_racer.result()
        fast_done.set()
        return slow_racer.result(), fast_answer


def adjusting(headers, decision_id: int, amount_pence: int, reason: str = "left early"):
    return lambda c: c.patch(f"/api/v1/payments/{decision_id}", headers=headers,
                             json={"action": "adjust", "amount_pence": amount_pence, "reason": reason})


def export(client, headers):
    response = client.post("/api/v1/payments/export", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def paid_by_person(db) -> dict[int, int]:
    totals: Counter = Counter()
    with db() as s:
        for line in s.scalars(select(LedgerLine)):
            totals[line.person_id] += line.amount_pence
    return dict(totals)


def test_an_adjustment_landing_while_an_export_is_running_is_paid_once_at_its_new_amount(app, db, staff_headers,
                                                                                          approved, client):
    decisions = approved(120)
    target = decisions[-1]  # the export reaches it last
    first, adjust_answer = overtaken(
        app, ("export", lambda c: c.post("/api/v1/payments/export", headers=staff_headers)),
        ("adjust", adjusting(staff_headers, target["id"], 4000, "left ten minutes early")))
    assert adjust_answer.status_code == 200
    first_rows = list(csv.DictReader(io.StringIO(first.get_data(as_text=True))))
    assert len(first_rows) == 119
    assert str(target["person_id"]) not in {r["person_id"] for r in first_rows}  # the old version did not go out
    [second] = export(client, staff_headers)
    assert (second["person_id"], second["amount_pence"], second["type"]) == (str(target["person_id"]), "4000",
                                                                             "session_payment")
    totals = paid_by_person(db)
    assert totals[target["person_id"]] == 4000
    assert set(totals.values()) == {5000, 4000} and len(totals) == 120


def test_an_adjustment_that_read_the_decision_before_an_export_paid_it_is_refused(app, db, staff_headers, approved,
                                                                                   client):
    decisions = approved(3)
    target = decisions[0]
    adjust_answer, first = overtaken(app, ("adjust", adjusting(staff_headers, target["id"], 4000)),
                                     ("export", lambda c: export(c, staff_headers)))
    assert adjust_answer.status_code == 409
    assert adjust_answer.get_json()["error"]["code"] == "conflict"
    assert {r["amount_pence"] for r in first} == {"5000"} and len(first) == 3
    assert export(client, staff_headers) == []
    with db() as s:
        versions = list(s.scalars(select(PaymentDecision).where(PaymentDecision.person_id == target["person_id"])))
        assert [(d.version, d.status, d.is_current) for d in versions] == [(1, "exported", True)]
    assert paid_by_person(db)[target["person_id"]] == 5000


def test_two_reviews_of_one_decision_at_once_one_wins_and_the_other_is_refused(app, db, staff_headers, approved,
                                                                                client):
    [target] = approved(1)
    first_answer, second_answer = overtaken(app, ("first", adjusting(staff_headers, target["id"], 3000)),
                                            ("second", adjusting(staff_headers, target["id"], 2000)))
    assert (second_answer.status_code, first_answer.status_code) == (200, 409)
    [row] = export(client, staff_headers)
    assert row["amount_pence"] == "2000"


def test_a_cost_claim_rejected_while_an_export_runs_is_either_exported_or_rejected_never_both(app, db, staff_headers,
                                                                                              client):
    with db() as s:
        session = add_held_session(s, kind="cuppa", meeting_uuid="cuppa-race")
        bo = add_person(s, "Bo")
        register(s, session, bo)
        session_id, bo_id = session.id, bo.id
    claim = client.post(f"/api/v1/sessions/{session_id}/cost-claims", headers=staff_headers,
                        json={"person_id": bo_id, "amount_pence": 350, "what_for": "phone minutes"}).get_json()["cost_claim"]
    approved_claim = client.patch(f"/api/v1/cost-claims/{claim['id']}", json={"action": "approve"}, headers=staff_headers)
    assert approved_claim.status_code == 200, approved_claim.get_json()
    reject_answer, exported_rows = overtaken(
        app, ("reject", lambda c: c.patch(f"/api/v1/cost-claims/{claim['id']}", headers=staff_headers,
                                          json={"action": "reject", "reason": "not a phone caller"})),
        ("export", lambda c: export(c, staff_headers)))
    assert [r["reference"] for r in exported_rows] == [f"cost-claim-{claim['id']}"]
    assert reject_answer.status_code == 409
    with db() as s:
        assert s.get(CostClaim, claim["id"]).status == "exported"


def test_exports_and_adjustments_started_together_pay_each_person_what_is_due_once(app, db, staff_headers, approved,
                                                                                    client):
    decisions = approved(120)
    targets = decisions[::12]  # ten adjustments spread over the export's path
    start = threading.Barrier(len(targets) + 2)

    def adjust(decision):
        def call(c):
            start.wait(WAIT_SECONDS)
            return c.patch(f"/api/v1/payments/{decision['id']}", headers=staff_headers,
                           json={"action": "adjust", "amount_pence": 3300, "reason": "late start"})
        return call

    def exporting(c):
        start.wait(WAIT_SECONDS)
        return export(c, staff_headers)

    racers = [Racer(app, f"adjust-{d['id']}", adjust(d)) for d in targets]
    racers += [Racer(app, "export-1", exporting), Racer(app, "export-2", exporting)]
    for racer in racers:
        racer.start()
    results = {racer.name: racer.result() for racer in racers}
    after = export(client, staff_headers)

    batches = [results["export-1"], results["export-2"], after]
    references = Counter(r["reference"] for rows in batches for r in rows)
    assert all(n == 1 for n in references.values()), "a decision version was exported twice"
    totals = paid_by_person(db)
    assert len(totals) == 120
    for decision in targets:
        answer = results[f"adjust-{decision['id']}"]
        assert answer.status_code in (200, 409), answer.get_data(as_text=True)
        expected = 3300 if answer.status_code == 200 else 5000
        assert totals[decision["person_id"]] == expected
    assert sum(totals.values()) == 5000 * 110 + sum(3300 if results[f"adjust-{d['id']}"].status_code == 200 else 5000
                                                    for d in targets)
