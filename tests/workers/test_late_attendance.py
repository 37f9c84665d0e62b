"""Late evidence reaches the money: attendance that changes after decisions exist recomputes them.

Real parts: the webhook endpoint, the inbox, the ingest job, the recompute job (one intent,
`recompute-payments:{session}`), the payment policy; the database and Redis of the test.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import add_person, add_session, register
from tests.workers.test_ingest import T0, at, deliver  # noqa: F401 (deliver: a fixture)
from zoombridge.payments import decisions
from zoombridge.queue import intents
from zoombridge.sandbox.events import Participant as Attendee  # the webhook side; models.Participant is ours
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.models import PaymentDecision

ANA = Attendee("Ana", "100", registrant_id="reg-ana", email="ana@example.org")


@pytest.fixture
def copro(db):
    """A paid two-hour co-production session; Ana opted in and confirmed her claim."""
    with db() as s:
        session = add_session(s, starts_at=T0, zoom_meeting_id=ZoomEvents().meeting_id, title="Payment policy")
        ana = add_person(s, "Ana")
        register(s, session, ana, "reg-ana")
        return {"session": session.id, "ana": ana.id}


def versions(db, session_id):
    with db() as s:
        return [(d.version, d.is_current, d.status, d.eligible) for d in s.scalars(
            select(PaymentDecision).where(PaymentDecision.session_id == session_id).order_by(PaymentDecision.version))]


def test_a_late_participant_left_after_approval_makes_a_new_version_for_review(
        app, db, copro, deliver, run_jobs, clock):  # noqa: F811 (pytest passes the imported fixture)
    z = ZoomEvents()
    lost_left = z.left(ANA, at(30))  # Zoom could not deliver it; its retry comes an hour later
    deliver(z.started(at(0)), z.joined(ANA, at(0)), z.ended(at(120)))
    run_jobs()
    with app.app_context(), db() as s:  # decisions made and reviewed (reconciliation and staff)
        made = decisions.recompute_session(s, copro["session"], decisions.current_policy(), "test", clock.now())
        assert made.new_versions == 1
        decision = decisions.current_decisions(s, copro["session"])[copro["ana"]]
        decisions.approve(s, decision.id, "staff@example.org", clock.now())
    assert versions(db, copro["session"]) == [(1, True, "approved", True)]

    deliver(lost_left)
    run_jobs()
    assert versions(db, copro["session"]) == [(1, False, "approved", True), (2, True, "needs_review", False)]
    with db() as s:
        current = s.scalar(select(PaymentDecision).where(PaymentDecision.is_current.is_(True)))
    assert current.inputs["attended_seconds"] == 30 * 60

    deliver(lost_left)  # a duplicate of the retry: nothing moves, no new version
    run_jobs()
    assert len(versions(db, copro["session"])) == 2


def test_attendance_during_a_meeting_without_decisions_recomputes_nothing(
        db, copro, deliver, run_jobs, redis_conn):  # noqa: F811 (pytest passes the imported fixture)
    z = ZoomEvents()
    deliver(z.started(at(0)), z.joined(ANA, at(0)), z.left(ANA, at(30)))
    run_jobs()
    assert versions(db, copro["session"]) == []  # no premature decisions from a meeting still going
    assert not redis_conn.exists(f"rq:job:recompute-payments_{copro['session']}")


def test_many_late_events_while_a_recompute_waits_queue_one_job(app, redis_conn, copro):
    with app.app_context():
        first = intents.recompute_payments(redis_conn, copro["session"])
        second = intents.recompute_payments(redis_conn, copro["session"])
    assert first.id == second.id == f"recompute-payments_{copro['session']}"
