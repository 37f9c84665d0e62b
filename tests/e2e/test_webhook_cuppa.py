"""A whole Co-Pro Cuppa delivered as signed webhooks to a running server, then a burst worker.

The scenario is written as stays (who was where, from when to when); the webhooks are made from
the stays and delivered the way Zoom really does it: several at once, some twice or three times,
one `left` retried after the person had rejoined and after the meeting ended. The segments the
ingest produces must be exactly the stays. (The stand-in's meeting player will drive the same
path: tests/e2e/test_played_cuppa.py.)
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from tests.builders import add_person, add_session, minutes_from, register
from tests.conftest import WEBHOOK_SECRET
from zoombridge.sandbox.events import Participant as Attendee  # the webhook side; models.Participant is ours
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.models import AttendanceSegment, InboxEvent, Participant
from zoombridge.zoom.signature import signed_headers, webhook_bytes

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
END = 90  # minutes after T0


at = minutes_from(T0)


SAM = Attendee("Sam", "u-sam", registrant_id="r-sam", email="sam@org.example")
TIA = Attendee("Tia", "u-tia", registrant_id="r-tia", email="tia@org.example")
ANA = Attendee("Ana", "u-ana", registrant_id="r-ana", email="ana@example.org")
BEN = Attendee("Ben", "u-ben", email="ben@example.org")  # joined through the generic link
CY = Attendee("07700 900123", "u-cy", phone_number="+44 7700 900123")  # dial-in, no participant id entered
DEE = Attendee("Dee", "u-dee", registrant_id="r-dee")
DEE_PHONE = Attendee("Dee (phone)", "u-dee-2", registrant_id="r-dee")  # a second device
EVE = Attendee("Eve", "u-eve", registrant_id="r-eve")  # first half only, via the waiting room
FIN = Attendee("Fin", "u-fin")  # a guest nobody registered
GUS = Attendee("Gus", "u-gus", registrant_id="r-gus")  # drops out and rejoins
HAL = Attendee("Hal", "u-hal", registrant_id="r-hal")  # second half only

# (who, place, room, from, to); to=None means still there when the meeting ends.
STAYS = [
    (SAM, "main", None, 0, None), (TIA, "main", None, 0, None), (ANA, "main", None, 1, None),
    (BEN, "main", None, 2, 80), (CY, "main", None, 3, None), (DEE, "main", None, 1, None),
    (DEE_PHONE, "main", None, 20, 35), (EVE, "waiting", None, 2, 4), (EVE, "main", None, 4, 45),
    (FIN, "main", None, 5, None), (GUS, "main", None, 0, 50), (GUS, "main", None, 52, None),
    (HAL, "main", None, 45, None),
    # first breakout round, 10:10 to 10:40
    (SAM, "breakout", "room-a", 10, 40), (ANA, "breakout", "room-a", 10, 40), (BEN, "breakout", "room-a", 10, 40),
    (TIA, "breakout", "room-b", 10, 40), (DEE, "breakout", "room-b", 10, 40), (EVE, "breakout", "room-b", 10, 40),
    (GUS, "breakout", "room-b", 10, 40),
    # second round, 10:50 until the end (the rooms were still open when the host ended the meeting)
    (SAM, "breakout", "room-c", 50, None), (ANA, "breakout", "room-c", 50, None), (HAL, "breakout", "room-c", 50, None),
    (FIN, "breakout", "room-c", 50, 75), (TIA, "breakout", "room-d", 50, 75), (DEE, "breakout", "room-d", 50, 75),
    (BEN, "breakout", "room-d", 50, 75),
]
KEYS = {"Sam": "registrant:r-sam", "Tia": "registrant:r-tia", "Ana": "registrant:r-ana", "Ben": "email:ben@example.org",
        "07700 900123": "phone:+447700900123", "Dee": "registrant:r-dee", "Dee (phone)": "registrant:r-dee",
        "Eve": "registrant:r-eve", "Fin": "zoom:u-fin", "Gus": "registrant:r-gus", "Hal": "registrant:r-hal"}


def _events(z: ZoomEvents):
    """Every webhook of the meeting, in the order things happened, plus the late `left`."""
    timeline = [(at(-2), z.started(at(-2)))]
    for who, place, room, start, end in STAYS:
        if place == "main":
            opens, closes = z.joined(who, at(start)), (z.left(who, at(end)) if end is not None else None)
        elif place == "breakout":
            opens = z.joined_breakout(who, room, at(start))
            closes = z.left_breakout(who, room, at(end)) if end is not None else None
        else:
            opens, closes = z.joined_waiting_room(who, at(start)), z.admitted(who, at(end))
        timeline.append((at(start), opens))
        if closes is not None:
            timeline.append((at(end), closes))
    timeline.sort(key=lambda pair: (pair[0], pair[1]["event_ts"]))
    events = [body for _, body in timeline]
    gus_left = next(b for b in events if b["event"] == "meeting.participant_left"
                    and b["payload"]["object"]["participant"]["user_id"] == "u-gus")
    events.remove(gus_left)
    return events, z.ended(at(END)), gus_left


def _expected():
    expected: dict[str, list] = {}
    for who, place, room, start, end in STAYS:
        closed_by = "meeting_ended" if end is None else ("admitted" if place == "waiting" else "left")
        expected.setdefault(KEYS[who.name], []).append(
            (place, room, at(start), at(end if end is not None else END), closed_by))
    return {key: sorted(value, key=lambda s: (s[2], s[0], s[1] or "")) for key, value in expected.items()}


def test_a_whole_cuppa_of_webhooks_becomes_the_segments_that_happened(app_server, db, clock, run_jobs):
    z = ZoomEvents(start=T0)
    with db() as s:
        session = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0, zoom_meeting_id=z.meeting_id)
        for first_name, registrant_id, email in [("Sam", "r-sam", None), ("Tia", "r-tia", None), ("Ana", "r-ana", None),
                                                 ("Dee", "r-dee", None), ("Eve", "r-eve", None), ("Gus", "r-gus", None),
                                                 ("Hal", "r-hal", None), ("Ben", None, "ben@example.org")]:
            register(s, session, add_person(s, first_name, email), registrant_id)
        register(s, session, add_person(s, "Cy", None, phone="07700 900123"), None)
        session_id = session.id

    events, ended, late_left = _events(z)
    rng = random.Random(4)
    deliveries = []
    for body in events:
        deliveries.extend([body] * rng.choice([1, 1, 1, 2, 3]))  # Zoom sometimes delivers twice or thrice

    http = requests.Session()

    def deliver(body):
        raw = webhook_bytes(body)
        response = http.post(f"{app_server}/zoom/webhook", data=raw, timeout=10,
                             headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))
        return response.status_code

    half = len(deliveries) // 2
    with ThreadPoolExecutor(max_workers=4) as pool:  # several deliveries in flight, as from Zoom
        assert set(pool.map(deliver, deliveries[:half])) == {200}
        run_jobs()  # the worker keeps up during the meeting
        assert set(pool.map(deliver, deliveries[half:])) == {200}
    assert deliver(ended) == 200
    run_jobs()
    clock.advance(minutes=10)  # (before the reconciliation scheduled at the end falls due)
    assert deliver(late_left) == 200  # Gus's `left`, retried after his rejoin and after the end
    run_jobs()

    with db() as s:
        rows = s.execute(select(Participant.participant_key, Participant.person_id, Participant.session_id,
                                AttendanceSegment)
                         .join(AttendanceSegment, AttendanceSegment.participant_id == Participant.id)).all()
        statuses = set(s.scalars(select(InboxEvent.status)))
        stored = len(s.scalars(select(InboxEvent.id)).all())
    found: dict[str, list] = {}
    for key, _person, _session, seg in rows:
        found.setdefault(key, []).append((seg.place, seg.room, seg.joined_at, seg.left_at, seg.closed_by))
    found = {key: sorted(value, key=lambda s: (s[2], s[0], s[1] or "")) for key, value in found.items()}
    assert found == _expected()
    assert statuses == {"processed"} and stored == len(events) + 2
    unmatched = {key for key, person, _s, _seg in rows if person is None}
    assert unmatched == {"zoom:u-fin"}
    assert {session for _k, _p, session, _seg in rows} == {session_id}
