"""`GET /api/v1/sessions/<id>/attendance/live`: who is in the meeting right now, and where.

Read from the open webhook segments, so it is as current as the ingest queue (seconds behind
Zoom). Someone with several open segments (a second device, or a main-room stay that Zoom did
not close when they went into a breakout room) is shown where they arrived most recently.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify
from pydantic import BaseModel
from sqlalchemy import select

from zoombridge.refusals import not_found
from zoombridge.store import db_session
from zoombridge.store.models import AttendanceSegment, Participant
from zoombridge.store.models import Session as MeetingSession
from zoombridge.web import openapi

blueprint = Blueprint("live_attendance", __name__)  # under /api/v1 (web.staff_api.api_v1)
PLACE_ORDER = ("main", "breakout", "waiting")


class Here(BaseModel):
    participant_id: int
    name: str
    person_id: int | None
    matched_by: str | None
    place: str
    room: str | None
    since: datetime | None


class LiveCounts(BaseModel):
    main: int
    breakout: int
    waiting: int


class LiveAttendance(BaseModel):
    session_id: int
    meeting_uuid: str | None
    started_at: datetime | None
    ended_at: datetime | None
    counts: LiveCounts
    unmatched: int
    participants: list[Here]


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@blueprint.get("/sessions/<int:session_id>/attendance/live")
@openapi.operation(responses={200: LiveAttendance}, errors=(404,))
def live_attendance(session_id: int):
    """Who is in the meeting now, and where (main room, a breakout room, the waiting room)."""
    with db_session() as s:
        return jsonify(who_is_here(s, session_id))


def who_is_here(s, session_id: int) -> dict:
    """The live picture of the session's meeting (the API's answer, and what the live page shows)."""
    session = s.get(MeetingSession, session_id)
    if session is None:
        raise not_found(f"There is no session {session_id}.")
    rows = s.execute(
        select(Participant, AttendanceSegment)
        .join(AttendanceSegment, AttendanceSegment.participant_id == Participant.id)
        .where(Participant.session_id == session_id, AttendanceSegment.left_at.is_(None),
               AttendanceSegment.source == "webhook")
    ).all()
    latest: dict[int, tuple[Participant, AttendanceSegment]] = {}
    for participant, segment in rows:
        seen = latest.get(participant.id)
        if seen is None or (segment.joined_at, segment.id) > (seen[1].joined_at, seen[1].id):
            latest[participant.id] = (participant, segment)
    people = [{
        "participant_id": p.id,
        "name": p.display_name,
        "person_id": p.person_id,
        "matched_by": p.matched_by,
        "place": seg.place,
        "room": seg.room,
        "since": _iso(seg.joined_at),
    } for p, seg in sorted(latest.values(), key=lambda ps: (PLACE_ORDER.index(ps[1].place)
                                                            if ps[1].place in PLACE_ORDER else 9,
                                                            ps[1].room or "", ps[0].display_name.lower()))]
    counts = {place: sum(1 for entry in people if entry["place"] == place) for place in PLACE_ORDER}
    return {
        "session_id": session.id,
        "meeting_uuid": session.meeting_uuid,
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
        "counts": counts,
        "unmatched": sum(1 for entry in people if entry["person_id"] is None),
        "participants": people,
    }
