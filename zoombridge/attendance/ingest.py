"""The inbox made into attendance for one meeting instance: participants, segments, session times.

Each run parses the meeting's pending inbox rows once, into typed rows (`attendance_events`), each
filed under its stream: one connection in one place (`attendance_streams`, which also keeps what
the stream's events say about who it is). Then it recomputes only the participants the batch
touches, with the same pure steps as the whole-meeting computation (`segments.timelines`):

- the streams the batch has events for;
- the breakout streams whose parent `user_id` belongs to one of those streams, before or after
  (the main-room identity they are filed with may have changed);
- every participant any of those streams was or now is filed under, with all its streams.

Everything else keeps its segments. Three things touch everyone, and those runs recompute the
whole meeting from its typed rows: a change in the meeting's end (it closes every open stay), a
session found for the meeting for the first time (everyone is filed under it), and the first run
for a meeting whose rows were ingested before typed rows existed (its processed rows are parsed
then, once). A property test holds any batching and order of the same events equal to the
whole-meeting computation.

The stored webhook segments are brought in line with the result, the inbox rows are marked
processed and the per-person summaries refreshed, all in the caller's transaction: a crash part
way loses nothing (everything stays pending and the next run does it again), and a second run
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance import session_attendance
from zoombridge.attendance.identity import normalise_phone, participant_key
from zoombridge.attendance.segments import (
    ParticipantTimeline,
    Segment,
    Stream,
    StreamFacts,
    filed_identity,
    main_identities,
    stream_facts,
    timeline,
)
from zoombridge.store.inbox import FAILED, PENDING, PROCESSED
from zoombridge.store.models import (
    AttendanceEvent,
    AttendanceSegment,
    AttendanceStream,
    InboxEvent,
    Participant,
    SessionSeries,
)
from zoombridge.store.models import Session as MeetingSession
from zoombridge.store.person_directory import PersonDirectory
from zoombridge.store.sql import insert_rows, one_of
from zoombridge.zoom.webhooks import (
    BREAKOUT,
    MAIN,
    MEETING_ENDED,
    MEETING_STARTED,
    PARTICIPANT_EVENTS,
    MeetingEvent,
    ParticipantEvent,
    ParticipantIdentity,
    parse_attendance_event,
)

WEBHOOK = "webhook"
MANUAL = "manual"
# A recurring meeting's instance belongs to the occurrence scheduled nearest its real start,
# if one is this close; otherwise (an unscheduled opening of the meeting) to no session.
OCCURRENCE_WINDOW = timedelta(hours=12)
_CHUNK = 500
_IDENTITY = ("registrant_id", "email", "phone_number", "zoom_user_id", "participant_uuid", "user_id", "name")


@dataclass(frozen=True)
class IngestResult:
    rows: int = 0  # pending rows taken
    failed: int = 0  # rows that carried no usable attendance event
    participants: int = 0  # participants recomputed (those the batch touched)
    segments_changed: int = 0
    orphan_leaves: int = 0  # among the participants recomputed
    session_id: int | None = None
    meeting_ended_now: bool = False  # a `meeting.ended` was among the rows taken
    whole_meeting: bool = False  # everyone was recomputed (see the module's docstring)


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- parsing, once ---------------------------------------------------------------------------

def _fits(event: ParticipantEvent | MeetingEvent | None) -> bool:
    """Whether the event's identifiers fit their columns. No real Zoom id is this long, and a row
    that cannot be written would fail the meeting's whole transaction on every run (PostgreSQL
    enforces lengths), holding back every other row of the meeting: it is unusable instead."""
    if not isinstance(event, ParticipantEvent):
        return True
    identity = event.identity
    return (len(participant_key(identity)) <= 200 and len(identity.registrant_id or "") <= 64
            and len(identity.email or "") <= 254 and len(event.room or "") <= 64)


def _parse(body: str) -> ParticipantEvent | MeetingEvent | None:
    try:
        event = parse_attendance_event(json.loads(body))
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    return event if _fits(event) else None


def _stream_key(stream: Stream) -> str:
    return hashlib.sha256(json.dumps(list(stream), ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def _event_row(inbox_id: int, event: ParticipantEvent | MeetingEvent, stream_id: int | None) -> dict:
    is_participant = isinstance(event, ParticipantEvent)
    identity = event.identity if is_participant else ParticipantIdentity()
    return {"inbox_id": inbox_id, "stream_id": stream_id, "meeting_uuid": event.meeting_uuid, "event": event.event,
            "at": event.at, "event_ts": event.event_ts, "meeting_id": event.meeting_id,
            **{name: getattr(identity, name) for name in _IDENTITY},
            "room": event.room if is_participant else None,
            "parent_user_id": event.parent_user_id if is_participant else None,
            "leave_reason": event.leave_reason if is_participant else None}


_EVENT_COLUMNS = [AttendanceEvent.stream_id, AttendanceEvent.meeting_uuid, AttendanceEvent.event, AttendanceEvent.at,
                  AttendanceEvent.event_ts, AttendanceEvent.meeting_id, AttendanceEvent.room,
                  AttendanceEvent.parent_user_id, AttendanceEvent.leave_reason,
                  *(getattr(AttendanceEvent, name) for name in _IDENTITY)]


def _as_event(row) -> ParticipantEvent:
    place, action = PARTICIPANT_EVENTS[row.event]
    return ParticipantEvent(
        event=row.event, meeting_uuid=row.meeting_uuid, meeting_id=row.meeting_id, place=place, action=action,
        at=row.at, event_ts=row.event_ts, identity=ParticipantIdentity(**{name: getattr(row, name) for name in _IDENTITY}),
        room=row.room, parent_user_id=row.parent_user_id, leave_reason=row.leave_reason)


def _load_events(s: DbSession, condition) -> dict[int, list[ParticipantEvent]]:
    found: dict[int, list[ParticipantEvent]] = defaultdict(list)
    for row in s.execute(select(*_EVENT_COLUMNS).where(condition)):
        found[row.stream_id].append(_as_event(row))
    return found


@dataclass(eq=False)
class _StreamRow:
    """A stream as a run works with it: plain objects, read and written with Core (a whole
    meeting's tens of thousands of ORM objects would cost more than the work), changes kept in
    memory until the run writes them."""

    key: str  # stream_key
    id: int | None  # None until it is inserted
    facts: StreamFacts
    participant_key: str
    stored: tuple | None = None  # (facts, participant_key) as the database has them

    @property
    def place(self) -> str:
        return self.facts.stream.place


_STREAM_COLUMNS = [AttendanceStream.id, AttendanceStream.stream_key, AttendanceStream.place, AttendanceStream.room,
                   AttendanceStream.device, AttendanceStream.parent_user_id, AttendanceStream.first_at,
                   AttendanceStream.first_event_ts, AttendanceStream.participant_key,
                   *(getattr(AttendanceStream, name) for name in _IDENTITY)]


def _stream_rows(s: DbSession, condition) -> list[_StreamRow]:
    found = []
    for r in s.execute(select(*_STREAM_COLUMNS).where(condition)):
        facts = StreamFacts(Stream(r.place, r.room, r.device), ParticipantIdentity(**{n: getattr(r, n) for n in _IDENTITY}),
                            r.parent_user_id, r.first_at, r.first_event_ts)
        found.append(_StreamRow(r.stream_key, r.id, facts, r.participant_key, stored=(facts, r.participant_key)))
    return found


def _stream_values(row: _StreamRow) -> dict:
    facts = row.facts
    return {"place": facts.stream.place, "room": facts.stream.room, "device": facts.stream.device,
            "parent_user_id": facts.parent_user_id, "first_at": facts.first_at, "first_event_ts": facts.first_event_ts,
            "participant_key": row.participant_key, **{name: getattr(facts.identity, name) for name in _IDENTITY}}


# --- the meeting as a whole ------------------------------------------------------------------

@dataclass(frozen=True)
class _MeetingTimes:
    started: datetime | None = None  # the earliest `meeting.started`
    ended: datetime | None = None  # the latest `meeting.ended`

    def with_events(self, events: list[MeetingEvent]) -> _MeetingTimes:
        starts = [e.at for e in events if e.event == MEETING_STARTED] + ([self.started] if self.started else [])
        ends = [e.at for e in events if e.event == MEETING_ENDED] + ([self.ended] if self.ended else [])
        return _MeetingTimes(min(starts, default=None), max(ends, default=None))


def _stored_times(s: DbSession, meeting_uuid: str) -> tuple[_MeetingTimes, bool]:
    """The meeting's times from its typed rows, and whether it has none yet (a first run)."""
    of_meeting = AttendanceEvent.meeting_uuid == meeting_uuid
    started, ended, seen = s.execute(select(
        select(func.min(AttendanceEvent.at)).where(of_meeting, AttendanceEvent.event == MEETING_STARTED).scalar_subquery(),
        select(func.max(AttendanceEvent.at)).where(of_meeting, AttendanceEvent.event == MEETING_ENDED).scalar_subquery(),
        select(AttendanceEvent.id).where(of_meeting).limit(1).scalar_subquery())).one()
    return _MeetingTimes(started, ended), seen is None


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


def _session_for(s: DbSession, meeting_uuid: str, times: _MeetingTimes,
                 new_events: list[ParticipantEvent | MeetingEvent]) -> MeetingSession | None:
    bound = session_attendance.locked_for_meeting(s, meeting_uuid)
    if bound is not None:
        return bound
    # Not bound yet: the real start (else the first arrival) and the meeting's number decide.
    started = times.started
    if started is None:
        stored_first = s.scalar(select(func.min(AttendanceEvent.at)).where(
            AttendanceEvent.meeting_uuid == meeting_uuid, AttendanceEvent.stream_id.is_not(None)))
        arrivals = [e.at for e in new_events if isinstance(e, ParticipantEvent)] + ([stored_first] if stored_first else [])
        started = min(arrivals, default=None)
    stored_id = s.scalar(select(func.min(AttendanceEvent.meeting_id)).where(AttendanceEvent.meeting_uuid == meeting_uuid))
    meeting_id = min([e.meeting_id for e in new_events if e.meeting_id is not None]
                     + ([stored_id] if stored_id is not None else []), default=None)
    return find_session(s, meeting_uuid, meeting_id, started)


def _record_meeting_times(session: MeetingSession, meeting_uuid: str, started: datetime | None,
                          ended: datetime | None, now: datetime) -> None:
    changed = False
    if session.meeting_uuid is None:
        session.meeting_uuid, changed = meeting_uuid, True
    if started is not None and (session.started_at is None or started < session.started_at):
        session.started_at, changed = started, True
    if ended is not None and (session.ended_at is None or ended > session.ended_at):
        session.ended_at, changed = ended, True
    if changed:  # not on every batch: the session row is left alone while nothing about it moves
        session.updated_at = now


# --- participants and their segments ---------------------------------------------------------

def _save_participant(s: DbSession, timeline: ParticipantTimeline, existing: Participant | None,
                      meeting_uuid: str, session_id: int | None, directory: PersonDirectory,
                      now: datetime) -> Participant:
    identity = timeline.identity
    p = existing
    if p is None:
        # Every column given, so new participants are inserted together rather than one by one.
        p = Participant(meeting_uuid=meeting_uuid, participant_key=timeline.key, created_at=now, display_name="",
                        email=None, phone=None, registrant_id=None, zoom_user_id=None, session_id=None,
                        person_id=None, matched_by=None)
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
    for row in sorted(stored, key=lambda r: r.id):
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
    for chunk in _chunks(ids):
        s.execute(update(InboxEvent).where(one_of(s, InboxEvent.id, chunk))
                  .values(status=status, processed_at=now, error=error))


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


# --- the run ---------------------------------------------------------------------------------

def _load(s: DbSession, meeting_uuid: str) -> tuple[list[tuple[int, str]], set[int]]:
    """The pending rows (id, body), and those of them already parsed (a run RQ repeated)."""
    pending, parsed = [], set()
    for row_id, body, typed in s.execute(
            select(InboxEvent.id, InboxEvent.body, AttendanceEvent.id)
            .outerjoin(AttendanceEvent, AttendanceEvent.inbox_id == InboxEvent.id)
            .where(InboxEvent.meeting_uuid == meeting_uuid, InboxEvent.status == PENDING).order_by(InboxEvent.id)):
        pending.append((row_id, body))
        if typed is not None:
            parsed.add(row_id)
    return pending, parsed


def ingest(s: DbSession, meeting_uuid: str, now: datetime) -> IngestResult:
    """Take the meeting's pending inbox rows into attendance (the caller commits)."""
    pending, already_parsed = _load(s, meeting_uuid)
    if not pending:
        return IngestResult()
    before, first_run = _stored_times(s, meeting_uuid)
    to_parse = [(row_id, body) for row_id, body in pending if row_id not in already_parsed]
    if first_run:  # rows ingested before typed rows existed: parsed now, once
        to_parse += [tuple(r) for r in s.execute(
            select(InboxEvent.id, InboxEvent.body).where(InboxEvent.meeting_uuid == meeting_uuid,
                                                         InboxEvent.status == PROCESSED))]
    parsed = [(row_id, _parse(body)) for row_id, body in to_parse]
    pending_ids = {row_id for row_id, _ in pending}
    failed = [row_id for row_id, event in parsed if event is None and row_id in pending_ids]
    usable = [(row_id, event) for row_id, event in parsed if event is not None]
    new_events = [event for _, event in usable]

    times = before.with_events([e for e in new_events if isinstance(e, MeetingEvent)])
    session = _session_for(s, meeting_uuid, times, new_events)
    newly_bound = session is not None and session.meeting_uuid is None
    if session is not None:
        session_attendance.lock(s, session.id)  # before any participant or segment changes
        _record_meeting_times(session, meeting_uuid, times.started, times.ended, now)
    session_id = session.id if session is not None else None
    whole = first_run or newly_bound or times.ended != before.ended

    streams = _Streams(s, meeting_uuid, usable)
    members, keys = streams.refile(whole)
    streams.write(usable)

    timelines, orphans = [], 0
    for key in sorted(keys):
        if members.get(key):
            found, lost = timeline(key, members[key], times.ended)
            orphans += lost
            if found.segments:
                timelines.append(found)
    existing_query = select(Participant).where(Participant.meeting_uuid == meeting_uuid)
    if whole:
        existing = {p.participant_key: p for p in s.scalars(existing_query)}
    else:
        existing = {}
        for chunk in _chunks(sorted(keys)):
            existing.update({p.participant_key: p for p in s.scalars(
                existing_query.where(one_of(s, Participant.participant_key, chunk)))})
    changed, saved = _write_participants(s, meeting_uuid, session_id, timelines, existing, now)

    unusable = set(failed)
    _mark(s, [row_id for row_id, _ in pending if row_id not in unusable], PROCESSED, now)
    _mark(s, failed, FAILED, now, "no usable attendance event in the body")
    if session is not None:
        everyone = list(existing.values()) + list(saved.values())
        session_attendance.refresh(s, session, now, whole=whole,
                                   person_ids={p.person_id for p in everyone if p.person_id is not None},
                                   participant_ids={p.id for p in everyone if p.id is not None})
    ended_now = any(isinstance(e, MeetingEvent) and e.event == MEETING_ENDED
                    for row_id, e in usable if row_id in pending_ids)
    return IngestResult(rows=len(pending), failed=len(failed), participants=len(timelines), segments_changed=changed,
                        orphan_leaves=orphans, session_id=session_id, meeting_ended_now=ended_now, whole_meeting=whole)


class _Streams:
    """The streams a run works on: those its events belong to, and what filing them touches."""

    def __init__(self, s: DbSession, meeting_uuid: str, usable: list[tuple[int, ParticipantEvent | MeetingEvent]]):
        self.s, self.meeting_uuid = s, meeting_uuid
        self.in_meeting = AttendanceStream.meeting_uuid == meeting_uuid
        self.batch: dict[str, list[ParticipantEvent]] = defaultdict(list)  # this run's events by stream key
        self.event_streams: list[str | None] = []  # the stream key of each usable event (None: a meeting event)
        streams: dict[str, Stream] = {}
        keys: dict[Stream, str] = {}
        for _, event in usable:
            key = None
            if isinstance(event, ParticipantEvent):
                stream = Stream.of(event)
                key = keys.get(stream) or keys.setdefault(stream, _stream_key(stream))
                streams.setdefault(key, stream)
                self.batch[key].append(event)
            self.event_streams.append(key)
        self.rows: dict[str, _StreamRow] = {}  # every stream read or made, by key
        for chunk in _chunks(sorted(streams)):
            self._keep(_stream_rows(s, self.in_meeting & one_of(s, AttendanceStream.stream_key, chunk)))
        self.events: dict[str, list[ParticipantEvent]] = {}
        for key, stream in streams.items():
            if key not in self.rows:  # new: all its events are in this batch
                self.rows[key] = _StreamRow(key, None, stream_facts(stream, self.batch[key]), "")
                self.events[key] = self.batch[key]
        self.touched = [self.rows[key] for key in streams]

    def _keep(self, found: list[_StreamRow]) -> list[_StreamRow]:
        """Rows read from the database, as this run has them (its own changes win)."""
        kept = []
        for row in found:
            kept.append(self.rows.setdefault(row.key, row))
        return kept

    def _find(self, condition, wanted) -> list[_StreamRow]:
        """Streams matching `condition` in the database or `wanted` as this run has them."""
        found = {r.key: r for r in self._keep(_stream_rows(self.s, self.in_meeting & condition)) if wanted(r)}
        found.update({key: r for key, r in self.rows.items() if wanted(r)})  # changed or made by this run
        return list(found.values())

    def _load_events(self, rows: list[_StreamRow]) -> None:
        """The events of these streams: the stored ones and this run's."""
        stored = [r for r in rows if r.key not in self.events and r.id is not None]
        by_id = {r.id: r.key for r in stored}
        loaded: dict[int, list[ParticipantEvent]] = {}
        if len(stored) > 5 * _CHUNK:  # most of the meeting: one read
            loaded = _load_events(self.s, (AttendanceEvent.meeting_uuid == self.meeting_uuid)
                                  & AttendanceEvent.stream_id.is_not(None))
        else:
            for chunk in _chunks(sorted(by_id)):
                loaded.update(_load_events(self.s, one_of(self.s, AttendanceEvent.stream_id, chunk)))
        for row_id, key in by_id.items():
            self.events[key] = loaded.get(row_id, []) + self.batch.get(key, [])

    def refile(self, whole: bool) -> tuple[dict[str, list], set[str]]:
        """Bring the facts of the streams with new events up to date, file every stream that
        affects (the whole meeting when `whole`) under its (possibly new) participant key, and
        gather each affected key's streams: per key, its members (facts, filed identity, events),
        and the keys."""
        self._load_events(self.touched)
        changed_users: set[str] = set()  # user ids of touched main streams, before and after
        for row in self.touched:
            if row.place == MAIN and row.facts.identity.user_id:
                changed_users.add(row.facts.identity.user_id)
            if row.id is not None:  # a new stream's facts were made from all its events already
                row.facts = stream_facts(row.facts.stream, self.events[row.key])
            if row.place == MAIN and row.facts.identity.user_id:
                changed_users.add(row.facts.identity.user_id)
        if whole:
            refiled = self._keep(_stream_rows(self.s, self.in_meeting)) + [r for r in self.rows.values() if r.id is None]
            refiled = list({r.key: r for r in refiled}.values())
            mains = main_identities(r.facts for r in refiled)
        else:
            # The rest of what filing needs: the breakout streams filed with the main-room
            # identity of a changed user, and the main streams of every parent involved.
            parents = changed_users | {r.facts.parent_user_id for r in self.touched
                                       if r.place == BREAKOUT and r.facts.parent_user_id}
            main_rows, refiled_by_key = {}, {r.key: r for r in self.touched}
            for users, wanted in _paired_chunks(sorted(changed_users), sorted(parents)):
                users_set, wanted_set = set(users), set(wanted)
                for r in self._find(
                        or_((AttendanceStream.place == BREAKOUT) & one_of(self.s, AttendanceStream.parent_user_id, users),
                            (AttendanceStream.place == MAIN) & one_of(self.s, AttendanceStream.user_id, wanted)),
                        lambda r, u=users_set, w=wanted_set: (r.place == BREAKOUT and r.facts.parent_user_id in u)
                        or (r.place == MAIN and r.facts.identity.user_id in w)):
                    (main_rows if r.place == MAIN else refiled_by_key)[r.key] = r
            main_rows.update({r.key: r for r in self.touched if r.place == MAIN})
            mains = main_identities(r.facts for r in main_rows.values())
            refiled = list(refiled_by_key.values())
        keys: set[str] = set()
        for row in refiled:
            if row.participant_key:
                keys.add(row.participant_key)
            row.participant_key = participant_key(filed_identity(row.facts, mains))
            keys.add(row.participant_key)
        if whole:
            members_rows = refiled
            keys.update(self.s.scalars(select(Participant.participant_key).where(Participant.meeting_uuid == self.meeting_uuid)))
        else:
            members_rows = {r.key: r for r in refiled}
            for chunk in _chunks(sorted(keys)):
                chunk_set = set(chunk)
                members_rows.update({r.key: r for r in self._find(one_of(self.s, AttendanceStream.participant_key, chunk),
                                                                  lambda r, c=chunk_set: r.participant_key in c)})
            members_rows = list(members_rows.values())
            missing = sorted({r.facts.parent_user_id for r in members_rows
                              if r.place == BREAKOUT and r.facts.parent_user_id and r.facts.parent_user_id not in mains})
            for chunk in _chunks(missing):  # breakout streams of these keys filed through other users
                chunk_set = set(chunk)
                mains.update(main_identities(r.facts for r in self._find(
                    (AttendanceStream.place == MAIN) & one_of(self.s, AttendanceStream.user_id, chunk),
                    lambda r, c=chunk_set: r.place == MAIN and r.facts.identity.user_id in c)))
        self._load_events(members_rows)
        members: dict[str, list] = defaultdict(list)
        for row in members_rows:
            members[row.participant_key].append((row.facts, filed_identity(row.facts, mains), self.events[row.key]))
        return members, keys

    def write(self, usable: list[tuple[int, ParticipantEvent | MeetingEvent]]) -> None:
        """Insert the new streams and update the changed ones, then store the typed rows."""
        table = AttendanceStream.__table__
        made = [row for row in self.rows.values() if row.id is None]
        for chunk in _chunks(made, 2000):
            # Inserted, then the ids read back by key: psycopg turns INSERT ... RETURNING of many
            # rows into one statement of 1,000 rows' parameters that it parses in Python (`store.sql`).
            insert_rows(self.s, table, [
                {"meeting_uuid": self.meeting_uuid, "stream_key": row.key, **_stream_values(row)} for row in chunk])
            ids = dict(self.s.execute(select(table.c.stream_key, table.c.id).where(
                self.in_meeting, one_of(self.s, table.c.stream_key, [row.key for row in chunk]))).all())
            for row in chunk:
                row.id = ids[row.key]
        changed = [{f"new_{name}": value for name, value in _stream_values(row).items()} | {"row_id": row.id}
                   for row in self.rows.values() if row.stored is not None and row.stored != (row.facts, row.participant_key)]
        if changed:
            values = {name[len("new_"):]: bindparam(name) for name in changed[0] if name != "row_id"}
            self.s.execute(update(table).where(table.c.id == bindparam("row_id")).values(values), changed)
        typed = [_event_row(row_id, event, None if key is None else self.rows[key].id)
                 for (row_id, event), key in zip(usable, self.event_streams, strict=True)]
        insert_rows(self.s, AttendanceEvent.__table__, typed)  # Core, not the ORM (it splits its batches on NULLs)


def _paired_chunks(a: list, b: list):
    """Chunks of two lists side by side (one query for both while both are short)."""
    first, second = list(_chunks(a)), list(_chunks(b))
    for i in range(max(len(first), len(second), 1)):
        yield (first[i] if i < len(first) else []), (second[i] if i < len(second) else [])


def _write_participants(s: DbSession, meeting_uuid: str, session_id: int | None, timelines: list[ParticipantTimeline],
                        existing: dict[str, Participant], now: datetime) -> tuple[int, dict[str, Participant]]:
    with s.no_autoflush:
        # Only participants not matched yet are looked up (most of a live batch is matched already).
        unmatched = [t.identity for t in timelines
                     if (p := existing.get(t.key)) is None or (p.person_id is None and p.matched_by != MANUAL)]
        directory = PersonDirectory(s, session_id, unmatched)
        saved = {t.key: _save_participant(s, t, existing.get(t.key), meeting_uuid, session_id, directory, now)
                 for t in timelines}
    s.flush()  # ids for new participants
    ids = sorted({p.id for p in existing.values()} | {p.id for p in saved.values()})
    stored: dict[int, list[AttendanceSegment]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in s.scalars(select(AttendanceSegment).where(one_of(s, AttendanceSegment.participant_id, chunk),
                                                             AttendanceSegment.source == WEBHOOK)):
            stored[row.participant_id].append(row)
    changed = 0
    new_rows: list[dict] = []
    for t in timelines:
        participant = saved[t.key]
        changed += _sync_segments(s, participant.id, meeting_uuid, t.segments, stored.pop(participant.id, []), new_rows)
    if new_rows:
        insert_rows(s, AttendanceSegment.__table__, new_rows)
    for rows in stored.values():  # participants whose streams are now filed under another key
        for row in rows:
            s.delete(row)
            changed += 1
    s.flush()
    _drop_empty_participants(s, [p for key, p in existing.items() if key not in saved])
    s.flush()
    return changed, saved
