"""Zoom webhook bodies made into typed, normalised events (pure: no I/O).

Zoom's payloads are inconsistent in ways that matter for attendance (docs/zoom.md §7):
`registrant_id` is `null` in one event and `""` in the next, ids are numbers in some events and
strings in others, and the time that says when something happened is `join_time`, `leave_time`
or `date_time` depending on the event. Everything downstream works on the `ParticipantEvent` and
`MeetingEvent` made here, so those differences are dealt with once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zoombridge import json_limits
from zoombridge.refusals import Refused

URL_VALIDATION = "endpoint.url_validation"
MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"

# Where a participant event puts someone and whether it starts or ends their stay there.
MAIN, BREAKOUT, WAITING = "main", "breakout", "waiting"
OPENS, CLOSES = "opens", "closes"

PARTICIPANT_EVENTS: dict[str, tuple[str, str]] = {
    "meeting.participant_joined": (MAIN, OPENS),
    "meeting.participant_left": (MAIN, CLOSES),
    "meeting.participant_joined_breakout_room": (BREAKOUT, OPENS),
    "meeting.participant_left_breakout_room": (BREAKOUT, CLOSES),
    "meeting.participant_joined_waiting_room": (WAITING, OPENS),
    "meeting.participant_put_in_waiting_room": (WAITING, OPENS),
    "meeting.participant_admitted": (WAITING, CLOSES),
    "meeting.participant_left_waiting_room": (WAITING, CLOSES),
}
MEETING_EVENTS = frozenset({MEETING_STARTED, MEETING_ENDED})
# Events the ingest job turns into attendance; anything else is kept in the inbox and left alone.
ATTENDANCE_EVENTS = frozenset(PARTICIPANT_EVENTS) | MEETING_EVENTS


class InvalidEvent(Refused, ValueError):
    """The body is not a Zoom event at all (not a JSON object, or no `event` name)."""


# --- normalisers: Zoom's null / "" / number / string variety → one form ----------------------

def text_or_none(value: Any) -> str | None:
    """`null`, `""` and whitespace are all "absent"; numbers become their decimal text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        if not text.isprintable():  # NUL and lone surrogates cannot be stored in PostgreSQL text
            text = "".join(c for c in text if c.isprintable())
        return text or None
    return None


def meeting_number(value: Any) -> int | None:
    """Meeting ids arrive as `"86431910364"` or `86431910364`: both become the int."""
    text = text_or_none(value)
    if text is None or not text.isdigit() or len(text) > 19:
        return None
    return int(text)


def email_or_none(value: Any) -> str | None:
    text = text_or_none(value)
    if text is None or "@" not in text:
        return None
    return text.lower()


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from a payload (`2022-03-23T12:33:26Z`) as aware UTC, or None."""
    text = text_or_none(value)
    if text is None or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Zoom sends UTC; a bare time is read as UTC
    return parsed.astimezone(UTC)


def epoch_ms(value: Any) -> int | None:
    """Milliseconds since 1970 (`event_ts`), or None when it is not a plausible one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 16:
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value < 10**15:  # 10**15 ms is in the year 33658
        return None
    return value


def time_from_epoch_ms(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- typed events ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ParticipantIdentity:
    """Everything Zoom says about who a participant is, normalised; absent fields are None."""

    registrant_id: str | None = None
    email: str | None = None
    phone_number: str | None = None
    zoom_user_id: str | None = None  # the signed-in account (`participant_user_id` / `id`)
    participant_uuid: str | None = None
    user_id: str | None = None  # per meeting instance; Zoom may change it on rejoin
    name: str = ""

    def merged_with(self, other: ParticipantIdentity) -> ParticipantIdentity:
        """Fill this identity's gaps from another sighting of the same participant."""
        return ParticipantIdentity(
            registrant_id=self.registrant_id or other.registrant_id,
            email=self.email or other.email,
            phone_number=self.phone_number or other.phone_number,
            zoom_user_id=self.zoom_user_id or other.zoom_user_id,
            participant_uuid=self.participant_uuid or other.participant_uuid,
            user_id=self.user_id or other.user_id,
            name=self.name or other.name,
        )


@dataclass(frozen=True)
class ParticipantEvent:
    """Someone arrived in or left a place (main room, a breakout room, the waiting room)."""

    event: str
    meeting_uuid: str
    meeting_id: int | None
    place: str  # MAIN | BREAKOUT | WAITING
    action: str  # OPENS | CLOSES
    at: datetime
    event_ts: int | None
    identity: ParticipantIdentity
    room: str | None = None  # breakout room uuid
    parent_user_id: str | None = None  # in a breakout room: the main-room `user_id`
    leave_reason: str | None = None

    @property
    def device(self) -> str:
        """One connection: joins and leaves pair up within it (several devices never mix)."""
        i = self.identity
        return i.participant_uuid or i.user_id or i.zoom_user_id or i.registrant_id or i.email or "?"


@dataclass(frozen=True)
class MeetingEvent:
    """The meeting instance started or ended."""

    event: str
    meeting_uuid: str
    meeting_id: int | None
    at: datetime
    event_ts: int | None
    scheduled_start: datetime | None = None


def _object(body: dict) -> dict:
    payload = body.get("payload")
    obj = payload.get("object") if isinstance(payload, dict) else None
    return obj if isinstance(obj, dict) else {}


def meeting_uuid_of(body: dict) -> str | None:
    uuid = text_or_none(_object(body).get("uuid"))
    return uuid if uuid is not None and len(uuid) <= 64 else None


def identity_of(participant: dict) -> ParticipantIdentity:
    return ParticipantIdentity(
        registrant_id=text_or_none(participant.get("registrant_id")),
        email=email_or_none(participant.get("email")),
        phone_number=text_or_none(participant.get("phone_number")),
        zoom_user_id=text_or_none(participant.get("participant_user_id")) or text_or_none(participant.get("id")),
        participant_uuid=text_or_none(participant.get("participant_uuid")),
        user_id=text_or_none(participant.get("user_id")),
        name=(text_or_none(participant.get("user_name")) or "")[:200],
    )


def _participant_time(participant: dict, action: str) -> datetime | None:
    names = ("join_time", "date_time") if action == OPENS else ("leave_time", "date_time")
    for name in names:
        found = parse_time(participant.get(name))
        if found is not None:
            return found
    return None


def parse_attendance_event(body: dict) -> ParticipantEvent | MeetingEvent | None:
    """The attendance meaning of a stored body, or None when it carries none (or is unusable).

    The time is the one inside the payload; `event_ts` stands in only when the payload has none,
    because a retry delivered an hour late still says when the thing really happened.
    """
    name = body.get("event")
    uuid = meeting_uuid_of(body)
    if uuid is None or name not in ATTENDANCE_EVENTS:
        return None
    obj = _object(body)
    event_ts = epoch_ms(body.get("event_ts"))
    meeting_id = meeting_number(obj.get("id"))
    if name in MEETING_EVENTS:
        field = "start_time" if name == MEETING_STARTED else "end_time"
        at = parse_time(obj.get(field)) or time_from_epoch_ms(event_ts)
        if at is None:
            return None
        return MeetingEvent(name, uuid, meeting_id, at, event_ts, scheduled_start=parse_time(obj.get("start_time")))
    participant = obj.get("participant")
    if not isinstance(participant, dict):
        return None
    place, action = PARTICIPANT_EVENTS[name]
    at = _participant_time(participant, action) or time_from_epoch_ms(event_ts)
    if at is None:
        return None
    return ParticipantEvent(
        event=name, meeting_uuid=uuid, meeting_id=meeting_id, place=place, action=action, at=at,
        event_ts=event_ts, identity=identity_of(participant),
        room=text_or_none(obj.get("breakout_room_uuid")) if place == BREAKOUT else None,
        parent_user_id=text_or_none(participant.get("parent_user_id")),
        leave_reason=text_or_none(participant.get("leave_reason")),
    )


# --- the inbox: what is stored for every verified delivery ------------------------------------

@dataclass(frozen=True)
class InboxRecord:
    event: str
    meeting_uuid: str | None
    event_ts: int | None
    dedupe_key: str
    for_attendance: bool  # the ingest job will act on it (else it is only kept)


def parse_body(raw: bytes) -> dict:
    """The JSON object in a verified body; `InvalidEvent` when it is not a Zoom event."""
    try:
        body = json_limits.loads(raw.decode("utf-8"))
    except json_limits.JsonRefused as exc:
        raise InvalidEvent(exc.field, exc.message) from exc
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidEvent("body", "The body is not JSON in UTF-8.") from exc
    if not isinstance(body, dict):
        raise InvalidEvent("body", "The body is not a JSON object.")
    name = body.get("event")
    if not isinstance(name, str) or not name.strip() or len(name) > 80 or not name.isprintable():
        raise InvalidEvent("event", "The body has no event name.")
    return body


def dedupe_key(body: dict) -> str:
    """The same fact delivered again gets the same key, whatever headers came with it.

    Zoom does not document whether a retry carries the original `x-zm-request-id`, and the
    retry that matters most is of a delivery we stored but answered too late, so the key is
    made from the content: event, `event_ts`, the meeting instance, and for participant events
    the participant's identity and the time inside the payload. Other events hash the whole
    body in a canonical form (key order and spacing do not change the key).
    """
    name = body.get("event")
    obj = _object(body)
    participant = obj.get("participant")
    if name in PARTICIPANT_EVENTS and isinstance(participant, dict):
        i = identity_of(participant)
        parts = [name, epoch_ms(body.get("event_ts")), meeting_uuid_of(body), obj.get("breakout_room_uuid"), i.user_id,
                 i.participant_uuid, i.zoom_user_id, i.registrant_id, i.email, i.phone_number,
                 participant.get("join_time"), participant.get("leave_time"), participant.get("date_time")]
        material = json.dumps(parts, default=str, ensure_ascii=False)
    else:
        material = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def inbox_record(body: dict) -> InboxRecord:
    name = body["event"]
    uuid = meeting_uuid_of(body)
    return InboxRecord(
        event=name[:80],
        meeting_uuid=uuid,
        event_ts=epoch_ms(body.get("event_ts")),
        dedupe_key=dedupe_key(body),
        for_attendance=uuid is not None and name in ATTENDANCE_EVENTS,
    )


def plain_token_of(body: dict) -> str | None:
    payload = body.get("payload")
    token = payload.get("plainToken") if isinstance(payload, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 256 else None


def request_time(header: str | None) -> datetime | None:
    """`x-zm-request-timestamp` as a time. Zoom sends seconds; milliseconds are accepted too
    (the published signature vectors use them)."""
    if header is None:
        return None
    text = header.strip()
    if not text.isdigit() or len(text) > 16:
        return None
    value = int(text)
    if value > 10**11:  # 10**11 s is in the year 5138: this is milliseconds
        value = value / 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
