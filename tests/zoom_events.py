"""Builds Zoom webhook bodies shaped as docs/zoom.md §7 says, and signs them.

Bodies are encoded compactly with non-ASCII left as UTF-8 (as Zoom sends them); `event_ts`
rises by a millisecond per event so events in the same second keep their order.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zoombridge.zoom.signature import sign

MEETING_ID = 86431910364
MEETING_UUID = "hwkAADUySwyG3GyUkqc0vA=="
HOST_ID = "tUo7WohjTs6ELvl9WR3JAA"
ACCOUNT_ID = "PX5yQAcnT5azdXF5ma2Apw"


@dataclass(frozen=True)
class Attendee:
    name: str
    user_id: str
    registrant_id: str | None = None
    email: str | None = None
    phone_number: str | None = None
    participant_uuid: str | None = None
    zoom_user_id: str = ""


def zulu(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ZoomEvents:
    """One meeting instance's events. `meeting_id_as_number` mimics events that send a number."""

    def __init__(self, meeting_id: int = MEETING_ID, uuid: str = MEETING_UUID, start: datetime | None = None,
                 meeting_id_as_number: bool = False):
        self.meeting_id = meeting_id
        self.uuid = uuid
        self.start = start or datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        self.meeting_id_as_number = meeting_id_as_number
        self._ms = itertools.count(1)

    def _event_ts(self, at: datetime) -> int:
        return int(at.timestamp() * 1000) + next(self._ms)

    def _object(self, **extra) -> dict:
        obj = {"uuid": self.uuid,
               "id": self.meeting_id if self.meeting_id_as_number else str(self.meeting_id),
               "host_id": HOST_ID, "topic": "Co-Pro Cuppa", "type": 8, "duration": 90,
               "start_time": zulu(self.start), "timezone": "Europe/London"}
        obj.update(extra)
        return obj

    def _body(self, event: str, at: datetime, obj: dict) -> dict:
        return {"event": event, "event_ts": self._event_ts(at), "payload": {"account_id": ACCOUNT_ID, "object": obj}}

    def started(self, at: datetime) -> dict:
        return self._body("meeting.started", at, self._object(start_time=zulu(at)))

    def ended(self, at: datetime) -> dict:
        return self._body("meeting.ended", at, self._object(end_time=zulu(at)))

    @staticmethod
    def _participant(who: Attendee, registrant_blank: str | None = None, **times) -> dict:
        p = {"user_id": who.user_id, "user_name": who.name,
             "registrant_id": who.registrant_id if who.registrant_id is not None else registrant_blank,
             "participant_user_id": who.zoom_user_id, "id": who.zoom_user_id,
             "email": who.email or ""}
        if who.participant_uuid:
            p["participant_uuid"] = who.participant_uuid
        if who.phone_number:
            p["phone_number"] = who.phone_number
        p.update(times)
        return p

    def joined(self, who: Attendee, at: datetime) -> dict:
        return self._body("meeting.participant_joined", at,
                          self._object(participant=self._participant(who, None, join_time=zulu(at))))

    def left(self, who: Attendee, at: datetime, reason: str = "left the meeting. Reason : left the meeting") -> dict:
        return self._body("meeting.participant_left", at, self._object(
            participant=self._participant(who, "", leave_time=zulu(at), leave_reason=reason)))

    def joined_breakout(self, who: Attendee, room: str, at: datetime, breakout_user_id: str | None = None) -> dict:
        p = self._participant(who, None, join_time=zulu(at))
        p.update(user_id=breakout_user_id or f"{who.user_id}-bo", parent_user_id=who.user_id)
        return self._body("meeting.participant_joined_breakout_room", at,
                          self._object(breakout_room_uuid=room, participant=p))

    def left_breakout(self, who: Attendee, room: str, at: datetime, breakout_user_id: str | None = None) -> dict:
        p = self._participant(who, "", leave_time=zulu(at), leave_reason="left the meeting. Reason : left the meeting")
        p.update(user_id=breakout_user_id or f"{who.user_id}-bo", parent_user_id=who.user_id)
        return self._body("meeting.participant_left_breakout_room", at,
                          self._object(breakout_room_uuid=room, participant=p))

    def _waiting(self, event: str, who: Attendee, at: datetime) -> dict:
        return self._body(event, at, self._object(participant=self._participant(who, None, date_time=zulu(at))))

    def joined_waiting_room(self, who: Attendee, at: datetime) -> dict:
        return self._waiting("meeting.participant_joined_waiting_room", who, at)

    def admitted(self, who: Attendee, at: datetime) -> dict:
        return self._waiting("meeting.participant_admitted", who, at)

    def left_waiting_room(self, who: Attendee, at: datetime) -> dict:
        return self._waiting("meeting.participant_left_waiting_room", who, at)

    def put_in_waiting_room(self, who: Attendee, at: datetime) -> dict:
        return self._waiting("meeting.participant_put_in_waiting_room", who, at)


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, raw: bytes, at: datetime, request_id: str | None = None) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "x-zm-request-timestamp": timestamp,
               "x-zm-signature": sign(secret, timestamp, raw)}
    if request_id:
        headers["x-zm-request-id"] = request_id
    return headers


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
        person = Attendee(f"P{i}", f"{prefix}-{i}", registrant_id=f"{prefix}-r{i}", email=f"p{i}@{prefix}.example")
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
