"""Incremental ingest equals the whole-meeting computation, whatever the order and batching.

Promise: a meeting's events delivered in any order, repeated, and ingested in any batches give
the participants and segments that `segments.timelines` gives for all of them at once (the
computation ingest used to repeat on every run); and the per-person summaries the staff pages
read give what recomputing the session from its segments gives.

The events are generated: people on one or two devices, a rejoin under a new `user_id`,
identities that only fill in later (so participants are re-filed under a better key), breakout
stays of guests filed through their main-room connection, the waiting room, ties in time, and
zero to two `meeting.ended`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.builders import add_person, add_session, register
from zoombridge.attendance import ingest as attendance
from zoombridge.attendance import session_attendance
from zoombridge.attendance.segments import timelines
from zoombridge.sandbox.events import Participant as Attendee
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.inbox import store
from zoombridge.store.models import AttendanceSegment, Participant
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom.signature import webhook_bytes as encode
from zoombridge.zoom.webhooks import inbox_record, parse_attendance_event

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
GRACE = 10


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


@st.composite
def meetings(draw):
    """(bodies in a delivery order with repeats, batch sizes, registered people's indexes)."""
    z = ZoomEvents(uuid=f"prop-{uuid.uuid4().hex[:12]}==", start=T0)
    tag = z.uuid[5:13]
    bodies = []
    if draw(st.booleans()):
        bodies.append(z.started(at(draw(st.integers(0, 3)))))
    people = draw(st.integers(1, 4))
    for i in range(people):
        devices = draw(st.integers(1, 2))
        for d in range(devices):
            user_ids = [f"{tag}-u{i}{d}", f"{tag}-u{i}{d}r"]  # a rejoin may come back under a new user_id
            sightings = [  # who each event says it is: sometimes less, filled in later
                Attendee(f"P{i}", user_ids[0], registrant_id=f"{tag}-r{i}", email=f"p{i}@{tag}.example",
                         participant_uuid=f"{tag}-pu{i}{d}"),
                Attendee(f"P{i}", user_ids[0], participant_uuid=f"{tag}-pu{i}{d}"),
                Attendee(f"P{i} (renamed)", user_ids[1], email=f"p{i}@{tag}.example", participant_uuid=f"{tag}-pu{i}{d}"),
            ]
            for _ in range(draw(st.integers(1, 4))):
                who = draw(st.sampled_from(sightings))
                kind = draw(st.sampled_from(["main", "main", "breakout", "waiting"]))
                start = draw(st.integers(0, 20))
                end = start + draw(st.integers(0, 15))
                if kind == "main":
                    pair = [z.joined(who, at(start)), z.left(who, at(end))]
                elif kind == "breakout":
                    guest = Attendee(who.name, who.user_id)  # in a breakout room Zoom often sends no email
                    room = f"room-{draw(st.integers(0, 1))}"
                    pair = [z.joined_breakout(guest, room, at(start)), z.left_breakout(guest, room, at(end))]
                else:
                    pair = [z.joined_waiting_room(who, at(start)), z.admitted(who, at(end))]
                bodies += pair[:draw(st.integers(1, 2))]  # a leave that never came
    for _ in range(draw(st.integers(0, 2))):
        bodies.append(z.ended(at(draw(st.integers(20, 40)))))
    for body in bodies:
        if draw(st.booleans()):  # the same second and millisecond as others: ties in time
            body["event_ts"] = int(T0.timestamp() * 1000)
    repeats = draw(st.lists(st.sampled_from(bodies), max_size=4))
    order = draw(st.permutations(bodies + repeats))
    batches = draw(st.lists(st.integers(1, 6), min_size=1, max_size=len(order)))
    registered = draw(st.sets(st.integers(0, people - 1)))
    return z.uuid, tag, order, batches, registered


def _stored_attendance(db, meeting_uuid):
    with db() as s:
        participants = s.scalars(select(Participant).where(Participant.meeting_uuid == meeting_uuid)).all()
        found = {}
        for p in participants:
            segments = s.execute(select(AttendanceSegment.place, AttendanceSegment.room, AttendanceSegment.joined_at,
                                        AttendanceSegment.left_at, AttendanceSegment.closed_by)
                                 .where(AttendanceSegment.participant_id == p.id)).all()
            found[p.participant_key] = (p.display_name, p.person_id, sorted(map(tuple, segments), key=repr))
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(meetings())
def test_any_order_and_batching_of_the_same_events_gives_the_whole_meeting_result(app, db, clock, meeting):
    meeting_uuid, tag, order, batches, registered = meeting
    with db() as s:
        session = add_session(s, kind="cuppa", starts_at=T0, minutes=90, meeting_uuid=meeting_uuid)
        people = {}
        for i in sorted(registered):
            person = add_person(s, f"P{i}", f"p{i}@{tag}.example")
            register(s, session, person, f"{tag}-r{i}")
            people[i] = person.id
        session_id = session.id
    engine = app.extensions["zoombridge.db"].engine
    delivered, first = [], 0
    for size in batches + [len(order)]:  # the rest in one last batch
        for body in order[first:first + size]:
            store(engine, inbox_record(body), encode(body).decode(), None, clock.now())
        delivered += order[first:first + size]
        first += size
        with db() as s:
            attendance.ingest(s, meeting_uuid, clock.now())
        if first >= len(order):
            break

    distinct = {inbox_record(b).dedupe_key: b for b in reversed(order)}.values()  # the inbox keeps the first of each
    events = [e for e in (parse_attendance_event(b) for b in distinct) if e is not None]
    ends = [e.at for e in events if e.event == "meeting.ended"]
    whole, _ = timelines([e for e in events if hasattr(e, "identity")], max(ends, default=None))
    by_email = {f"p{i}@{tag}.example": pid for i, pid in people.items()}
    by_registrant = {f"{tag}-r{i}": pid for i, pid in people.items()}
    expected = {t.key: (t.identity.name, by_registrant.get(t.identity.registrant_id) or by_email.get(t.identity.email),
                        sorted(((g.place, g.room, g.joined_at, g.left_at, g.closed_by) for g in t.segments), key=repr))
                for t in whole}
    assert _stored_attendance(db, meeting_uuid) == expected

    with db() as s:
        session = s.get(SessionRow, session_id)
        read = session_attendance.read(s, session, GRACE)
        computed = session_attendance.compute(s, session, GRACE)
        unmatched_seconds = {p.id: session_attendance.participant_seconds(s, p, computed.window)
                             for p in computed.unmatched}
    assert [(p.person_id, p.attendance.seconds, p.attendance.sources, p.participant_ids) for p in read.people] == [
        (pid, a.seconds, a.sources, sorted(computed.participants_by_person[pid]))
        for pid, a in sorted(computed.by_person.items())]
    assert [(u.participant_id, u.seconds) for u in read.unmatched] == sorted(unmatched_seconds.items())
