"""Attendance for a whole session, read from the database and worked out by the pure code.

A session's participants are those linked to it, or to its meeting instance (a recurring series
gives each occurrence its own meeting UUID and its own session row). A person's segments from all
their participants (two devices, a phone and a laptop) are pooled before the union, so nothing
is counted twice. Participants no one has matched to a person are listed for staff to match.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance.attended_time import Attendance, Segment, Window, attended
from zoombridge.attendance.reconciliation import UNKNOWN_END
from zoombridge.store.models import AttendanceSegment, Participant
from zoombridge.store.models import Session as SessionRow


@dataclass
class SessionAttendance:
    window: Window
    by_person: dict[int, Attendance] = field(default_factory=dict)
    participants_by_person: dict[int, list[int]] = field(default_factory=dict)
    unmatched: list[Participant] = field(default_factory=list)


def session_window(session: SessionRow, grace_minutes: int) -> Window:
    return Window.for_session(session.starts_at, session.duration_minutes, grace_minutes, session.ended_at)


def _belongs_to(session: SessionRow):
    condition = Participant.session_id == session.id
    if session.meeting_uuid:
        condition = or_(condition, Participant.meeting_uuid == session.meeting_uuid)
    return condition


def session_participants(s: DbSession, session: SessionRow) -> list[Participant]:
    return list(s.scalars(select(Participant).where(_belongs_to(session)).order_by(Participant.id)))


def as_segment(row: AttendanceSegment) -> Segment:
    """The segment as attendance sees it: a leave time from the report bounds an unknown end."""
    left_at = row.left_at
    if row.report_left_at is not None and (left_at is None or row.closed_by in UNKNOWN_END):
        left_at = row.report_left_at if left_at is None else min(left_at, row.report_left_at)
    return Segment(place=row.place, joined_at=row.joined_at, left_at=left_at, source=row.source, id=row.id)


def compute(s: DbSession, session: SessionRow, grace_minutes: int) -> SessionAttendance:
    window = session_window(session, grace_minutes)
    participants = session_participants(s, session)
    result = SessionAttendance(window=window)
    for participant in participants:
        if participant.person_id is None:
            result.unmatched.append(participant)
        else:
            result.participants_by_person.setdefault(participant.person_id, []).append(participant.id)
    segments: dict[int, list[Segment]] = defaultdict(list)
    rows = s.execute(
        select(AttendanceSegment, Participant.person_id)
        .join(Participant, Participant.id == AttendanceSegment.participant_id)
        .where(_belongs_to(session), Participant.person_id.is_not(None)))
    for row, person_id in rows:
        segments[person_id].append(as_segment(row))
    for person_id in result.participants_by_person:
        result.by_person[person_id] = attended(segments.get(person_id, []), window)
    return result


def participant_seconds(s: DbSession, participant: Participant, window: Window) -> int:
    """One participant's own attended time (for the unmatched list: how much is at stake)."""
    rows = s.scalars(select(AttendanceSegment).where(AttendanceSegment.participant_id == participant.id))
    return attended([as_segment(r) for r in rows], window).seconds
