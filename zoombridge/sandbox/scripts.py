"""What happens in a played meeting: who joins when, how, and what Zoom sends about it.

Pure: a meeting, its registrants and a start time in; the webhook deliveries (in delivery
order) and the participant report rows (the truth, including events whose webhook gets lost)
out. No clock, no network: `zoombridge.sandbox.player` posts them.

The same cast is used by every script, so tests know what to expect:

| registrant # | what they do |
|---|---|
| 0 | waits in the waiting room, is admitted at the start, stays; their join is delivered twice (a retry, same request id) |
| 1 | dials in by phone and enters their participant PIN: `registrant_id` and `phone_number`, no email |
| 2 | drops out after the first breakout and rejoins a few minutes later (a new `user_id`) |
| 3 | comes for the first half only; their `participant_left` is delivered late, after later events |
| 4 | comes for the second half only |
| 5+ | stay throughout; registrant 5's leaving is delivered twice with different request ids |

Plus one phone caller who did not enter a PIN (no `registrant_id`, no email: staff match them
by hand), the host, and any `guests` the caller names: people who come in through the
meeting's generic link at minute 3 under that name, with no registrant id and no email, and
stay to the end (staff match them by hand too). Everyone present for a whole breakout window is put in a room.
Payload shapes follow docs/zoom.md §7: ids as strings, `registrant_id` null or ""
when absent, times ISO with Z, `event_ts` in milliseconds.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from zoombridge.sandbox.events import LEFT, Participant, ZoomEvents, participant_fields

ACCOUNT_ID = "standinAccount00000000"
ENDED_BY_HOST = "left the meeting. Reason : Host ended the meeting."
LOST_CONNECTION = "left the meeting. Reason : lost connection"
LATE_RETRY_DELAY = timedelta(minutes=5)  # Zoom's first retry after a failed delivery


@dataclass(frozen=True)
class Script:
    name: str
    minutes: int
    breakouts: tuple[tuple[int, int], ...]  # (start, end) minutes
    room_size: int
    what: str


SCRIPTS = {
    "cuppa": Script("cuppa", 90, ((10, 40), (50, 80)), 4,
                    "Co-Pro Cuppa: 90 min, welcome, two breakout rounds of ~4, back to the main room"),
    "network": Script("network", 60, ((10, 25), (30, 45)), 3,
                      "network session: 60 min, icebreaker, two random breakout rounds of 3"),
    "copro": Script("copro", 150, ((20, 60), (90, 120)), 5,
                    "co-production session: 150 min, two long breakout rounds of ~5"),
}


@dataclass(frozen=True)
class Attendee:
    registrant_id: str
    first_name: str
    email: str
    participant_pin_code: int | None = None


@dataclass
class Delivery:
    offset: timedelta  # when Zoom sends it, from the meeting's start
    event: str
    body: dict
    request_id: str
    note: str = ""


@dataclass
class Performance:
    meeting_id: int
    uuid: str
    start: datetime
    end: datetime
    deliveries: list[Delivery] = field(default_factory=list)
    report_rows: list[dict] = field(default_factory=list)

    def instance_record(self) -> dict:
        """What the stand-in stores so its report endpoint serves these rows."""
        return {"uuid": self.uuid, "start_time": _iso(self.start), "end_time": _iso(self.end),
                "participants": self.report_rows}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Presence:
    """One device's stay in the meeting, from join to leave: one `user_id`."""

    who: Attendee | None
    user_id: str
    participant_uuid: str
    name: str
    email: str
    registrant_id: str | None
    phone_number: str | None
    zoom_user_id: str
    joined: timedelta
    left: timedelta | None = None


class Scene:
    """Builds a Performance: records events as Zoom would send them and the report rows."""

    def __init__(self, meeting: dict, start: datetime, rng: random.Random):
        self.meeting = meeting
        self.start = start
        self.rng = rng
        self.performance = Performance(meeting_id=int(meeting["id"]), uuid=meeting["uuid"], start=start, end=start)
        self.events = ZoomEvents(int(meeting["id"]), meeting["uuid"], start, host_id=meeting.get("host_id", ""),
                                 topic=meeting.get("topic", ""), meeting_type=meeting.get("type", 2),
                                 duration=meeting.get("duration", 0), timezone=meeting.get("timezone", ""),
                                 account_id=ACCOUNT_ID, tick=False)
        self._next_user_id = 16778240

    def at(self, minutes: float) -> timedelta:
        return timedelta(minutes=minutes)

    def _time(self, offset: timedelta) -> str:
        return _iso(self.start + offset)

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def emit(self, event: str, offset: timedelta, participant: dict | None = None, *, note: str = "",
             deliver_at: timedelta | None = None, object_extra: dict | None = None) -> Delivery:
        body = self.events.body(event, self.start + offset, participant, **(object_extra or {}))
        delivery = Delivery(deliver_at if deliver_at is not None else offset, event, body, self._request_id(), note)
        self.performance.deliveries.append(delivery)
        return delivery

    def duplicate(self, delivery: Delivery, *, same_request_id: bool, after: timedelta = timedelta(seconds=2)):
        again = Delivery(delivery.offset + after, delivery.event, delivery.body,
                         delivery.request_id if same_request_id else self._request_id(),
                         "duplicate (retry, same request id)" if same_request_id
                         else "duplicate (second delivery, new request id)")
        self.performance.deliveries.append(again)
        return again

    def _presence(self, who: Attendee | None, joined: timedelta, *, phone: str | None = None,
                  pin_entered: bool = True, name: str | None = None, email: str | None = None,
                  zoom_user_id: str = "") -> _Presence:
        self._next_user_id += self.rng.randrange(1, 2048)
        registrant_id = who.registrant_id if who is not None and (pin_entered or phone is None) else None
        return _Presence(
            who=who, user_id=str(self._next_user_id), participant_uuid=str(uuid.UUID(int=self.rng.getrandbits(128))).upper(),
            name=name or (phone if phone else who.first_name if who else "Guest"),
            email="" if phone else (email if email is not None else who.email if who else ""),
            registrant_id=registrant_id, phone_number=phone, zoom_user_id=zoom_user_id, joined=joined)

    def _participant(self, p: _Presence, **times) -> dict:
        who = Participant(p.name, p.user_id, p.registrant_id, p.email, p.phone_number, p.participant_uuid,
                          p.zoom_user_id)
        # Zoom sends null on some events and "" on others when there is no registrant
        return participant_fields(who, p.registrant_id if p.registrant_id else self.rng.choice([None, ""]), **times)

    def _row(self, p: _Presence, start: timedelta, end: timedelta, status: str = "in_meeting",
             bo_mtg_id: str | None = None) -> None:
        row = {"id": p.zoom_user_id, "user_id": p.user_id, "participant_user_id": p.zoom_user_id, "name": p.name,
               "user_email": p.email, "join_time": self._time(start), "leave_time": self._time(end),
               "duration": int((end - start).total_seconds()), "failover": False, "status": status,
               "customer_key": "", "registrant_id": p.registrant_id or ""}
        if bo_mtg_id:
            row["bo_mtg_id"] = bo_mtg_id
        self.performance.report_rows.append(row)

    # --- what people do ------------------------------------------------------------------------

    def waiting_room(self, p: _Presence, entered: timedelta, admitted: timedelta) -> None:
        self.emit("meeting.participant_joined_waiting_room", entered, self._participant(p, date_time=self._time(entered)))
        self.emit("meeting.participant_admitted", admitted, self._participant(p, date_time=self._time(admitted)))
        self.emit("meeting.participant_left_waiting_room", admitted + timedelta(seconds=1),
                  self._participant(p, date_time=self._time(admitted + timedelta(seconds=1))))
        self._row(p, entered, admitted, status="in_waiting_room")

    def join(self, p: _Presence) -> Delivery:
        return self.emit("meeting.participant_joined", p.joined, self._participant(p, join_time=self._time(p.joined)))

    def leave(self, p: _Presence, at: timedelta, reason: str = LEFT, *, late: bool = False) -> Delivery:
        p.left = at
        self._row(p, p.joined, at)
        return self.emit("meeting.participant_left", at,
                         self._participant(p, leave_time=self._time(at), leave_reason=reason),
                         deliver_at=at + LATE_RETRY_DELAY if late else None,
                         note="late retry, out of order" if late else "")

    def breakout(self, p: _Presence, room_uuid: str, start: timedelta, end: timedelta) -> None:
        self._next_user_id += 1
        inner = _Presence(**{**vars(p), "user_id": str(self._next_user_id)})
        extra = {"breakout_room_uuid": room_uuid}
        self.emit("meeting.participant_joined_breakout_room", start,
                  self._participant(inner, join_time=self._time(start), parent_user_id=p.user_id), object_extra=extra)
        self.emit("meeting.participant_left_breakout_room", end,
                  self._participant(inner, leave_time=self._time(end), leave_reason=LEFT, parent_user_id=p.user_id),
                  object_extra=extra)
        self._row(inner, start, end, bo_mtg_id=room_uuid)


def _phone(rng: random.Random) -> str:
    return f"+447700900{rng.randrange(100, 999)}"  # Ofcom's range for drama: never a real line


def perform(script: Script, meeting: dict, attendees: list[Attendee], start: datetime, seed: int = 0,
            guests: Sequence[str] = ()) -> Performance:
    """Play `script` for `meeting` with `attendees` (the stand-in's approved registrants) and
    `guests` (display names of people joining through the generic link)."""
    rng = random.Random(seed)
    scene = Scene(meeting, start, rng)
    at = scene.at
    end = at(script.minutes)
    half = at(script.minutes / 2)
    scene.performance.end = start + end
    scene.emit("meeting.started", at(0))
    host = scene._presence(None, at(0), name="Host", email=meeting.get("host_email", ""),
                           zoom_user_id=meeting.get("host_id", ""))
    scene.join(host)
    present: list[_Presence] = []  # (for breakouts) everyone with their stay
    late_leavers: list[_Presence] = []

    for index, who in enumerate(attendees):
        arrive = at(1 + (index % 5) * 0.5)
        if index == 0:
            p = scene._presence(who, at(0.5))
            scene.waiting_room(p, at(-2), at(0.4))
            first = scene.join(p)
            scene.duplicate(first, same_request_id=True)
        elif index == 1:
            p = scene._presence(who, arrive, phone=_phone(rng), pin_entered=True)
            scene.join(p)
        elif index == 2:
            p = scene._presence(who, arrive)
            scene.join(p)
            drop = at(script.breakouts[0][1] + 2) if script.breakouts else half
            scene.leave(p, drop, LOST_CONNECTION)
            present.append(p)
            p = scene._presence(who, drop + at(4))
            scene.join(p)
        elif index == 3:
            p = scene._presence(who, arrive)
            scene.join(p)
            late_leavers.append(p)
            present.append(p)
            continue
        elif index == 4:
            p = scene._presence(who, half)
            scene.join(p)
        else:
            p = scene._presence(who, arrive)
            scene.join(p)
        present.append(p)

    walk_in = scene._presence(None, at(5), phone=_phone(rng), pin_entered=False)
    scene.join(walk_in)
    scene.leave(walk_in, at(script.minutes * 2 / 3))
    for name in guests:
        guest = scene._presence(None, at(3), name=name, email="")
        scene.join(guest)
        present.append(guest)
    for p in late_leavers:
        scene.leave(p, half, late=True)

    for first, last in script.breakouts:
        window_start, window_end = at(first), at(last)
        inside = [p for p in present if p.joined <= window_start and (p.left is None or p.left >= window_end)]
        rng.shuffle(inside)
        rooms = max(1, -(-len(inside) // script.room_size))
        room_uuids = [str(uuid.UUID(int=rng.getrandbits(128))).upper() for _ in range(rooms)]
        for i, p in enumerate(inside):
            scene.breakout(p, room_uuids[i % rooms], window_start + timedelta(seconds=20 + i),
                           window_end - timedelta(seconds=20))

    twice = attendees[5] if len(attendees) > 5 else None
    for p in [p for p in present if p.left is None]:
        delivery = scene.leave(p, end, ENDED_BY_HOST)
        if twice is not None and p.who is twice:
            scene.duplicate(delivery, same_request_id=False)
    scene.leave(host, end, ENDED_BY_HOST)
    scene.emit("meeting.ended", end + timedelta(seconds=5), object_extra={"end_time": scene._time(end)})
    scene.performance.deliveries.sort(key=lambda d: d.offset)
    return scene.performance
