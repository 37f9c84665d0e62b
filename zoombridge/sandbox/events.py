"""Zoom webhook bodies, built one way for the meeting player and for the tests (pure).

Shapes follow what Zoom sends, as the receiver's parser (`zoombridge.zoom.webhooks`) reads it:
ids as strings, `registrant_id` null or "" when absent, times ISO with Z, `event_ts` in
milliseconds. Sending them (compact JSON,
signed) is `zoombridge.zoom.signature`; the scripted meetings the player plays are
`zoombridge.sandbox.scripts`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

MEETING_ID = 86431910364
MEETING_UUID = "hwkAADUySwyG3GyUkqc0vA=="
HOST_ID = "tUo7WohjTs6ELvl9WR3JAA"
ACCOUNT_ID = "PX5yQAcnT5azdXF5ma2Apw"
LEFT = "left the meeting. Reason : left the meeting"


@dataclass(frozen=True)
class Participant:
    """Who a participant event is about, as Zoom identifies them."""

    name: str
    user_id: str  # one device's stay; a rejoin or a breakout room is a new one
    registrant_id: str | None = None
    email: str | None = None
    phone_number: str | None = None
    participant_uuid: str | None = None
    zoom_user_id: str = ""


def zulu(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def participant_fields(who: Participant, registrant_id: str | None, **extra) -> dict:
    """The `participant` object of an event; `registrant_id` as Zoom sends it (null, "" or the id)."""
    fields = {"user_id": who.user_id, "user_name": who.name, "id": who.zoom_user_id, "email": who.email or "",
              "registrant_id": registrant_id, "participant_user_id": who.zoom_user_id, "customer_key": ""}
    if who.participant_uuid:
        fields["participant_uuid"] = who.participant_uuid
    if who.phone_number:
        fields["phone_number"] = who.phone_number
    fields.update(extra)
    return fields


class ZoomEvents:
    """One meeting instance's events.

    `tick` adds a millisecond per event to `event_ts`, so events built in order within one second
    keep their order (tests); the player gives each event its exact time. `meeting_id_as_number`
    mimics events that send the meeting id as a number.
    """

    def __init__(self, meeting_id: int = MEETING_ID, uuid: str = MEETING_UUID, start: datetime | None = None,
                 meeting_id_as_number: bool = False, *, host_id: str = HOST_ID, topic: str = "Co-Pro Cuppa",
                 meeting_type: int = 8, duration: int = 90, timezone: str = "Europe/London",
                 account_id: str = ACCOUNT_ID, tick: bool = True):
        self.meeting_id = meeting_id
        self.uuid = uuid
        self.start = start or datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
        self.meeting_id_as_number = meeting_id_as_number
        self.host_id, self.topic, self.meeting_type = host_id, topic, meeting_type
        self.duration, self.timezone, self.account_id = duration, timezone, account_id
        self._ms = itertools.count(1) if tick else itertools.repeat(0)

    def _event_ts(self, at: datetime) -> int:
        return int(at.timestamp() * 1000) + next(self._ms)

    def _object(self, **extra) -> dict:
        obj = {"uuid": self.uuid,
               "id": self.meeting_id if self.meeting_id_as_number else str(self.meeting_id),
               "host_id": self.host_id, "topic": self.topic, "type": self.meeting_type, "duration": self.duration,
               "start_time": zulu(self.start), "timezone": self.timezone}
        obj.update(extra)
        return obj

    def body(self, event: str, at: datetime, participant: dict | None = None, **object_extra) -> dict:
        obj = self._object(**object_extra)
        if participant is not None:
            obj["participant"] = participant
        return {"event": event, "event_ts": self._event_ts(at), "payload": {"account_id": self.account_id,
                                                                           "object": obj}}

    def started(self, at: datetime) -> dict:
        return self.body("meeting.started", at, start_time=zulu(at))

    def ended(self, at: datetime) -> dict:
        return self.body("meeting.ended", at, end_time=zulu(at))

    @staticmethod
    def _participant(who: Participant, registrant_blank: str | None = None, **times) -> dict:
        registrant = who.registrant_id if who.registrant_id is not None else registrant_blank
        return participant_fields(who, registrant, **times)

    def joined(self, who: Participant, at: datetime) -> dict:
        return self.body("meeting.participant_joined", at, self._participant(who, None, join_time=zulu(at)))

    def left(self, who: Participant, at: datetime, reason: str = LEFT) -> dict:
        return self.body("meeting.participant_left", at,
                         self._participant(who, "", leave_time=zulu(at), leave_reason=reason))

    def joined_breakout(self, who: Participant, room: str, at: datetime, breakout_user_id: str | None = None) -> dict:
        p = self._participant(who, None, join_time=zulu(at))
        p.update(user_id=breakout_user_id or f"{who.user_id}-bo", parent_user_id=who.user_id)
        return self.body("meeting.participant_joined_breakout_room", at, p, breakout_room_uuid=room)

    def left_breakout(self, who: Participant, room: str, at: datetime, breakout_user_id: str | None = None) -> dict:
        p = self._participant(who, "", leave_time=zulu(at), leave_reason=LEFT)
        p.update(user_id=breakout_user_id or f"{who.user_id}-bo", parent_user_id=who.user_id)
        return self.body("meeting.participant_left_breakout_room", at, p, breakout_room_uuid=room)

    def _waiting(self, event: str, who: Participant, at: datetime) -> dict:
        return self.body(event, at, self._participant(who, None, date_time=zulu(at)))

    def joined_waiting_room(self, who: Participant, at: datetime) -> dict:
        return self._waiting("meeting.participant_joined_waiting_room", who, at)

    def admitted(self, who: Participant, at: datetime) -> dict:
        return self._waiting("meeting.participant_admitted", who, at)

    def left_waiting_room(self, who: Participant, at: datetime) -> dict:
        return self._waiting("meeting.participant_left_waiting_room", who, at)

    def put_in_waiting_room(self, who: Participant, at: datetime) -> dict:
        return self._waiting("meeting.participant_put_in_waiting_room", who, at)
