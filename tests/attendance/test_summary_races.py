"""The per-person summaries stay right when their writers run at once.

Promise: an ingest batch that changes a guest's segments and a staff member matching that guest
to a person, started together, leave the summaries equal to recomputing the session from its
segments, whichever commits first (every writer takes the session's row lock before it changes
segments or summaries, so the second one reads what the first committed).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from tests.builders import add_person, add_session, register
from zoombridge.attendance import ingest as attendance
from zoombridge.attendance import session_attendance
from zoombridge.attendance.matching import match_participant
from zoombridge.sandbox.events import Participant as Attendee
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.inbox import store
from zoombridge.store.models import Participant
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom.signature import webhook_bytes as encode
from zoombridge.zoom.webhooks import inbox_record

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ROUNDS = 6


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_an_ingest_and_a_match_at_once_leave_the_summaries_equal_to_a_recomputation(app, db, clock):
    z = ZoomEvents(uuid="race-meeting==", start=T0)
    engine = app.extensions["zoombridge.db"].engine
    with db() as s:
        session = add_session(s, kind="cuppa", starts_at=T0, minutes=90, zoom_meeting_id=z.meeting_id,
                              meeting_uuid=z.uuid)
        people = []
        for i in range(ROUNDS):
            person = add_person(s, f"P{i}", f"p{i}@race.example")
            register(s, session, person)
            people.append(person.id)
        session_id = session.id
    guests = [Attendee(f"Guest {i}", f"guest-{i}") for i in range(ROUNDS)]  # no registrant id, no email

    def deliver(*bodies):
        for body in bodies:
            store(engine, inbox_record(body), encode(body).decode(), None, clock.now())

    deliver(*(z.joined(g, at(i)) for i, g in enumerate(guests)))
    with db() as s:
        attendance.ingest(s, z.uuid, clock.now())
        guest_ids = {p.display_name: p.id for p in s.query(Participant)}

    for i, guest in enumerate(guests):
        deliver(z.left(guest, at(30 + i)), z.joined(Attendee(f"Other {i}", f"other-{i}"), at(31)))
        start = threading.Barrier(2)

        def ingest_batch(start=start):
            start.wait()
            with db() as s:
                attendance.ingest(s, z.uuid, clock.now())

        def match_guest(i=i, start=start):
            start.wait()
            with db() as s:
                match_participant(s, s.get(SessionRow, session_id), guest_ids[f"Guest {i}"], people[i], "staff", clock.now())

        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(ingest_batch), pool.submit(match_guest)]:
                done.result(timeout=60)

        with db() as s:
            session = s.get(SessionRow, session_id)
            read = session_attendance.read(s, session, 10)
            computed = session_attendance.compute(s, session, 10)
            unmatched = {p.id: session_attendance.participant_seconds(s, p, computed.window) for p in computed.unmatched}
        assert [(p.person_id, p.attendance.seconds, p.participant_ids) for p in read.people] == [
            (pid, a.seconds, sorted(computed.participants_by_person[pid])) for pid, a in sorted(computed.by_person.items())]
        assert [(u.participant_id, u.seconds) for u in read.unmatched] == sorted(unmatched.items())
        # the guest's stay, closed by the batch, counts for the person they were matched to
        assert {p.person_id: p.attendance.seconds for p in read.people}[people[i]] == 30 * 60
