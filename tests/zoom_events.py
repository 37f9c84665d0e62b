"""Sample webhook traffic for tests and benchmarks: a whole network session's bodies.

Built with the one webhook builder (`zoombridge.sandbox.events`); sent with the one signer
(`zoombridge.zoom.signature.webhook_bytes`, `signed_headers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from zoombridge.sandbox.events import Participant, ZoomEvents


def minutes(start: datetime, n: float) -> datetime:
    return start + timedelta(minutes=n)


def network_session(meeting_uuid: str, people: int, start: datetime, who: str | None = None) -> list[dict]:
    """A network session's bodies: everyone joins, two breakout rounds, some drop out and rejoin,
    the end (about 5.9 events a person). `who` prefixes the people's ids (default: the meeting
    UUID); two meetings given the same `who` hold the same people."""
    z = ZoomEvents(uuid=meeting_uuid, start=start)
    prefix = who or meeting_uuid
    m = lambda n: start + timedelta(minutes=n)  # noqa: E731
    bodies = [z.started(m(0))]
    for i in range(people):
        person = Participant(f"P{i}", f"{prefix}-{i}", registrant_id=f"{prefix}-r{i}", email=f"p{i}@{prefix}.example")
        if i % 10 == 0:
            bodies += [z.joined_waiting_room(person, m(1)), z.admitted(person, m(2))]
        bodies.append(z.joined(person, m(2 + i % 5)))
        for round_start in (10, 45):
            room = f"room-{round_start}-{i // 3}"
            bodies += [z.joined_breakout(person, room, m(round_start)),
                       z.left_breakout(person, room, m(round_start + 25))]
        if i % 5 == 0:
            bodies += [z.left(person, m(40)), z.joined(person, m(41))]
        if i % 4 == 0:
            bodies.append(z.left(person, m(80)))
    bodies.append(z.ended(m(90)))
    return bodies
