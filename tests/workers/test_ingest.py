from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from tests.builders import add_person, add_session, minutes_from, register
from tests.conftest import WEBHOOK_SECRET
from workers.jobs import ingest as ingest_jobs
from zoombridge.queue.queues import INGEST, ZOOM, get_queue, job_id_for
from zoombridge.sandbox.events import Participant as Attendee  # the webhook side; models.Participant is ours
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.models import AttendanceSegment, InboxEvent, Participant, Session
from zoombridge.zoom.signature import signed_headers, webhook_bytes

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ANA = Attendee("Ana", "100", registrant_id="reg-ana", email="ana@example.org")
BEN = Attendee("Ben", "200", email="BEN@example.org")
CALLER = Attendee("07700 900123", "300", phone_number="07700 900123")
GUEST = Attendee("Visitor", "400")


at = minutes_from(T0)


@pytest.fixture
def deliver(client, clock):
    def _deliver(*bodies):
        for body in bodies:
            raw = webhook_bytes(body)
            response = client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))
            assert response.status_code == 200, response.data
    return _deliver


@pytest.fixture
def cuppa(db):
    with db() as s:
        session = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0, zoom_meeting_id=ZoomEvents().meeting_id)
        ana = add_person(s, "Ana", "ana@example.org")
        register(s, session, ana, "reg-ana")
        ben = add_person(s, "Ben", "ben@example.org")
        register(s, session, ben, None)
        cy = add_person(s, "Cy", None, phone="+44 7700 900123")
        register(s, session, cy, None)
        return {"session": session.id, "ana": ana.id, "ben": ben.id, "cy": cy.id}


def segments_by_name(db):
    with db() as s:
        rows = s.execute(select(Participant.display_name, AttendanceSegment)
                         .join(AttendanceSegment, AttendanceSegment.participant_id == Participant.id)
                         .order_by(Participant.display_name, AttendanceSegment.joined_at)).all()
    found: dict[str, list] = {}
    for name, seg in rows:
        found.setdefault(name, []).append((seg.place, seg.room, seg.joined_at, seg.left_at, seg.closed_by))
    return found


def statuses(db):
    with db() as s:
        return s.scalars(select(InboxEvent.status).order_by(InboxEvent.id)).all()


def test_a_meeting_becomes_segments_matched_to_people_with_its_times_on_the_session(
        db, cuppa, deliver, run_jobs, redis_conn):
    z = ZoomEvents()
    deliver(z.started(at(-2)), z.joined(ANA, at(0)), z.joined(BEN, at(1)), z.joined(CALLER, at(3)),
            z.joined_waiting_room(GUEST, at(4)), z.admitted(GUEST, at(6)), z.joined(GUEST, at(6)),
            z.left(BEN, at(40)), z.ended(at(90)))
    run_jobs()
    assert statuses(db) == ["processed"] * 9
    found = segments_by_name(db)
    assert found["Ana"] == [("main", None, at(0), at(90), "meeting_ended")]
    assert found["Ben"] == [("main", None, at(1), at(40), "left")]
    assert found["07700 900123"] == [("main", None, at(3), at(90), "meeting_ended")]
    assert found["Visitor"] == [("waiting", None, at(4), at(6), "admitted"), ("main", None, at(6), at(90), "meeting_ended")]
    with db() as s:
        people = {p.display_name: (p.person_id, p.matched_by, p.session_id)
                  for p in s.scalars(select(Participant))}
        session = s.get(Session, cuppa["session"])
    assert people == {"Ana": (cuppa["ana"], "registrant", cuppa["session"]),
                      "Ben": (cuppa["ben"], "email", cuppa["session"]),
                      "07700 900123": (cuppa["cy"], "phone", cuppa["session"]),
                      "Visitor": (None, None, cuppa["session"])}  # unmatched: for staff to match by hand
    assert (session.meeting_uuid, session.started_at, session.ended_at) == (z.uuid, at(-2), at(90))


def test_meeting_ended_schedules_reconciliation_fifteen_minutes_later(db, cuppa, deliver, run_jobs, redis_conn, clock):
    z = ZoomEvents()
    deliver(z.started(at(0)), z.ended(at(90)))
    run_jobs()
    registry = ScheduledJobRegistry(queue=get_queue(ZOOM, redis_conn))
    job_id = job_id_for(f"reconcile:{z.uuid}")
    assert registry.get_job_ids() == [job_id]
    job = get_queue(ZOOM, redis_conn).fetch_job(job_id)
    assert job.func_name == "workers.jobs.reconcile.reconcile_meeting" and job.args == (z.uuid,)
    assert registry.get_scheduled_time(job_id) == (clock.now() + timedelta(minutes=15)).replace(microsecond=0)


def test_a_recurring_meetings_instance_goes_to_the_occurrence_nearest_its_real_start(db, deliver, run_jobs):
    z = ZoomEvents(start=T0)
    with db() as s:
        occurrences = [add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0 + timedelta(days=d), zoom_meeting_id=z.meeting_id).id for d in (-28, 0, 35)]
    deliver(z.started(at(7)), z.joined(ANA, at(8)))
    run_jobs()
    with db() as s:
        assert s.get(Session, occurrences[1]).meeting_uuid == z.uuid
        assert [s.get(Session, i).meeting_uuid for i in (occurrences[0], occurrences[2])] == [None, None]
        assert s.scalar(select(Participant.session_id)) == occurrences[1]


def test_an_unscheduled_opening_of_the_meeting_is_kept_but_tied_to_no_session(db, deliver, run_jobs):
    z = ZoomEvents()
    with db() as s:
        add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0 + timedelta(days=3), zoom_meeting_id=z.meeting_id)
    deliver(z.joined(ANA, at(0)))
    run_jobs()
    with db() as s:
        assert s.scalar(select(Participant.session_id)) is None
        assert s.scalar(select(Session.meeting_uuid)) is None
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), None, None)]


def test_a_late_retry_of_left_in_a_later_batch_closes_the_right_stay(db, deliver, run_jobs):
    z = ZoomEvents()
    first_left = z.left(ANA, at(10))
    deliver(z.joined(ANA, at(0)), z.joined(ANA, at(12)))
    run_jobs()
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), at(12), "rejoined"), ("main", None, at(12), None, None)]
    with db() as s:
        first_id = s.scalar(select(AttendanceSegment.id).where(AttendanceSegment.joined_at == at(0)))
    deliver(first_left)  # Zoom's retry, 20 minutes late
    run_jobs()
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), at(10), "left"), ("main", None, at(12), None, None)]
    with db() as s:
        assert s.scalar(select(AttendanceSegment.id).where(AttendanceSegment.joined_at == at(0))) == first_id


def test_a_participant_first_seen_by_email_moves_to_their_registrant_key_when_that_arrives(db, cuppa, deliver, run_jobs):
    z = ZoomEvents()
    left = z.left(Attendee("Ana", "100", email="ana@example.org"), at(30))
    deliver(left)
    run_jobs()
    deliver(z.joined(ANA, at(0)))
    run_jobs()
    with db() as s:
        participants = s.scalars(select(Participant)).all()
    assert [(p.participant_key, p.person_id) for p in participants] == [("registrant:reg-ana", cuppa["ana"])]
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), at(30), "left")]


def test_running_the_ingest_twice_changes_nothing(app, db, cuppa, deliver, run_jobs):
    z = ZoomEvents()
    deliver(z.joined(ANA, at(0)), z.joined_breakout(ANA, "room-a", at(10)), z.left(BEN, at(20)), z.joined(BEN, at(1)))
    run_jobs()
    before = segments_by_name(db)
    with db() as s:
        ids = s.scalars(select(AttendanceSegment.id).order_by(AttendanceSegment.id)).all()
        s.execute(InboxEvent.__table__.update().values(status="pending"))  # as if RQ ran it again
    with app.app_context():
        again = ingest_jobs.ingest_meeting(z.uuid)
    assert again["segments_changed"] == 0
    assert segments_by_name(db) == before
    with db() as s:
        assert s.scalars(select(AttendanceSegment.id).order_by(AttendanceSegment.id)).all() == ids


def test_a_crash_mid_batch_loses_nothing(app, db, cuppa, deliver, monkeypatch, redis_conn):
    z = ZoomEvents()
    deliver(z.joined(ANA, at(0)), z.joined(BEN, at(1)), z.left(ANA, at(30)))
    from zoombridge.attendance import ingest as attendance

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(attendance, "_mark", crash)
    with app.app_context(), pytest.raises(RuntimeError):
        ingest_jobs.ingest_meeting(z.uuid)
    assert statuses(db) == ["pending"] * 3
    assert segments_by_name(db) == {}
    monkeypatch.undo()
    with app.app_context():
        ingest_jobs.ingest_meeting(z.uuid)
    assert statuses(db) == ["processed"] * 3
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), at(30), "left")]


def test_a_delivery_during_a_running_ingest_queues_the_next_one(app, db, client, clock, deliver, run_jobs,
                                                                 monkeypatch, redis_conn):
    z = ZoomEvents()
    from zoombridge.attendance import ingest as attendance

    real_load = attendance._load
    arrivals = [z.left(ANA, at(30))]

    def load_while_a_webhook_arrives(s, meeting_uuid):
        rows = real_load(s, meeting_uuid)
        while arrivals:  # arrives after the job read the inbox, before it finished
            deliver(arrivals.pop())
        return rows

    monkeypatch.setattr(attendance, "_load", load_while_a_webhook_arrives)
    deliver(z.joined(ANA, at(0)))
    assert get_queue(INGEST, redis_conn).count == 1
    run_jobs()
    assert statuses(db) == ["processed", "processed"]
    assert segments_by_name(db)["Ana"] == [("main", None, at(0), at(30), "left")]


def test_many_deliveries_for_one_meeting_queue_one_job_until_it_starts(deliver, redis_conn, run_jobs):
    z = ZoomEvents()
    deliver(*[z.joined(Attendee(f"P{i}", str(i)), at(i)) for i in range(20)])
    assert get_queue(INGEST, redis_conn).count == 1
    other = ZoomEvents(uuid="another-instance==")
    deliver(other.joined(ANA, at(0)))
    assert get_queue(INGEST, redis_conn).count == 2


def test_the_sweeper_is_registered_as_a_periodic_job():
    from workers.scheduler import PERIODIC_JOBS

    assert any(job.func == "workers.jobs.ingest.sweep_inbox" and job.queue == INGEST for job in PERIODIC_JOBS)


def test_a_row_without_a_usable_event_is_marked_failed_and_does_not_block_the_others(db, deliver, run_jobs):
    z = ZoomEvents()
    broken = z.joined(ANA, at(0))
    broken["payload"]["object"]["participant"] = "garbled"
    deliver(broken, z.joined(BEN, at(1)))
    run_jobs()
    assert statuses(db) == ["failed", "processed"]
    assert list(segments_by_name(db)) == ["Ben"]


def test_a_meeting_ingested_before_typed_rows_existed_is_parsed_once_on_its_next_batch(db, cuppa, deliver, run_jobs):
    from sqlalchemy import delete, func

    from zoombridge.store.models import AttendanceEvent, AttendanceStream

    z = ZoomEvents()
    deliver(z.joined(ANA, at(0)), z.joined(BEN, at(1)), z.joined_breakout(ANA, "room-a", at(10)))
    run_jobs()
    with db() as s:  # as the inbox, participants and segments were left by the ingest before issue 17
        s.execute(delete(AttendanceEvent))
        s.execute(delete(AttendanceStream))
        kept_ids = s.scalars(select(AttendanceSegment.id).order_by(AttendanceSegment.id)).all()
    deliver(z.left(ANA, at(30)))  # the meeting's next delivery after the upgrade
    run_jobs()
    found = segments_by_name(db)
    assert found["Ana"] == [("main", None, at(0), at(30), "left"), ("breakout", "room-a", at(10), None, None)]
    assert found["Ben"] == [("main", None, at(1), None, None)]
    with db() as s:
        assert s.scalar(select(func.count()).select_from(AttendanceEvent)) == 4  # every row of the meeting, once
        assert set(kept_ids) <= set(s.scalars(select(AttendanceSegment.id)))  # the segments already there kept their ids
