"""The inbox made into attendance for one meeting instance: participants, segments, session times.

Each run takes the meeting's pending inbox rows, re-reads the rows already processed, and
recomputes the whole instance's segments from all of them (`segments.timelines`); the stored
webhook segments are then brought in line with the result. The rows are marked processed in the
same transaction as the segments they produced, so a crash part way loses nothing (everything
stays pending and the next run does it all again), and a second run changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance.identity import normalise_phone, participant_key
from zoombridge.attendance.segments import ParticipantTimeline, Segment, timelines
from zoombridge.store.inbox import FAILED, PENDING, PROCESSED
from zoombridge.store.models import AttendanceSegment, InboxEvent, Participant, SessionSeries
from zoombridge.store.models import Session as MeetingSession
from zoombridge.store.person_directory import PersonDirectory
from zoombridge.zoom.webhooks import (
    MEETING_ENDED,
    MEETING_STARTED,
    MeetingEvent,
    ParticipantEvent,
    parse_attendance_event,
)

WEBHOOK = "webhook"
MANUAL = "manual"
# A recurring meeting's instance belongs to the occurrence scheduled nearest its real start,
# if one is this close; otherwise (an unscheduled opening of the meeting) to no session.
OCCURRENCE_WINDOW = timedelta(hours=12)
_CHUNK = 500


@dataclass(frozen=True)
class IngestResult:
    rows: int = 0  # pending rows taken
    failed: int = 0  # rows that carried no usable attendance event
    participants: int = 0
    segments_changed: int = 0
    orphan_leaves: int = 0
    session_id: int | None = None
    meeting_ended_now: bool = False  # a `meeting.ended` was among the rows taken


@dataclass(frozen=True)
class _Parsed:
    row_id: int
    event: ParticipantEvent | MeetingEvent | None
    pending: bool


def _fits(event: ParticipantEvent | MeetingEvent | None) -> bool:
    """Whether the event's identifiers fit their columns. No real Zoom id is this long, and a row
    that cannot be written would fail the meeting's whole transaction on every run (PostgreSQL
    enforces lengths), holding back every other row of the meeting: it is unusable instead."""
    if not isinstance(event, ParticipantEvent):
        return True
    identity = event.identity
    return (len(participant_key(identity)) <= 200 and len(identity.registrant_id or "") <= 64
            and len(identity.email or "") <= 254 and len(event.room or "") <= 64)


def _load(s: DbSession, meeting_uuid: str) -> list[_Parsed]:
    rows = s.execute(
        select(InboxEvent.id, InboxEvent.body, InboxEvent.status)
        .where(InboxEvent.meeting_uuid == meeting_uuid, InboxEvent.status.in_((PENDING, PROCESSED)))
        .order_by(InboxEvent.id)
    ).all()
    parsed = []
    for row_id, body, status in rows:
        try:
            event = parse_attendance_event(json.loads(body))
        except (ValueError, TypeError, AttributeError, RecursionError):
            event = None
        if not _fits(event):
            event = None
        parsed.append(_Parsed(row_id, event, status == PENDING))
    return parsed


def find_session(s: DbSession, meeting_uuid: str, meeting_id: int | None, started: datetime | None
                 ) -> MeetingSession | None:
    """The session a meeting instance belongs to.

    The one already holding this instance's UUID; else, among the sessions on this Zoom meeting
    (a recurring meeting has one per occurrence), the one scheduled nearest the real start.
    """
    bound = s.scalar(select(MeetingSession).where(MeetingSession.meeting_uuid == meeting_uuid).limit(1))
    if bound is not None or meeting_id is None or started is None:
        return bound
    series_ids = select(SessionSeries.id).where(SessionSeries.zoom_meeting_id == meeting_id)
    candidates = s.scalars(select(MeetingSession).where(
        (MeetingSession.zoom_meeting_id == meeting_id) | MeetingSession.series_id.in_(series_ids))).all()
    near = [c for c in candidates if abs(c.starts_at - started) <= OCCURRENCE_WINDOW]
    if not near:
        return None
    return min(near, key=lambda c: (c.status == "cancelled", abs(c.starts_at - started), c.id))


def _record_meeting_times(session: MeetingSession, meeting_uuid: str, started: datetime | None,
                          ended: datetime | None, now: datetime) -> None:
    if session.meeting_uuid is None:
        session.meeting_uuid = meeting_uuid
    if started is not None and (session.started_at is None or started < session.started_at):
        session.started_at = started
    if ended is not None and (session.ended_at is None or ended > session.ended_at):
        session.ended_at = ended
    session.updated_at = now


def _save_participant(s: DbSession, timeline: ParticipantTimeline, existing: Participant | None,
                      meeting_uuid: str, session_id: int | None, directory: PersonDirectory,
                      now: datetime) -> Participant:
    identity = timeline.identity
    p = existing
    if p is None:
        p = Participant(meeting_uuid=meeting_uuid, participant_key=timeline.key, created_at=now)
        s.add(p)
    p.display_name = identity.name or p.display_name or ""
    p.email = identity.email or p.email
    p.phone = (normalise_phone(identity.phone_number) or identity.phone_number or p.phone or None)
    if p.phone is not None:
        p.phone = p.phone[:40]
    p.registrant_id = identity.registrant_id or p.registrant_id
    p.zoom_user_id = (identity.zoom_user_id or identity.participant_uuid or identity.user_id or p.zoom_user_id)
    if p.zoom_user_id is not None:
        p.zoom_user_id = p.zoom_user_id[:64]
    if p.session_id is None:
        p.session_id = session_id
    if p.person_id is None and p.matched_by != MANUAL:
        match = directory.match(identity)
        if match is not None:
            p.person_id, p.matched_by = match.person_id, match.matched_by
    return p


def _sync_segments(s: DbSession, participant_id: int, meeting_uuid: str, wanted: list[Segment],
                   stored: list[AttendanceSegment], new_rows: list[dict]) -> int:
    """Make the stored webhook segments equal `wanted`, keeping rows whose start is unchanged.

    New segments are appended to `new_rows` for one bulk insert (the ORM would insert them one
    by one to learn their ids, which nothing here needs)."""
    changed = 0
    by_start: dict[tuple, list[AttendanceSegment]] = {}
    for row in stored:
        by_start.setdefault((row.place, row.room, row.joined_at), []).append(row)
    for segment in wanted:
        rows = by_start.get((segment.place, segment.room, segment.joined_at))
        if rows:
            row = rows.pop(0)
            if row.left_at != segment.left_at or row.closed_by != segment.closed_by:
                row.left_at, row.closed_by = segment.left_at, segment.closed_by
                changed += 1
            continue
        new_rows.append(dict(participant_id=participant_id, meeting_uuid=meeting_uuid, place=segment.place,
                             room=segment.room, joined_at=segment.joined_at, left_at=segment.left_at,
                             source=WEBHOOK, closed_by=segment.closed_by))
        changed += 1
    for rows in by_start.values():
        for row in rows:
            s.delete(row)
            changed += 1
    return changed


def _mark(s: DbSession, ids: list[int], status: str, now: datetime, error: str | None = None) -> None:
    for start in range(0, len(ids), _CHUNK):
        s.execute(update(InboxEvent).where(InboxEvent.id.in_(ids[start:start + _CHUNK]))
                  .values(status=status, processed_at=now, error=error))


def ingest(s: DbSession, meeting_uuid: str, now: datetime) -> IngestResult:
    """Take the meeting's pending inbox rows into attendance (the caller commits)."""
    parsed = _load(s, meeting_uuid)
    pending = [p for p in parsed if p.pending]
    if not pending:
        return IngestResult()
    usable = [p.event for p in parsed if p.event is not None]
    participant_events = [e for e in usable if isinstance(e, ParticipantEvent)]
    starts = [e.at for e in usable if isinstance(e, MeetingEvent) and e.event == MEETING_STARTED]
    ends = [e.at for e in usable if isinstance(e, MeetingEvent) and e.event == MEETING_ENDED]
    started = min(starts) if starts else min((e.at for e in participant_events), default=None)
    ended = max(ends) if ends else None
    meeting_id = next((e.meeting_id for e in usable if e.meeting_id is not None), None)

    session = find_session(s, meeting_uuid, meeting_id, started)
    if session is not None:
        _record_meeting_times(session, meeting_uuid, min(starts) if starts else None, ended, now)
    session_id = session.id if session is not None else None

    wanted, orphans = timelines(participant_events, ended)
    existing = {p.participant_key: p for p in s.scalars(
        select(Participant).where(Participant.meeting_uuid == meeting_uuid))}
    with s.no_autoflush:
        directory = PersonDirectory(s, session_id, [t.identity for t in wanted])
        saved = {t.key: _save_participant(s, t, existing.get(t.key), meeting_uuid, session_id, directory, now)
                 for t in wanted}
    s.flush()  # ids for new participants

    stored: dict[int, list[AttendanceSegment]] = {}
    for row in s.scalars(select(AttendanceSegment).where(AttendanceSegment.meeting_uuid == meeting_uuid,
                                                         AttendanceSegment.source == WEBHOOK)):
        stored.setdefault(row.participant_id, []).append(row)
    changed = 0
    new_rows: list[dict] = []
    for timeline in wanted:
        participant = saved[timeline.key]
        changed += _sync_segments(s, participant.id, meeting_uuid, timeline.segments,
                                  stored.pop(participant.id, []), new_rows)
    if new_rows:
        s.execute(insert(AttendanceSegment), new_rows)
    for rows in stored.values():  # participants now filed under another key
        for row in rows:
            s.delete(row)
            changed += 1
    s.flush()
    _drop_empty_participants(s, [p for key, p in existing.items() if key not in saved])

    failed = [p.row_id for p in pending if p.event is None]
    _mark(s, [p.row_id for p in pending if p.event is not None], PROCESSED, now)
    _mark(s, failed, FAILED, now, "no usable attendance event in the body")
    ended_now = any(isinstance(p.event, MeetingEvent) and p.event.event == MEETING_ENDED for p in pending)
    return IngestResult(rows=len(pending), failed=len(failed), participants=len(wanted), segments_changed=changed,
                        orphan_leaves=orphans, session_id=session_id, meeting_ended_now=ended_now)


def _drop_empty_participants(s: DbSession, candidates: list[Participant]) -> None:
    """A participant whose events are now filed under a better key keeps nothing: remove it,
    unless staff matched it by hand or another source (the report) gave it segments."""
    for p in candidates:
        if p.matched_by == MANUAL:
            continue
        left = s.scalar(select(func.count()).select_from(AttendanceSegment)
                        .where(AttendanceSegment.participant_id == p.id))
        if not left:
            s.delete(p)
