"""End to end: a Cuppa set up through the staff API, played by the stand-in's meeting player.

The real app serves HTTP on a free port, the jobs run in a real (burst) worker, the real Zoom
client puts the registrations on the stand-in, and `zoombridge.sandbox.player` plays the
`cuppa` script against the app's `/zoom/webhook`, signed with the app's secret. What the
ingest makes of it must be what the script did (see the cast in `zoombridge.sandbox.scripts`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.builders import minutes_from
from tests.conftest import WEBHOOK_SECRET
from tests.sessions.api_client import Api
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.store.models import AttendanceSegment, InboxEvent, Participant, Registration

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # first Tuesday of December (London is on UTC)
END = 90
# In registration order, which is the player's cast order (scripts.py):
# 0 waiting room, join delivered twice; 1 phone with PIN; 2 drops after the first breakout and
# rejoins; 3 first half, `left` delivered late; 4 second half; 5 `left` delivered twice; 6+ stay.
PEOPLE = ["Ann", "Bo", "Cy", "Dee", "Ed", "Flo", "Gus", "Hal"]


@pytest.fixture
def settings(settings, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url)


at = minutes_from(T0)


def main_and_waiting(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for name, seg in rows:
        if seg.place != "breakout":
            out.setdefault(name, []).append((seg.place, seg.joined_at, seg.left_at, seg.closed_by))
    return {name: sorted(stays, key=lambda s: s[1]) for name, stays in out.items()}


def breakouts(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for name, seg in rows:
        if seg.place == "breakout":
            out.setdefault(name, []).append((seg.joined_at, seg.left_at))
    return {name: sorted(stays) for name, stays in out.items()}


def test_a_played_cuppa_becomes_the_attendance_the_script_describes(app_server, client, staff_headers, db, run_jobs,
                                                                    standin_server, clock):
    api = Api(client, staff_headers)
    session = api.new_session(kind="cuppa", title="Co-Pro Cuppa", start="2026-12-01T10:00")
    for name in PEOPLE:
        api.register(session["id"], first_name=name, email=f"{name.lower()}@example.org",
                     joins_by="phone" if name == "Bo" else "video")
    run_jobs()
    (meeting,) = standin_server.state.meetings.values()
    with db() as s:
        registrant_of = {r.person.first_name: r.zoom_registrant_id for r in s.scalars(select(Registration))}
    on_zoom = [r["id"] for r in standin_server.state.registrants[meeting["id"]]]
    assert on_zoom == [registrant_of[name] for name in PEOPLE]  # the jobs registered everyone, in order

    player = MeetingPlayer(standin_server.url, WEBHOOK_SECRET, clock=clock)
    script = player.performance(meeting["id"], "cuppa", start=T0)
    hal_left = next(n for n, d in enumerate(script.deliveries, start=1) if d.event == "meeting.participant_left"
                    and d.body["payload"]["object"]["participant"]["registrant_id"] == registrant_of["Hal"])
    clock.set(at(0))
    played = player.play(meeting["id"], "cuppa", app_server + "/zoom/webhook", start=T0, omit=[hal_left])
    assert played.delivered and not played.failed
    run_jobs()

    with db() as s:
        rows = s.execute(select(Participant, AttendanceSegment)
                         .join(AttendanceSegment, AttendanceSegment.participant_id == Participant.id)).all()
        names = {r.person_id: r.person.first_name for r in s.scalars(select(Registration))}
        inbox = set(s.scalars(select(InboxEvent.status)))
        matched = {names[p.person_id]: (p.participant_key, p.matched_by) for p, _ in rows if p.person_id}
        unmatched = {(p.display_name, p.phone, p.email) for p, _ in rows if p.person_id is None}
        by_person = [(names[p.person_id], seg) for p, seg in rows if p.person_id]
    assert inbox == {"processed"}

    # Everyone is matched by their registrant id, the phone caller who entered a PIN included.
    assert matched == {name: (f"registrant:{registrant_of[name]}", "registrant") for name in PEOPLE}
    bo = next(p for p, _ in rows if p.person_id and names[p.person_id] == "Bo")
    assert bo.phone and bo.phone.startswith("+447700900") and not bo.email
    # The caller without a PIN and the host are left for staff.
    (caller,) = [u for u in unmatched if u[1]]
    assert caller[0] == caller[1] and not caller[2]  # Zoom names a caller by their number
    assert unmatched - {caller} == {("Host", None, "host@example.org")}

    ended, left = "meeting_ended", "left"
    assert main_and_waiting(by_person) == {
        "Ann": [("waiting", at(-2), at(0.4), "admitted"), ("main", at(0.5), at(END), left)],  # join twice: once
        "Bo": [("main", at(1.5), at(END), left)],
        "Cy": [("main", at(2), at(42), left), ("main", at(46), at(END), left)],
        "Dee": [("main", at(2.5), at(45), left)],  # the late `left` closed the right stay
        "Ed": [("main", at(45), at(END), left)],
        "Flo": [("main", at(1), at(END), left)],  # her `left` came twice: one segment
        "Gus": [("main", at(1.5), at(END), left)],
        "Hal": [("main", at(2), at(END), ended)],  # his `left` was lost: the meeting's end closed it
    }
    rounds = breakouts(by_person)
    first = {n for n, stays in rounds.items() if any(at(10) < j < at(11) and e == at(40) - timedelta(seconds=20)
                                                     for j, e in stays)}
    second = {n for n, stays in rounds.items() if any(at(50) < j < at(51) and e == at(80) - timedelta(seconds=20)
                                                      for j, e in stays)}
    assert first == {"Ann", "Bo", "Cy", "Dee", "Flo", "Gus", "Hal"}  # present for the whole first window
    assert second == {"Ann", "Bo", "Cy", "Ed", "Flo", "Gus", "Hal"}
    assert all(len(stays) == (1 if n in ("Dee", "Ed") else 2) for n, stays in rounds.items())
    rooms = {seg.room for _n, seg in by_person if seg.place == "breakout"}
    assert len(rooms) == 4 and None not in rooms  # two rooms of about four, twice
