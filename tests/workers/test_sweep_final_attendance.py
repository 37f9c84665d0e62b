"""Attendance becomes final even when Zoom never says the meeting ended (issue 15's bound).

A session whose `meeting.ended` never arrives (a lost delivery, a Zoom outage, a host who left the
meeting running) is found by the safety sweep `meeting_ended_grace_hours` after its scheduled end
and reconciled from Zoom's report, so its attendance is final, its raw copies go the retention
days later, and an erasure refused meanwhile says until when. Real parts: the webhook endpoint,
ingest, the sweep, the reconcile jobs, retention and the staff API, with Zoom played by the
stand-in in this process. Time is the test clock's: the sweep is run at the moments that matter.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import add_person, add_session, register
from tests.conftest import WEBHOOK_SECRET
from tests.standin_fixtures import IN_PROCESS_SETTINGS
from workers.jobs.reconcile import RETRY_DELAYS
from workers.jobs.retention import drop_expired_copies
from workers.jobs.sweep import sweep_sessions
from zoombridge.attendance import finality
from zoombridge.queue.queues import ZOOM, get_queue, job_id_for
from zoombridge.sandbox.events import Participant as Attendee  # the webhook side; models.Participant is ours
from zoombridge.sandbox.events import ZoomEvents, zulu
from zoombridge.store.models import AuditEntry, InboxEvent, Participant
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom.signature import signed_headers, webhook_bytes

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # an hour after the test clock's now
MINUTES = 120
END = START + timedelta(minutes=MINUTES)  # the scheduled end
GRACE = timedelta(hours=24)  # the default meeting_ended_grace_hours
INSTANCE = "fInAl7eStUuId0AbCd1234=="  # the meeting instance Zoom held the session in
ANN = Attendee("Ann", "16778240", registrant_id="reg-ann-1q", email="ann@example.org", zoom_user_id="zu-ann")
BO = Attendee("Bo", "16778241", registrant_id="reg-bo-2r", email="bo@example.org", zoom_user_id="zu-bo")


@pytest.fixture
def settings(settings):
    return settings.with_changes(**IN_PROCESS_SETTINGS)


@pytest.fixture
def zoom(standin_in_process):
    return standin_in_process


@pytest.fixture
def copro(db, zoom):
    """A two-hour paid session on its own Zoom meeting; Ann and Bo registered (ids in a dict)."""
    meeting = zoom.state.create_meeting("host@example.org", {"topic": "Shaping our website", "type": 2,
                                                             "start_time": zulu(START), "duration": MINUTES})
    with db() as s:
        session = add_session(s, title="Shaping our website", starts_at=START, minutes=MINUTES,
                              zoom_meeting_id=meeting["id"], zoom_meeting_state="created")
        ann, bo = add_person(s, "Ann"), add_person(s, "Bo")
        register(s, session, ann, ANN.registrant_id)
        register(s, session, bo, BO.registrant_id)
        return {"session": session.id, "ann": ann.id, "bo": bo.id, "meeting_id": meeting["id"]}


def deliver(client, clock, *bodies) -> None:
    for body in bodies:
        raw = webhook_bytes(body)
        answer = client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))
        assert answer.status_code == 200, answer.data


def report_row(who: Attendee, joined: int, left: int) -> dict:
    """One row of Zoom's participant report (minutes from the start), shaped as the stand-in serves it."""
    return {"id": who.zoom_user_id, "user_id": who.user_id, "participant_user_id": who.zoom_user_id,
            "name": who.name, "user_email": who.email, "join_time": zulu(START + timedelta(minutes=joined)),
            "leave_time": zulu(START + timedelta(minutes=left)), "duration": (left - joined) * 60,
            "failover": False, "status": "in_meeting", "customer_key": "", "registrant_id": who.registrant_id}


def zoom_held_it(zoom, copro, *, started: datetime = START) -> None:
    """Zoom's record of the meeting (what its report and instance list answer): Ann 0-45, Bo 5-60."""
    zoom.state.record_instance(copro["meeting_id"], {
        "uuid": INSTANCE, "start_time": zulu(started), "end_time": zulu(START + timedelta(minutes=60)),
        "participants": [report_row(ANN, 0, 45), report_row(BO, 5, 60)]})


def sweep(app) -> dict:
    with app.app_context():
        return sweep_sessions()


def final_at(db, session_id):
    with db() as s:
        return s.get(SessionRow, session_id).attendance_final_at


def minutes(client, staff_headers, session_id) -> dict:
    answer = client.get(f"/api/v1/sessions/{session_id}/attendance", headers=staff_headers).get_json()
    return {p["person_id"]: p["minutes"] for p in answer["people"]}


def audited(db, action: str) -> list[dict]:
    with db() as s:
        return [e.details for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                             .order_by(AuditEntry.id))]


def waiting(redis_conn) -> list[str]:
    """The ids of the Zoom queue's jobs waiting to run now or later (the scheduled ones too)."""
    queue = get_queue(ZOOM, redis_conn)
    return sorted(queue.job_ids + queue.scheduled_job_registry.get_job_ids())


def play_without_an_end(client, clock, run_jobs, copro):
    z = ZoomEvents(meeting_id=copro["meeting_id"], uuid=INSTANCE, start=START)
    clock.set(START + timedelta(minutes=61))
    deliver(client, clock, z.started(START), z.joined(ANN, START), z.joined(BO, START + timedelta(minutes=5)),
            z.left(BO, START + timedelta(minutes=60)))
    run_jobs()
    return z


# --- the rule, with the test clock --------------------------------------------------------------

def test_a_session_whose_meeting_ended_never_came_becomes_final_after_the_grace_and_not_before(
        app, db, client, staff_headers, clock, run_jobs, zoom, copro, redis_conn):
    play_without_an_end(client, clock, run_jobs, copro)
    zoom_held_it(zoom, copro)
    with db() as s:
        session = s.get(SessionRow, copro["session"])
        assert (session.meeting_uuid, session.ended_at, session.attendance_final_at) == (INSTANCE, None, None)

    clock.set(END + GRACE - timedelta(seconds=1))
    assert sweep(app)["finalise"] == 0
    run_jobs()
    assert final_at(db, copro["session"]) is None
    assert zoom.calls_to("GET", r"/report/meetings/.*") == [], "Zoom is not asked before the grace is over"

    clock.set(END + GRACE)
    assert sweep(app)["finalise"] == 1
    run_jobs()
    assert final_at(db, copro["session"]) == END + GRACE
    # Zoom's report closed Ann's stay the webhooks left open: 45 minutes, not until the scheduled end.
    assert minutes(client, staff_headers, copro["session"]) == {copro["ann"]: 45, copro["bo"]: 55}
    assert [d["session_id"] for d in audited(db, "attendance.report_merged")] == [copro["session"]]


def test_the_sweep_starts_one_reconciliation_and_none_while_it_waits_for_the_report(
        app, db, client, clock, run_jobs, zoom, copro, redis_conn):
    play_without_an_end(client, clock, run_jobs, copro)  # and Zoom has no report for it yet
    clock.set(END + GRACE)
    assert sweep(app)["finalise"] == 1
    assert sweep(app)["finalise"] == 0, "the first one is still queued"
    assert waiting(redis_conn) == [job_id_for(f"reconcile-session:{copro['session']}")]

    run_jobs()  # finds the instance the webhooks named, asks for the report: not ready
    assert final_at(db, copro["session"]) is None
    assert waiting(redis_conn) == [job_id_for(f"reconcile:{INSTANCE}:1")]
    for delay in RETRY_DELAYS:
        assert sweep(app)["finalise"] == 0, "the reconciliation waiting for the report is in hand"
        assert len(waiting(redis_conn)) == 1
        clock.advance(seconds=delay.total_seconds() + 1)
        run_jobs()

    assert final_at(db, copro["session"]) == clock.now()
    assert len(zoom.calls_to("GET", r"/report/meetings/.*")) == len(RETRY_DELAYS) + 1, "one chain of tries"
    assert [d["meeting_uuid"] for d in audited(db, "attendance.final_without_report")] == [INSTANCE]
    # The bound the erasure refusal promises: final at most about 48 hours after the scheduled end.
    assert clock.now() - END <= finality.longest_wait(GRACE) + timedelta(minutes=1)
    assert finality.whole_hours(finality.longest_wait(GRACE)) == 48
    assert sweep(app)["finalise"] == 0 and waiting(redis_conn) == []


def test_two_sweeps_at_once_start_one_reconciliation(app, db, client, clock, run_jobs, zoom, copro, redis_conn):
    play_without_an_end(client, clock, run_jobs, copro)
    zoom_held_it(zoom, copro)
    clock.set(END + GRACE)
    both = threading.Barrier(2)
    done: list[dict] = []

    def one_sweep():
        with app.app_context():
            both.wait(timeout=30)
            done.append(sweep_sessions())

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(done) == 2
    assert waiting(redis_conn) == [job_id_for(f"reconcile-session:{copro['session']}")]
    run_jobs()
    assert final_at(db, copro["session"]) == END + GRACE
    assert len(zoom.calls_to("GET", r"/report/meetings/.*")) == 1
    assert len(audited(db, "attendance.report_merged")) == 1


def test_a_session_that_ended_normally_is_left_alone(app, db, client, clock, run_jobs, zoom, copro, redis_conn):
    z = play_without_an_end(client, clock, run_jobs, copro)
    zoom_held_it(zoom, copro)
    deliver(client, clock, z.left(ANN, START + timedelta(minutes=45)), z.ended(START + timedelta(minutes=60)))
    run_jobs()
    clock.advance(minutes=15)  # reconciliation waits for Zoom's report after `meeting.ended`
    run_jobs()
    finalised = final_at(db, copro["session"])
    assert finalised == clock.now()

    clock.set(END + GRACE + timedelta(hours=1))
    assert sweep(app)["finalise"] == 0
    assert waiting(redis_conn) == []
    run_jobs()
    assert final_at(db, copro["session"]) == finalised
    assert len(zoom.calls_to("GET", r"/report/meetings/.*")) == 1
    assert zoom.calls_to("GET", r"/past_meetings/.*") == []


# --- sessions no webhook named ------------------------------------------------------------------

def test_a_session_every_webhook_of_which_was_lost_is_found_among_zoom_instances(
        app, db, client, staff_headers, clock, run_jobs, zoom, copro):
    zoom_held_it(zoom, copro, started=START + timedelta(minutes=2))
    clock.set(END + GRACE)
    assert sweep(app)["finalise"] == 1
    run_jobs()
    with db() as s:
        session = s.get(SessionRow, copro["session"])
        assert (session.meeting_uuid, session.started_at, session.attendance_final_at) == (
            INSTANCE, START + timedelta(minutes=2), END + GRACE)
    assert audited(db, "attendance.meeting_instance_found") == [
        {"meeting_uuid": INSTANCE, "started_at": (START + timedelta(minutes=2)).isoformat()}]
    assert minutes(client, staff_headers, copro["session"]) == {copro["ann"]: 45, copro["bo"]: 55}


def test_a_session_zoom_never_held_is_final_with_nobody_attending(app, db, clock, run_jobs, zoom, copro):
    with db() as s:
        cancelled = add_session(s, title="Called off", starts_at=START, minutes=MINUTES, status="cancelled",
                                zoom_meeting_id=copro["meeting_id"]).id
    clock.set(END + GRACE)
    assert sweep(app)["finalise"] == 2
    run_jobs()
    assert final_at(db, copro["session"]) == final_at(db, cancelled) == END + GRACE
    assert audited(db, "attendance.final_without_meeting") == [
        {"problem": "no instance of the Zoom meeting started near the session's scheduled start"},
        {"problem": "the session was cancelled"}]
    assert len(zoom.calls_to("GET", r"/past_meetings/.*/instances")) == 1, "Zoom is not asked about a cancelled one"
    assert sweep(app)["finalise"] == 0


def test_while_zoom_cannot_list_the_instances_it_is_asked_again_and_the_bound_still_holds(
        app, db, clock, run_jobs, zoom, copro, redis_conn):
    zoom.faults.arm("refusal", times=len(RETRY_DELAYS) + 1, status=403, code=200, message="No permission.",
                    method="GET", path_prefix="/v2/past_meetings")
    clock.set(END + GRACE)
    assert sweep(app)["finalise"] == 1
    run_jobs()
    assert waiting(redis_conn) == [job_id_for(f"reconcile-session:{copro['session']}:1")]
    for delay in RETRY_DELAYS:
        assert sweep(app)["finalise"] == 0
        clock.advance(seconds=delay.total_seconds() + 1)
        run_jobs()
    assert final_at(db, copro["session"]) == clock.now()
    assert clock.now() - END <= finality.longest_wait(GRACE) + timedelta(minutes=1)
    assert [d["problem"] for d in audited(db, "attendance.final_without_meeting")] == ["ZoomError 403 200"]


# --- what finality starts -----------------------------------------------------------------------

def test_retention_drops_the_raw_copies_the_configured_days_after_the_sweep_made_attendance_final(
        app, db, client, staff_headers, clock, run_jobs, zoom, copro):
    play_without_an_end(client, clock, run_jobs, copro)
    zoom_held_it(zoom, copro)
    app.config["ZOOMBRIDGE_SETTINGS"] = app.config["ZOOMBRIDGE_SETTINGS"].with_changes(raw_copy_retention_days=30)
    clock.set(END + GRACE)
    sweep(app)
    run_jobs()
    final = final_at(db, copro["session"])

    clock.set(final + timedelta(days=30) - timedelta(seconds=1))
    with app.app_context():
        assert drop_expired_copies()["webhook_bodies"] == 0
    clock.advance(seconds=1)
    with app.app_context():
        done = drop_expired_copies()
    assert (done["sessions"], done["webhook_bodies"]) == (1, 4)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.body != "")) == 0
        assert {(p.display_name, p.email) for p in s.scalars(select(Participant))} == {("", None)}
    assert minutes(client, staff_headers, copro["session"]) == {copro["ann"]: 45, copro["bo"]: 55}


def test_erasure_refused_meanwhile_says_until_when_and_is_done_once_attendance_is_final(
        app, db, client, staff_headers, clock, run_jobs, zoom, copro):
    play_without_an_end(client, clock, run_jobs, copro)
    zoom_held_it(zoom, copro)
    clock.set(END + timedelta(hours=3))
    refused = client.post(f"/api/v1/people/{copro['ann']}/erase", headers=staff_headers, json={})
    error = refused.get_json()["error"]
    assert (refused.status_code, error["code"], error["field"]) == (409, "attendance_not_final", "person_id")
    # scheduled end 12:00 on Tuesday 24 November (London is on UTC then) + 24 h + the day's report waits
    assert "at most about 48 hours after a session's scheduled end" in error["message"]
    assert "ask again after Thu 26 Nov 2026, 11:50" in error["message"]
    assert f"Shaping our website (session {copro['session']})" in error["message"]

    clock.set(END + GRACE)
    sweep(app)
    run_jobs()
    erased = client.post(f"/api/v1/people/{copro['ann']}/erase", headers=staff_headers, json={})
    assert erased.status_code == 200, erased.get_json()


def test_erasure_waits_for_a_session_no_webhook_named_once_its_start_has_passed(
        app, db, client, staff_headers, clock, run_jobs, zoom, copro):
    """Its report may still name them (the sweep will merge it), so it is pending like any other."""
    zoom_held_it(zoom, copro)
    clock.set(START + timedelta(hours=5))
    refused = client.post(f"/api/v1/people/{copro['bo']}/erase", headers=staff_headers, json={})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "attendance_not_final")
    clock.set(END + GRACE)
    sweep(app)
    run_jobs()
    assert client.post(f"/api/v1/people/{copro['bo']}/erase", headers=staff_headers, json={}).status_code == 200
