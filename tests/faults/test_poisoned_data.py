"""Bad data poisons one row or one job, never the rest.

Promise: an inbox row that cannot be made into attendance (a body nested too deep to parse, an
identifier longer than any Zoom id and than its column) is marked `failed` with its reason,
and the other rows of the same meeting and of other meetings are processed; a job whose stored
data is broken fails its retries and lands in RQ's failed registry with a readable reason,
while the jobs queued beside it run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from tests.builders import add_session
from tests.conftest import WEBHOOK_SECRET
from tests.faults.conftest import status_counts
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.store.inbox import PENDING
from zoombridge.store.models import AttendanceSegment, BreakoutPlan, InboxEvent
from zoombridge.zoom.signature import signed_headers, webhook_bytes

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)
ANA = Participant("Ana", "1", registrant_id="reg-ana")
BEN = Participant("Ben", "2", email="ben@example.org")
TOO_LONG = Participant("Long", "3", registrant_id="r" * 300)  # fits no column; breaks PostgreSQL's insert


def _deliver(client, clock, *bodies):
    for body in bodies:
        raw = webhook_bytes(body)
        response = client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))
        assert response.status_code == 200, response.data


def test_unusable_rows_are_failed_with_a_reason_and_the_rest_of_the_meeting_is_processed(
        app, client, clock, db, run_jobs):
    a, b = ZoomEvents(uuid="meeting-a=="), ZoomEvents(uuid="meeting-b==")
    _deliver(client, clock, a.joined(ANA, T0), a.joined(TOO_LONG, T0), b.joined(ANA, T0))
    with db() as s:  # a row no webhook could bring (the receiver refuses it), written by hand
        s.execute(insert(InboxEvent).values(dedupe_key="deep", event="meeting.participant_joined",
                                            meeting_uuid=a.uuid, body="[" * 100_000 + "]" * 100_000,
                                            status=PENDING, received_at=clock.now()))
    _deliver(client, clock, a.joined(BEN, T0 + timedelta(minutes=1)), a.left(ANA, T0 + timedelta(minutes=30)),
             b.left(ANA, T0 + timedelta(minutes=20)))
    run_jobs()

    assert status_counts(db, a.uuid) == {"processed": 3, "failed": 2}
    assert status_counts(db, b.uuid) == {"processed": 2}
    with db() as s:
        reasons = set(s.scalars(select(InboxEvent.error).where(InboxEvent.status == "failed")))
        segments = {(x.meeting_uuid, x.joined_at, x.left_at) for x in s.scalars(select(AttendanceSegment))}
    assert reasons == {"no usable attendance event in the body"}
    assert segments == {(a.uuid, T0, T0 + timedelta(minutes=30)), (a.uuid, T0 + timedelta(minutes=1), None),
                        (b.uuid, T0, T0 + timedelta(minutes=20))}
    assert run_jobs.failed() == []
    print("\npoisoned rows: meeting A 5 rows -> 3 processed, 2 failed with a reason; meeting B 2 rows -> 2 processed; "
          "3 segments; 0 failed jobs")


def test_a_job_with_broken_data_goes_to_the_failed_registry_with_its_reason_and_others_run(
        app, client, clock, db, run_jobs, redis_conn):
    with db() as s:
        session = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0, zoom_meeting_id=ZoomEvents().meeting_id)
        plan = BreakoutPlan(session_id=session.id, created_at=clock.now(), created_by="Test", seed=1, round_count=1,
                            rules={}, plan={"people": []}, report={})  # the plan lost its rounds
        s.add(plan)
        s.flush()
        plan_id = plan.id
    enqueue_once(redis_conn, "workers.jobs.breakout.push_breakout_plan", plan_id, job_id=f"push-plan:{plan_id}",
                 queue=ZOOM)
    z = ZoomEvents()
    _deliver(client, clock, z.joined(ANA, T0), z.left(ANA, T0 + timedelta(minutes=45)))
    run_jobs()

    [failed] = run_jobs.failed()
    assert failed.id == f"push-plan_{plan_id}"
    assert failed.retries_left == 0  # it was retried (5 times) before it was given up
    reason = failed.latest_result().exc_string.strip().splitlines()[-1]
    assert reason == "KeyError: 'rounds'"
    assert status_counts(db, z.uuid) == {"processed": 2}
    print(f"\npoisoned job: push-plan -> failed registry after its retries, reason "
          f"{reason!r}; the meeting's 2 rows processed")
