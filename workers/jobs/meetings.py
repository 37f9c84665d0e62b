"""Zoom meetings for sessions: create (once), move, cancel, and the format's poll.

`create_meeting` is the one that must never make two meetings. Zoom's create call has no
idempotency key and RQ runs a job at least once, so:

1. the session rows are marked `creating` with the meeting's marker, and committed, before
   Zoom is called;
2. a run that finds `creating` or `failed` (an earlier attempt may have reached Zoom before
   timing out) first looks for a meeting carrying the marker among the host's upcoming meetings
   and adopts it;
3. after creating, the host's meetings are listed once more and any *other* meeting with the
   same marker is deleted: two runs at once (one read the session before the other marked it)
   can have made two. The client itself never resends a POST that may have reached Zoom.

A series (the monthly Cuppa) is one Zoom recurring meeting shared by its sessions; each
session keeps its occurrence id, matched by start time.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from workers.jobs.timers import plan_session
from zoombridge import logs, runtime
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.sessions import meeting as zoom_meeting
from zoombridge.sessions.meeting_state import (
    MeetingState,
    has_meeting,
    is_being_created,
    move,
    needs_creating,
    state_of,
)
from zoombridge.sessions.records import format_for, session_for_step
from zoombridge.store import db_session
from zoombridge.store.models import Registration, Session, SessionSeries
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import MeetingNotFound, RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)
STANDIN_HOST = "host@example.org"


class NotReadyYet(Exception):
    """The meeting is still being created; RQ retries this job later."""


def host_user() -> str:
    """The Zoom user who hosts every meeting (an email or user id; S2S apps cannot use `me`)."""
    settings = runtime.settings()
    if settings.zoom_host_user:
        return settings.zoom_host_user
    if settings.uses_zoom_standin:
        return STANDIN_HOST
    raise RuntimeError("ZOOM_HOST_USER is not set")


def _group(s, session: Session) -> list[Session]:
    """The sessions that share this session's Zoom meeting."""
    if session.series_id is None:
        return [session]
    return list(s.scalars(select(Session).where(Session.series_id == session.series_id).order_by(Session.starts_at)))


def create_meeting(session_id: int) -> str:
    now = runtime.now()
    with db_session() as s:
        session, skip = session_for_step(s, session_id, status=None)
        if skip:
            return skip
        group = _group(s, session)
        if all(x.status != "scheduled" for x in group):
            return "not needed"
        if has_meeting(session):
            return "already created"
        lead = group[0]
        fmt = format_for(lead)
        install = zoom_meeting.install_tag(runtime.settings().public_base_url)
        if lead.series_id is None:
            marker = zoom_meeting.meeting_marker(install, session_id=lead.id)
            body = zoom_meeting.one_off_body(
                topic=lead.title, agenda=zoom_meeting.agenda_text(marker, fmt), starts_at=lead.starts_at,
                duration_minutes=lead.duration_minutes, passcode=zoom_meeting.new_passcode())
        else:
            series = s.get(SessionSeries, lead.series_id)
            marker = zoom_meeting.meeting_marker(install, series_id=series.id)
            body = zoom_meeting.series_body(
                topic=series.title, agenda=zoom_meeting.agenda_text(marker, fmt), first_start=lead.starts_at,
                duration_minutes=lead.duration_minutes, weekday=series.rule["first"], count=len(group),
                passcode=zoom_meeting.new_passcode())
        earlier_attempt = any(state_of(x) in (MeetingState.CREATING, MeetingState.FAILED) for x in group)
        for member in group:
            move(member, MeetingState.CREATING)
            member.zoom_details = {**(member.zoom_details or {}), "marker": marker, "create_started_at": now.isoformat()}
        group_ids = [x.id for x in group]
    # The marker is committed: from here on a retry looks for the meeting before creating one.

    client = current_zoom_client()
    host = host_user()
    try:
        found = zoom_meeting.find_marked(client.list_meetings(host), marker) if earlier_attempt else []
        if found:
            meeting = client.get_meeting(found[0]["id"])
            logs.event(log, "meeting_adopted", session=session_id, meeting=meeting["id"])
        else:
            meeting = client.create_meeting(host, body)
            logs.event(log, "meeting_created", session=session_id, meeting=meeting["id"])
        _delete_duplicates(client, host, marker, keep=int(meeting["id"]))
    except (ZoomUnavailable, RateLimited):
        raise  # transient: still `creating`; RQ retries and the retry looks the meeting up first
    except ZoomError as exc:
        _mark_failed(group_ids, f"Zoom refused: {exc.message or exc.status}")
        raise
    return _store_meeting(group_ids, zoom_meeting.join_details(meeting))


def _delete_duplicates(client, host: str, marker: str, keep: int) -> None:
    for extra in zoom_meeting.find_marked(client.list_meetings(host), marker):
        if int(extra["id"]) != keep:
            try:
                client.delete_meeting(extra["id"], notify_registrants=False)
            except MeetingNotFound:
                pass
            logs.event(log, "meeting_duplicate_deleted", meeting=extra["id"], kept=keep, level=logging.WARNING)


def _mark_failed(session_ids: list[int], error: str) -> None:
    with db_session() as s:
        for member in s.scalars(select(Session).where(Session.id.in_(session_ids))):
            move(member, MeetingState.FAILED)
            member.zoom_details = {**(member.zoom_details or {}), "error": error}


def _store_meeting(session_ids: list[int], details: dict) -> str:
    now = runtime.now()
    conn = current_redis()
    occurrences = details.pop("occurrences")
    with db_session() as s:
        group = list(s.scalars(select(Session).where(Session.id.in_(session_ids)).order_by(Session.starts_at)))
        is_series = group[0].series_id is not None
        matched, missing = ({}, []) if not is_series else zoom_meeting.match_occurrences(
            {x.id: x.starts_at for x in group}, occurrences)
        for member in group:
            kept = {k: v for k, v in (member.zoom_details or {}).items() if k not in ("error", "create_started_at")}
            member.zoom_meeting_id = details["meeting_id"]
            member.zoom_details = {**kept, **details}
            member.updated_at = now
            if is_series and member.id in missing:
                move(member, MeetingState.FAILED)
                member.zoom_details = {**member.zoom_details, "error": "Zoom's recurring meeting has no occurrence "
                                       f"at {member.starts_at.isoformat()}"}
            else:
                move(member, MeetingState.CREATED)
                member.zoom_occurrence_id = matched.get(member.id)
        if is_series:
            s.get(SessionSeries, group[0].series_id).zoom_meeting_id = details["meeting_id"]
        ready = [x for x in group if has_meeting(x)]
        waiting = list(s.scalars(select(Registration.id).where(
            Registration.session_id.in_([x.id for x in ready]), Registration.status == "active",
            Registration.zoom_registrant_id.is_(None))))
        plans = [(x, format_for(x)) for x in ready]
    # Committed; now the next steps.
    for registration_id in waiting:
        intents.register(conn, registration_id)
    scheduled = [(member, fmt) for member, fmt in plans if member.status == "scheduled"]
    for member, _fmt in plans:
        if member.status == "cancelled":
            intents.cancel_meeting(conn, member.id)
    for member, fmt in scheduled:
        plan_session(conn, member, fmt, now)
    if scheduled:
        first, fmt = scheduled[0]
        intents.ensure_captions(conn, first.id)
        if fmt.poll is not None:
            intents.create_poll(conn, first.id)
    return f"meeting {details['meeting_id']} for {len(ready)} session(s), {len(missing)} unmatched"


def update_meeting(session_id: int) -> str:
    """Send the session's current time, length and title to Zoom, then tell people a new time."""
    with db_session() as s:
        session, skip = session_for_step(s, session_id)
        if skip:
            return skip
        if needs_creating(session):
            return "no meeting yet: it will be created with the current details"
        if is_being_created(session):
            raise NotReadyYet(f"session {session_id} meeting is being created")
        in_series = session.series_id is not None
        body = zoom_meeting.reschedule_body(session.starts_at, session.duration_minutes,
                                            topic=None if in_series else session.title)
        meeting_id, occurrence_id, revision = session.zoom_meeting_id, session.zoom_occurrence_id, session.revision
        fmt = format_for(session)
    current_zoom_client().update_meeting(meeting_id, body, occurrence_id=occurrence_id if in_series else None)
    now = runtime.now()
    conn = current_redis()
    with db_session() as s:
        session = s.get(Session, session_id)
        session.zoom_details = {**(session.zoom_details or {}), "synced_revision": revision}
    plan_session(conn, session, fmt, now)
    if revision > 0:
        intents.send_new_times(conn, session_id, revision)
    logs.event(log, "meeting_updated", session=session_id, meeting=meeting_id, revision=revision)
    return f"meeting {meeting_id} updated to revision {revision}"


def cancel_meeting(session_id: int) -> str:
    """Delete the meeting (or this session's occurrence) on Zoom, then email the people registered."""
    with db_session() as s:
        session, skip = session_for_step(s, session_id, status="cancelled")
        if skip:
            return skip
        if is_being_created(session):
            raise NotReadyYet(f"session {session_id} meeting is being created")
        meeting_id = session.zoom_meeting_id if has_meeting(session) else None
        occurrence_id = session.zoom_occurrence_id
    if meeting_id is not None:
        try:
            current_zoom_client().delete_meeting(meeting_id, occurrence_id=occurrence_id, notify_registrants=False)
        except MeetingNotFound:
            pass  # already gone: that is what we wanted
        with db_session() as s:
            move(s.get(Session, session_id), MeetingState.DELETED)
    intents.send_cancellations(current_redis(), session_id)
    logs.event(log, "meeting_cancelled", session=session_id, meeting=meeting_id or "-")
    return f"session {session_id} cancelled"


def create_poll(session_id: int) -> str:
    """The format's poll on the meeting (the network session's icebreaker).

    Zoom's poll create is a POST with no idempotency key, and the client does not resend a
    POST that may have reached Zoom. So a run first lists the meeting's polls and adopts one
    with the same title: a crash (or timeout) between Zoom making the poll and our commit of
    its id then leaves one poll, not two.
    """
    with db_session() as s:
        session, skip = session_for_step(s, session_id, status=None, needs_meeting=True)
        if skip:
            return skip
        if (session.zoom_details or {}).get("poll_id"):
            return "poll already there"
        poll = format_for(session).poll
        if poll is None:
            return "no poll in this format"
        meeting_id = session.zoom_meeting_id
    client = current_zoom_client()
    body = zoom_meeting.poll_body(poll)
    found = zoom_meeting.find_poll(client.list_polls(meeting_id), body["title"])
    made = found or client.create_poll(meeting_id, body)
    with db_session() as s:
        for member in _group(s, s.get(Session, session_id)):
            member.zoom_details = {**(member.zoom_details or {}), "poll_id": made.get("id")}
    logs.event(log, "poll_adopted" if found else "poll_created", session=session_id, meeting=meeting_id)
    return f"poll {made.get('id')} {'adopted' if found else 'created'}"
