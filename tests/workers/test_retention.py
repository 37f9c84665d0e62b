"""Retention with the test clock: raw copies go the configured number of days after a session's
attendance is final (default 90), bodies no session claims that long after they arrived, and
rendered emails in the outbox after their own age (default 30); nothing a payment rests on goes.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.people.conftest import ANN, ANN_ASKED, build_held, deliver
from workers.jobs.retention import drop_expired_copies
from workers.scheduler import PERIODIC_JOBS
from zoombridge.notify.mailer import list_outbox
from zoombridge.people import details
from zoombridge.refusals import Refused
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.models import (
    AttendanceEvent,
    AttendanceSegment,
    AttendanceStream,
    AuditEntry,
    InboxEvent,
    Participant,
    PaymentDecision,
    Person,
    PersonChange,
)
from zoombridge.store.models import Session as SessionRow


def kept(db) -> dict:
    """What must survive retention: segments, decisions, which person each participant is."""
    with db() as s:
        return {
            "segments": [(g.participant_id, g.joined_at, g.left_at) for g in s.scalars(
                select(AttendanceSegment).order_by(AttendanceSegment.id))],
            "decisions": [(d.person_id, d.amount_pence, d.status) for d in s.scalars(
                select(PaymentDecision).order_by(PaymentDecision.id))],
            "people": [p.person_id for p in s.scalars(select(Participant).order_by(Participant.id))],
        }


def raw_copies(db) -> dict:
    with db() as s:
        return {
            "bodies": [len(b) for b in s.scalars(select(InboxEvent.body).order_by(InboxEvent.id))],
            "names": [p.display_name for p in s.scalars(select(Participant).order_by(Participant.id))],
            "emails": [p.email for p in s.scalars(select(Participant).order_by(Participant.id))],
            # what ingest parsed from the bodies: who Zoom said each connection and event was
            "parsed": sorted({(x.name, x.email, x.registrant_id) for model in (AttendanceStream, AttendanceEvent)
                              for x in s.scalars(select(model)) if x.name or x.email or x.registrant_id}),
        }


def run_retention(app):
    with app.app_context():
        return drop_expired_copies()


def final_at(db, session_id):
    with db() as s:
        return s.get(SessionRow, session_id).attendance_final_at


def test_raw_copies_stay_until_ninety_days_after_attendance_is_final_then_go(app, db, client, staff_headers, clock,
                                                                            run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs)
    before, evidence = raw_copies(db), kept(db)
    assert all(before["bodies"]) and "Ann Example" in before["names"]

    clock.set(final_at(db, held.session_id) + timedelta(days=90) - timedelta(seconds=1))
    assert run_retention(app)["webhook_bodies"] == 0
    assert raw_copies(db) == before

    clock.advance(seconds=1)
    done = run_retention(app)
    assert (done["sessions"], done["webhook_bodies"], done["participants"]) == (1, 5, 2)
    assert raw_copies(db) == {"bodies": [0] * 5, "names": ["", ""], "emails": [None, None], "parsed": []}
    assert kept(db) == evidence, "attendance times, decisions and who each participant was are kept"
    with db() as s:
        line = s.scalar(select(AuditEntry).where(AuditEntry.action == "retention.raw_copies_dropped"))
        assert (line.actor, line.subject_id, line.details) == (
            "retention job", str(held.session_id), {"webhook_bodies": 5, "participants": 2, "days_after_final": 90})
        events = list(s.scalars(select(InboxEvent.event).order_by(InboxEvent.id)))
    assert events[:2] == ["meeting.started", "meeting.participant_joined"], "the delivery record stays"

    clock.advance(days=1)
    assert run_retention(app) == {"sessions": 0, "webhook_bodies": 0, "participants": 0,
                                  "unclaimed_webhook_bodies": 0, "unconfirmed_details": 0, "email_bodies": 0}
    # Attendance still adds up from what is kept.
    answer = client.get(f"/api/v1/sessions/{held.session_id}/attendance", headers=staff_headers).get_json()
    assert {p["person_id"]: p["minutes"] for p in answer["people"]} == {held.ann: 120, held.bo: 120}


def test_a_session_whose_attendance_is_not_final_keeps_its_raw_copies(app, db, client, staff_headers, clock,
                                                                     run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs)
    with db() as s:
        s.get(SessionRow, held.session_id).attendance_final_at = None
    before = raw_copies(db)
    clock.advance(days=400)
    assert run_retention(app)["sessions"] == 0
    assert raw_copies(db) == before


def test_the_retention_periods_are_settings(app, db, client, staff_headers, clock, run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs)
    app.config["ZOOMBRIDGE_SETTINGS"] = app.config["ZOOMBRIDGE_SETTINGS"].with_changes(
        raw_copy_retention_days=30, email_body_retention_days=3)
    outbox = app.config["ZOOMBRIDGE_SETTINGS"].outbox_dir
    assert [e.intent for e in list_outbox(outbox)] == [f"statement:{held.session_id}:{held.ann}"]
    sent = clock.now()

    clock.set(sent + timedelta(days=3) - timedelta(seconds=1))
    assert run_retention(app)["email_bodies"] == 0
    clock.set(sent + timedelta(days=3))
    assert run_retention(app)["email_bodies"] == 0, "only mail dated before the cutoff goes"
    clock.advance(seconds=1)
    assert run_retention(app)["email_bodies"] == 1
    assert list_outbox(outbox) == []
    with db() as s:
        assert s.scalar(select(sa.func.count()).select_from(InboxEvent).where(InboxEvent.body == "")) == 0

    clock.set(final_at(db, held.session_id) + timedelta(days=30))
    assert run_retention(app)["webhook_bodies"] == 5


def test_a_body_no_session_claims_goes_the_same_days_after_it_arrived(app, db, client, clock):
    stranger = ZoomEvents(uuid="not-ours==", meeting_id=99999999999)
    deliver(client, clock, stranger.joined(ANN, clock.now()))
    arrived = clock.now()
    with db() as s:
        (row,) = s.scalars(select(InboxEvent))
        assert json.loads(row.body)["payload"]["object"]["participant"]["email"] == "ann@example.org"
        s.execute(sa.update(InboxEvent).values(status="ignored"))  # as ingest leaves a meeting it does not know

    clock.set(arrived + timedelta(days=90) - timedelta(seconds=1))
    assert run_retention(app)["unclaimed_webhook_bodies"] == 0
    clock.advance(seconds=1)
    assert run_retention(app)["unclaimed_webhook_bodies"] == 1
    with db() as s:
        row = s.scalar(select(InboxEvent))
        assert (row.body, row.body_dropped_at, row.event) == ("", clock.now(), "meeting.participant_joined")


def test_a_body_still_waiting_to_be_ingested_is_never_dropped(app, db, client, clock):
    deliver(client, clock, ZoomEvents(uuid="waiting==").joined(ANN, clock.now()))
    clock.advance(days=365)
    assert run_retention(app)["unclaimed_webhook_bodies"] == 0
    with db() as s:
        assert s.scalar(select(InboxEvent.status)) == "pending"
        assert "ann@example.org" in s.scalar(select(InboxEvent.body))


def asked(db) -> dict:
    """Each person's requests to change their details: what was typed, and how it ended."""
    with db() as s:
        return {r.person_id: (r.wanted, r.outcome) for r in s.scalars(select(PersonChange).order_by(PersonChange.id))}


def test_details_typed_on_the_public_page_and_never_confirmed_go_ninety_days_after_the_link_expired(
        app, db, client, staff_headers, clock, run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs)  # Ann never confirmed "Anneliese"
    with app.app_context():
        with db() as s:  # Bo asks for a new name and confirms it from the emailed link
            bo = s.get(Person, held.bo)
            _bo, (send,) = details.person_for_registration(
                s, email=bo.email, first_name="Bobby", phone=None, source="public", actor="public page",
                session_id=held.session_id, now=clock.now())
        with db() as s:
            token = details.confirmation_token(s.get(PersonChange, send.args[0]))
            details.confirm_details(s, details.ConfirmDetails(token), "the person")
        with db() as s:
            ann_request = s.scalar(select(PersonChange).where(PersonChange.person_id == held.ann))
            ann_token, ann_link_expired = details.confirmation_token(ann_request), ann_request.expires_at
    before = {held.ann: (ANN_ASKED, None), held.bo: ({"first_name": "Bobby"}, "confirmed")}
    assert asked(db) == before

    clock.set(ann_link_expired + timedelta(days=90) - timedelta(seconds=1))
    assert run_retention(app)["unconfirmed_details"] == 0
    assert asked(db) == before

    clock.advance(seconds=1)
    assert run_retention(app)["unconfirmed_details"] == 1
    assert asked(db) == {held.ann: ({}, "expired"), held.bo: ({"first_name": "Bobby"}, "confirmed")}, (
        "what was confirmed is the record of a change made; what was never confirmed goes")
    with db() as s:
        line = s.scalar(select(AuditEntry).where(AuditEntry.action == "retention.unconfirmed_details_dropped"))
        assert (line.actor, line.details) == ("retention job", {"requests": 1, "days_after_expiry": 90})
    assert run_retention(app)["unconfirmed_details"] == 0, "a second run finds nothing more"
    with app.app_context(), db() as s, pytest.raises(Refused) as refused:
        details.requested_change(s, ann_token)
    assert refused.value.code == "link_expired", "her old link still says it expired"


def test_the_scheduler_runs_retention_every_hour():
    jobs = {job.func: job.interval_seconds for job in PERIODIC_JOBS}
    assert jobs["workers.jobs.retention.drop_expired_copies"] == 3600
