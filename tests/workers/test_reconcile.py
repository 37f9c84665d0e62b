import re
from datetime import timedelta

import pytest
import responses
from sqlalchemy import func, inspect, select

from tests.sample_session import MEETING_UUID, add_held_session, add_person, at, join, register
from workers.jobs.reconcile import RETRY_DELAYS, reconcile_meeting
from zoombridge.attendance import session_attendance
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.store.models import (
    AttendanceDifference,
    AttendanceSegment,
    AuditEntry,
    Participant,
    PaymentDecision,
)
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom import SLEEP_EXTENSION

TOKEN_URL = "https://zoom.us/oauth/token"
REPORT_URL = re.compile(r"https://api\.zoom\.us/v2/report/meetings/[^/]+/participants")


@pytest.fixture
def settings(settings):
    return settings.with_changes(zoom_account_id="acct", zoom_client_id="client", zoom_client_secret="secret")


@pytest.fixture
def zoom(app):
    app.extensions[SLEEP_EXTENSION] = lambda seconds: None
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json={"access_token": "token-1", "token_type": "bearer", "expires_in": 3600})
        yield mock


def report_row(person_id, a, b, **extra):
    row = {"id": f"uuid-{person_id}", "user_id": str(16778240 + person_id), "name": f"P{person_id}",
           "user_email": "", "join_time": _z(at(a)), "leave_time": _z(at(b)), "duration": int((b - a) * 60),
           "status": "in_meeting", "registrant_id": f"reg-{person_id}"}
    row.update(extra)
    return row


def _z(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def page(rows, token=""):
    return {"page_count": 1, "page_size": 300, "total_records": len(rows), "next_page_token": token, "participants": rows}


def enqueue(redis_conn, clock):
    return enqueue_once(redis_conn, "workers.jobs.reconcile.reconcile_meeting", MEETING_UUID,
                        job_id=f"reconcile:{MEETING_UUID}", queue=ZOOM, now=clock.now())


def setup_lost_leave(db):
    with db() as s:
        session = add_held_session(s)
        ann, bo = add_person(s, "Ann"), add_person(s, "Bo")
        register(s, session, ann)
        register(s, session, bo)
        join(s, session, ann, segments=((0, None),))  # participant_left never arrived
        return session.id, ann.id, bo.id


def current(db, session_id, person_id):
    with db() as s:
        return s.scalar(select(PaymentDecision).where(PaymentDecision.session_id == session_id,
                                                      PaymentDecision.person_id == person_id,
                                                      PaymentDecision.is_current.is_(True)))


def test_a_lost_participant_left_is_recovered_from_the_report(app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([report_row(ann, 0, 45), report_row(ann, 0, 50, status="in_waiting_room")]))
    clock.advance(hours=3)
    enqueue(redis_conn, clock)
    run_jobs()
    decision = current(db, session_id, ann)
    assert decision.inputs["attended_seconds"] == 45 * 60
    assert not decision.eligible  # without the report she would have been paid for two hours
    with db() as s:
        assert s.get(SessionRow, session_id).attendance_final_at == clock.now()
        difference = s.scalar(select(AttendanceDifference))
        assert (difference.kind, difference.seconds) == ("left_time_from_report", 75 * 60)
        segment = s.scalar(select(AttendanceSegment).where(AttendanceSegment.source == "webhook"))
        assert (segment.left_at, segment.report_left_at) == (None, at(45))  # the webhook record is untouched
        # and what staff read (the per-person summary) says 45 minutes, not two hours
        read = session_attendance.read(s, s.get(SessionRow, session_id), 10)
        assert [(p.person_id, p.attendance.seconds) for p in read.people] == [(ann, 45 * 60)]


def test_the_report_request_asks_for_registrant_ids_and_encodes_the_uuid(app, db, zoom, redis_conn, clock, run_jobs):
    setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([]))
    with app.app_context():
        reconcile_meeting(MEETING_UUID)
    call = [c for c in zoom.calls if "report" in c.request.url][0]
    assert "/report/meetings/aBcD%2FeFgH%2BiJkL%3D%3D1234/participants" in call.request.url
    assert "include_fields=registrant_id" in call.request.url


def test_every_page_of_the_report_is_read(app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([report_row(ann, 0, 120)], token="next-1"))
    zoom.get(REPORT_URL, json=page([report_row(bo, 0, 120)]))
    clock.advance(hours=3)
    enqueue(redis_conn, clock)
    run_jobs()
    assert current(db, session_id, bo).eligible  # Bo only appears on page two
    assert "next_page_token=next-1" in [c for c in zoom.calls if "report" in c.request.url][1].request.url


def test_a_person_the_webhooks_missed_is_added_from_the_report_and_the_difference_kept(
        app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([report_row(ann, 0, 120), report_row(bo, 5, 60), report_row(bo, 60, 118, bo_mtg_id="b1")]))
    clock.advance(hours=3)
    enqueue(redis_conn, clock)
    run_jobs()
    decision = current(db, session_id, bo)
    assert (decision.eligible, decision.inputs["attended_seconds"], decision.inputs["sources"]) == (True, 113 * 60, ["report"])
    with db() as s:
        participant = s.scalar(select(Participant).where(Participant.person_id == bo))
        assert (participant.matched_by, participant.registrant_id) == ("registrant", f"reg-{bo}")
        kinds = sorted(s.scalars(select(AttendanceDifference.kind)))
        assert kinds == ["missing_from_webhook", "missing_from_webhook"]


def test_reconciling_twice_leaves_the_same_rows(app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([report_row(ann, 0, 45), report_row(bo, 0, 100)]))

    def rows():
        """Every column of every row reconciliation writes, ids included (a delete and re-insert
        of the same content is a change too)."""
        with db() as s:
            return {model.__name__: sorted((tuple(getattr(row, c.key) for c in inspect(model).column_attrs)
                                            for row in s.scalars(select(model))), key=repr)
                    for model in (AttendanceSegment, AttendanceDifference, Participant, PaymentDecision)}

    before = rows()
    with app.app_context():
        reconcile_meeting(MEETING_UUID)
        first = rows()
        reconcile_meeting(MEETING_UUID)
    assert first != before  # the first run did add Bo and close Ann's stay
    assert len(first["AttendanceDifference"]) == 2 and len(first["Participant"]) == 2
    assert rows() == first
    assert [d.inputs["attended_seconds"] for d in (current(db, session_id, ann), current(db, session_id, bo))] \
        == [45 * 60, 100 * 60]


def test_a_report_that_is_not_ready_is_tried_again_later_by_the_clock(app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, status=404, json={"code": 3001, "message": "Meeting does not exist: report not ready."})
    zoom.get(REPORT_URL, json=page([report_row(ann, 0, 45)]))
    enqueue(redis_conn, clock)
    run_jobs()
    provisional = current(db, session_id, ann)
    assert provisional.eligible and provisional.inputs["attended_seconds"] == 120 * 60  # webhook record only
    with db() as s:
        assert s.get(SessionRow, session_id).attendance_final_at is None
    clock.advance(minutes=4)
    run_jobs()
    assert current(db, session_id, ann).id == provisional.id
    clock.advance(minutes=2)
    run_jobs()
    final = current(db, session_id, ann)
    assert (final.version, final.eligible, final.status) == (2, False, "proposed")
    with db() as s:
        assert s.get(SessionRow, session_id).attendance_final_at is not None


def test_without_a_report_for_a_day_the_webhook_record_becomes_final(app, db, zoom, redis_conn, clock, run_jobs):
    session_id, ann, bo = setup_lost_leave(db)
    zoom.get(REPORT_URL, json=page([]))
    enqueue(redis_conn, clock)
    run_jobs()
    for delay in RETRY_DELAYS:
        clock.advance(seconds=delay.total_seconds() + 1)
        run_jobs()
    assert sum(RETRY_DELAYS, timedelta()) >= timedelta(hours=23)
    with db() as s:
        assert s.get(SessionRow, session_id).attendance_final_at == clock.now()
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "attendance.final_without_report")) == 1
    assert current(db, session_id, ann).eligible
