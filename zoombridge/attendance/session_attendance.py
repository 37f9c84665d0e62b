"""Attendance for a whole session, read from the database and worked out by the pure code.

A session's participants are those linked to it, or to its meeting instance (a recurring series
gives each occurrence its own meeting UUID and its own session row). A person's segments from all
their participants (two devices, a phone and a laptop) are pooled before the union, so nothing
is counted twice. Participants no one has matched to a person are listed for staff to match.

Two ways to the same answer. `compute` works it out from every segment (payment decisions use
it: they cite the segments). `read` takes it from the per-person summaries (`PresentTime` in
`attendance_summaries`) in one query and only applies the session's window, which is what the
staff pages and the API show while a meeting runs. The summaries are kept up to date by every
writer of segments or of who they belong to, through `refresh` (ingest, reconciliation, matching
by hand), under a lock on the session row so two writers cannot leave a stale one behind.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, event, insert, or_, select
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance.attended_time import Attendance, PresentTime, Segment, Window, attended
from zoombridge.attendance.reconciliation import UNKNOWN_END
from zoombridge.store.models import AttendanceSegment, AttendanceSummary, Participant, Person
from zoombridge.store.models import Session as SessionRow
from zoombridge.store.sql import one_of


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


# --- per-person summaries ----------------------------------------------------------------------

_CHUNK = 500
_SEGMENT_COLUMNS = (AttendanceSegment.id, AttendanceSegment.place, AttendanceSegment.joined_at, AttendanceSegment.left_at,
                    AttendanceSegment.report_left_at, AttendanceSegment.closed_by, AttendanceSegment.source)
_SegmentRow = namedtuple("_SegmentRow", "id place joined_at left_at report_left_at closed_by source")
_LOCKS = "zoombridge.session_locks"


def lock(s: DbSession, session_id: int) -> None:
    """Take the session's row lock (PostgreSQL; SQLite has one writer at a time anyway) before
    changing its segments or summaries, so summaries are written one writer after another, each
    from what the previous one committed. Take it before any participant or segment row lock."""
    held = s.info.setdefault(_LOCKS, set())  # a row lock lasts until the transaction ends
    if session_id not in held:
        s.execute(select(SessionRow.id).where(SessionRow.id == session_id).with_for_update())
        held.add(session_id)


def locked_for_meeting(s: DbSession, meeting_uuid: str) -> SessionRow | None:
    """The session holding this meeting instance, if any, with its row lock taken (see `lock`)."""
    session = s.scalar(select(SessionRow).where(SessionRow.meeting_uuid == meeting_uuid).limit(1).with_for_update())
    if session is not None:
        s.info.setdefault(_LOCKS, set()).add(session.id)
    return session


@event.listens_for(DbSession, "after_transaction_end")
def _locks_end_with_the_transaction(session: DbSession, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKS, None)


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def refresh(s: DbSession, session: SessionRow, now: datetime, person_ids: Iterable[int] = (),
            participant_ids: Iterable[int] = (), whole: bool = False) -> None:
    """Bring the summaries of these people (and of these participants, while unmatched) at this
    session up to date with their segments; `whole` does every one of the session's."""
    lock(s, session.id)
    people, participants = sorted(set(person_ids)), sorted(set(participant_ids))
    if whole:
        s.execute(delete(AttendanceSummary).where(AttendanceSummary.session_id == session.id))
        chosen = [_belongs_to(session)]
    else:
        if not people and not participants:
            return
        chosen = []
        people_chunks, participant_chunks = list(_chunks(people)), list(_chunks(participants))
        for i in range(max(len(people_chunks), len(participant_chunks))):
            these_people = people_chunks[i] if i < len(people_chunks) else []
            these_participants = participant_chunks[i] if i < len(participant_chunks) else []
            s.execute(delete(AttendanceSummary).where(AttendanceSummary.session_id == session.id, or_(
                one_of(s, AttendanceSummary.person_id, these_people),
                one_of(s, AttendanceSummary.participant_id, these_participants))))
            chosen.append(_belongs_to(session) & or_(
                one_of(s, Participant.person_id, these_people),
                one_of(s, Participant.id, these_participants) & Participant.person_id.is_(None)))
    members: dict[tuple, list[int]] = defaultdict(list)  # (person_id, or None and the participant) -> ids
    segments: dict[tuple, list[Segment]] = defaultdict(list)
    for condition in chosen:  # each participant with its segments, if any, in one query
        for participant_id, person_id, *segment in s.execute(
                select(Participant.id, Participant.person_id, *_SEGMENT_COLUMNS)
                .outerjoin(AttendanceSegment, AttendanceSegment.participant_id == Participant.id).where(condition)):
            owner = (person_id, None if person_id else participant_id)
            if participant_id not in members[owner]:
                members[owner].append(participant_id)
            if segment[0] is not None:
                segments[owner].append(as_segment(_SegmentRow(*segment)))
    rows = [{"session_id": session.id, "person_id": person_id, "participant_id": participant_id,
             "participant_ids": sorted(ids), "present": PresentTime.of(segments.get((person_id, participant_id), [])).as_json(),
             "updated_at": now}
            for (person_id, participant_id), ids in members.items()]
    for chunk in _chunks(rows, 2000):
        s.execute(insert(AttendanceSummary.__table__), chunk)


@dataclass
class PersonRead:
    person_id: int
    first_name: str | None
    attendance: Attendance
    participant_ids: list[int]


@dataclass
class UnmatchedRead:
    participant_id: int
    display_name: str
    matched_by: str | None
    has_email: bool
    has_phone: bool
    phone_ending: str | None
    seconds: int


@dataclass
class SessionRead:
    window: Window
    people: list[PersonRead] = field(default_factory=list)  # by person id
    unmatched: list[UnmatchedRead] = field(default_factory=list)  # by participant id


def read(s: DbSession, session: SessionRow, grace_minutes: int) -> SessionRead:
    """Everyone's attendance at the session from the summaries, in one query: the same seconds,
    sources and participants `compute` gives (without the segment ids)."""
    window = session_window(session, grace_minutes)
    result = SessionRead(window=window)
    rows = s.execute(
        select(AttendanceSummary.person_id, AttendanceSummary.participant_id, AttendanceSummary.participant_ids,
               AttendanceSummary.present, Person.first_name, Participant.display_name, Participant.matched_by,
               Participant.email, Participant.phone)
        .outerjoin(Person, Person.id == AttendanceSummary.person_id)
        .outerjoin(Participant, Participant.id == AttendanceSummary.participant_id)
        .where(AttendanceSummary.session_id == session.id))
    for person_id, participant_id, participant_ids, present, first_name, name, matched_by, email, phone in rows:
        seen = PresentTime.from_json(present).attendance(window)
        if person_id is not None:
            result.people.append(PersonRead(person_id, first_name, seen, participant_ids))
        else:
            result.unmatched.append(UnmatchedRead(participant_id, name or "", matched_by, bool(email), bool(phone),
                                                  phone[-3:] if phone else None, seen.seconds))
    result.people.sort(key=lambda p: p.person_id)
    result.unmatched.sort(key=lambda u: u.participant_id)
    return result
