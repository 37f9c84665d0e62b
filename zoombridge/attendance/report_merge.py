"""Bringing Zoom's participant report into the attendance record for one meeting instance.

The rule itself is pure (`reconciliation.py`); this applies it to the database: it finds which
participant each report row belongs to (registrant id, then email, then Zoom's per-meeting
participant id; never a name), creates participants the webhooks never saw, and replaces what
an earlier run derived (report segments, report leave times, differences), so running it twice
leaves the same rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance import session_attendance
from zoombridge.attendance.reconciliation import ReportRow, WebhookSegment, reconcile_participant, report_rows
from zoombridge.store import audit_log
from zoombridge.store.models import AttendanceDifference, AttendanceSegment, Participant, Person, Registration
from zoombridge.store.models import Session as SessionRow


@dataclass(frozen=True)
class MergeSummary:
    report_rows: int
    new_participants: int
    report_segments: int
    bounded_segments: int
    differences: int


def session_for_meeting(s: DbSession, meeting_uuid: str) -> SessionRow | None:
    session = s.scalar(select(SessionRow).where(SessionRow.meeting_uuid == meeting_uuid))
    if session is None:
        session_id = s.scalar(select(Participant.session_id).where(
            Participant.meeting_uuid == meeting_uuid, Participant.session_id.is_not(None)).limit(1))
        session = s.get(SessionRow, session_id) if session_id else None
    return session


def bind_meeting_instance(s: DbSession, session_id: int, meeting_uuid: str, started_at: datetime, actor: str,
                          now: datetime) -> str | None:
    """Record that `meeting_uuid` (an instance Zoom listed as ended) held the session, as ingest
    does when the instance's webhooks arrive; for a session no webhook ever named. Returns the
    instance the session holds afterwards: this one, the one a webhook bound meanwhile, or None
    when another session already holds this one."""
    session_attendance.lock(s, session_id)  # as ingest binds a session: one writer at a time
    session = s.get(SessionRow, session_id)
    if session.meeting_uuid is not None:
        return session.meeting_uuid
    if s.scalar(select(SessionRow.id).where(SessionRow.meeting_uuid == meeting_uuid).limit(1)) is not None:
        return None
    session.meeting_uuid = meeting_uuid
    if session.started_at is None:
        session.started_at = started_at
    session.updated_at = now
    audit_log.record(s, now, actor, "attendance.meeting_instance_found", "session", session_id,
                     meeting_uuid=meeting_uuid, started_at=started_at.isoformat())
    return meeting_uuid


class _Directory:
    """Who a report row is: an existing participant of this meeting, or a new one."""

    def __init__(self, s: DbSession, meeting_uuid: str, session: SessionRow | None, now: datetime):
        self.s, self.meeting_uuid, self.session, self.now = s, meeting_uuid, session, now
        self.participants = list(s.scalars(select(Participant).where(Participant.meeting_uuid == meeting_uuid)))
        self.by_key: dict[tuple[str, str], Participant] = {}
        self.by_person: dict[int, Participant] = {}
        for p in self.participants:
            self._index(p)
        self.created = 0

    def _index(self, p: Participant) -> None:
        for kind, value in (("registrant", p.registrant_id), ("email", (p.email or "").lower() or None),
                            ("zoom", p.zoom_user_id), ("key", p.participant_key)):
            if value:
                self.by_key.setdefault((kind, value), p)
        if p.person_id is not None:
            self.by_person.setdefault(p.person_id, p)

    def _person_for(self, row: ReportRow) -> tuple[int | None, str | None]:
        if row.registrant_id and self.session is not None:
            person_id = self.s.scalar(select(Registration.person_id).where(
                Registration.session_id == self.session.id, Registration.zoom_registrant_id == row.registrant_id))
            if person_id:
                return person_id, "registrant"
        if row.email:
            person_id = self.s.scalar(select(Person.id).where(Person.email == row.email))
            if person_id:
                return person_id, "email"
        return None, None

    def participant_for(self, row: ReportRow) -> Participant:
        for kind, value in (("registrant", row.registrant_id), ("email", row.email), ("zoom", row.zoom_user_id)):
            if value and (kind, value) in self.by_key:
                return self.by_key[(kind, value)]
        person_id, matched_by = self._person_for(row)
        if person_id is not None and person_id in self.by_person:
            return self.by_person[person_id]
        key = (f"registrant:{row.registrant_id}" if row.registrant_id else f"email:{row.email}" if row.email
               else f"zoom:{row.zoom_user_id}" if row.zoom_user_id else f"report:{row.name}:{row.joined_at.isoformat()}")
        if ("key", key) in self.by_key:
            return self.by_key[("key", key)]
        participant = Participant(
            meeting_uuid=self.meeting_uuid, session_id=self.session.id if self.session else None,
            participant_key=key[:200], display_name=row.name[:200], email=row.email, registrant_id=row.registrant_id,
            zoom_user_id=row.zoom_user_id, person_id=person_id, matched_by=matched_by, created_at=self.now)
        self.s.add(participant)
        self.s.flush()
        self.participants.append(participant)
        self._index(participant)
        self.created += 1
        return participant


def _difference_key(participant_id: int | None, difference) -> tuple:
    return (participant_id, difference.kind, difference.starts_at, difference.ends_at, difference.seconds,
            json.dumps(difference.details, sort_keys=True, default=str))


def merge_report(s: DbSession, meeting_uuid: str, raw_rows: list[dict], tolerance: timedelta, actor: str,
                 now: datetime) -> MergeSummary:
    """Merge the report into this meeting's attendance record; record and return what differed."""
    session = session_for_meeting(s, meeting_uuid)
    if session is not None:
        session_attendance.lock(s, session.id)  # first, as every writer of the session's attendance does
    rows = report_rows(raw_rows)
    directory = _Directory(s, meeting_uuid, session, now)
    rows_by_participant: dict[int, list[ReportRow]] = defaultdict(list)
    for row in rows:
        rows_by_participant[directory.participant_for(row).id].append(row)

    meeting_end = (session.ended_at if session and session.ended_at else None) or max(
        (r.left_at for r in rows), default=now)
    # Report segments from an earlier run are kept when this run derives the same ones (so their
    # ids, which decisions cite as evidence, stay put); the rest are removed below.
    earlier = {(g.participant_id, g.place, g.joined_at, g.left_at): g for g in s.scalars(
        select(AttendanceSegment).where(AttendanceSegment.meeting_uuid == meeting_uuid,
                                        AttendanceSegment.source == "report"))}
    # Differences likewise: one found again keeps its row (its id and when it was first found).
    earlier_differences = {_difference_key(d.participant_id, d): d for d in s.scalars(
        select(AttendanceDifference).where(AttendanceDifference.meeting_uuid == meeting_uuid))}
    webhook: dict[int, list[AttendanceSegment]] = defaultdict(list)
    for segment in s.scalars(select(AttendanceSegment).where(AttendanceSegment.meeting_uuid == meeting_uuid,
                                                             AttendanceSegment.source == "webhook")):
        if segment.place in ("main", "breakout"):
            webhook[segment.participant_id].append(segment)

    added = bounded = differences = 0
    for participant in directory.participants:
        segments = webhook.get(participant.id, [])
        result = reconcile_participant(
            [WebhookSegment(id=g.id, place=g.place, joined_at=g.joined_at, left_at=g.left_at, closed_by=g.closed_by)
             for g in segments], rows_by_participant.get(participant.id, []), meeting_end, tolerance)
        for segment in segments:
            segment.report_left_at = result.report_left_at.get(segment.id)
        bounded += len(result.report_left_at)
        for addition in result.additions:
            if earlier.pop((participant.id, addition.place, addition.joined_at, addition.left_at), None):
                added += 1
                continue
            s.add(AttendanceSegment(participant_id=participant.id, meeting_uuid=meeting_uuid, place=addition.place,
                                    joined_at=addition.joined_at, left_at=addition.left_at, source="report",
                                    closed_by="report"))
            added += 1
        for difference in result.differences:
            differences += 1
            if earlier_differences.pop(_difference_key(participant.id, difference), None):
                continue
            s.add(AttendanceDifference(
                meeting_uuid=meeting_uuid, session_id=session.id if session else None, participant_id=participant.id,
                kind=difference.kind, starts_at=difference.starts_at, ends_at=difference.ends_at,
                seconds=difference.seconds, details=difference.details, found_at=now))
    for stale in [*earlier.values(), *earlier_differences.values()]:
        s.delete(stale)
    if session is not None:
        s.flush()
        session_attendance.refresh(s, session, now, whole=True)
    summary = MergeSummary(report_rows=len(rows), new_participants=directory.created, report_segments=added,
                           bounded_segments=bounded, differences=differences)
    audit_log.record(s, now, actor, "attendance.report_merged", "meeting", meeting_uuid[:40],
                     session_id=session.id if session else None, **summary.__dict__)
    return summary
