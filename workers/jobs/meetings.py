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
session keeps its occurrence id, matched by start time. A meeting holds at most 4,999
registrants (docs/zoom.md §4): when Zoom answers 3043, `split_series` moves the session that met
it and the later ones to a new recurring meeting (`Session.meeting_part`), registering their
people again there.

Every meeting is made by the session's host (`zoombridge.sessions.hosts`), sent every AI
Companion field explicitly, and read back: a field Zoom kept on is turned off again, and staff
are told if it stays on (`zoombridge.sessions.ai_settings`). A job that meets one of Zoom's daily
limits waits for it to reset (`workers.jobs.zoom_limits`).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from workers.jobs.mail import deliver
from workers.jobs.timers import plan_session
from workers.jobs.zoom_limits import about_session, waits_for_zoom
from zoombridge import logs, runtime
from zoombridge.notify import messages
from zoombridge.notify.organisation import load_organisation
from zoombridge.planning.formats import AiCompanion
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.sessions import ai_settings
from zoombridge.sessions import meeting as zoom_meeting
from zoombridge.sessions.hosts import host_of
from zoombridge.sessions.meeting_state import (
    MeetingState,
    has_meeting,
    is_being_created,
    move,
    needs_creating,
    state_of,
)
from zoombridge.sessions.records import facts_for, format_for, session_for_step
from zoombridge.store import audit_log, db_session
from zoombridge.store.models import Registration, Session, SessionSeries
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import MeetingNotFound, RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)


class NotReadyYet(Exception):
    """The meeting is still being created; RQ retries this job later."""


def _group(s, session: Session) -> list[Session]:
    """The sessions that share this session's Zoom meeting (a series' sessions of one part)."""
    if session.series_id is None:
        return [session]
    return list(s.scalars(select(Session).where(Session.series_id == session.series_id,
                                                Session.meeting_part == session.meeting_part)
                          .order_by(Session.starts_at)))


@waits_for_zoom("create-meeting:{0}", about_session("creating the Zoom meeting"))
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
        host = host_of(lead)
        install = zoom_meeting.install_tag(runtime.settings().public_base_url)
        if lead.series_id is None:
            marker = zoom_meeting.meeting_marker(install, session_id=lead.id)
            body = zoom_meeting.one_off_body(
                topic=lead.title, agenda=zoom_meeting.agenda_text(marker, fmt), starts_at=lead.starts_at,
                duration_minutes=lead.duration_minutes, passcode=zoom_meeting.new_passcode(), ai=fmt.ai_companion)
        else:
            series = s.get(SessionSeries, lead.series_id)
            marker = zoom_meeting.meeting_marker(install, series_id=series.id, part=lead.meeting_part)
            body = zoom_meeting.series_body(
                topic=series.title, agenda=zoom_meeting.agenda_text(marker, fmt), first_start=lead.starts_at,
                duration_minutes=lead.duration_minutes, weekday=series.rule["first"], count=len(group),
                passcode=zoom_meeting.new_passcode(), ai=fmt.ai_companion)
        earlier_attempt = any(state_of(x) in (MeetingState.CREATING, MeetingState.FAILED) for x in group)
        for member in group:
            move(member, MeetingState.CREATING)
            member.zoom_details = {**(member.zoom_details or {}), "marker": marker, "create_started_at": now.isoformat()}
        group_ids = [x.id for x in group]
    # The marker is committed: from here on a retry looks for the meeting before creating one.

    client = current_zoom_client()
    try:
        found = zoom_meeting.find_marked(client.list_meetings(host), marker) if earlier_attempt else []
        if found:
            meeting = client.get_meeting(found[0]["id"])
            logs.event(log, "meeting_adopted", session=session_id, meeting=meeting["id"])
        else:
            meeting = client.create_meeting(host, body)
            logs.event(log, "meeting_created", session=session_id, meeting=meeting["id"])
        _delete_duplicates(client, host, marker, keep=int(meeting["id"]))
        ai_state = _verify_ai(client, int(meeting["id"]), fmt.ai_companion, host, now)
    except (ZoomUnavailable, RateLimited):
        raise  # transient: still `creating`; the retry (or the wait for a daily limit) looks the meeting up first
    except ZoomError as exc:
        _mark_failed(group_ids, f"Zoom refused: {exc.message or exc.status}")
        raise
    details = {**zoom_meeting.join_details(meeting), "ai_companion": ai_state}
    result = _store_meeting(group_ids, details)
    if ai_state.get("unwanted_on"):
        _alert_ai_on(group_ids[0], host, ai_state)
    return result


def _verify_ai(client, meeting_id: int, ai: AiCompanion, host: str, now) -> dict:
    """Read the meeting back; turn off (once) any AI Companion field Zoom kept on against our ask.

    A field left out of Zoom's answer is reported as unconfirmed, never taken as off. Zoom
    refusing the read or the fix is recorded for staff, not a reason to lose the new meeting;
    rate limits and outages are raised so the job's retry adopts the meeting and checks again.
    """
    wanted = ai_settings.wanted_settings(ai)
    state = {"wanted": wanted, "checked_at": now.isoformat()}
    try:
        found = ai_settings.check(client.get_meeting(meeting_id), wanted)
        if not found.as_asked:
            client.update_meeting(meeting_id, {"settings": wanted}, host=host)
            found = ai_settings.check(client.get_meeting(meeting_id), wanted)
    except (ZoomUnavailable, RateLimited):
        raise
    except ZoomError as exc:
        return {**state, "error": f"Zoom answered {exc.status} (code {exc.code}): {exc.message}"}
    if found.unwanted_on:
        logs.event(log, "ai_companion_kept_on", logging.WARNING, meeting=meeting_id, fields=",".join(found.unwanted_on))
    return {**state, **found.to_dict()}


def _alert_ai_on(session_id: int, host: str, state: dict) -> None:
    with db_session() as s:
        session = s.get(Session, session_id)
        facts = facts_for(session, format_for(session))
    fields = [ai_settings.label(f) for f in state["unwanted_on"]]
    deliver([(messages.ai_companion_on(facts, host, fields, load_organisation()), None)])


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
        if is_series and group[0].meeting_part == 0:
            s.get(SessionSeries, group[0].series_id).zoom_meeting_id = details["meeting_id"]
        ready = [x for x in group if has_meeting(x)]
        waiting = list(s.scalars(select(Registration.id).where(
            Registration.session_id.in_([x.id for x in ready]), Registration.status == "active",
            Registration.zoom_registrant_id.is_(None)).order_by(Registration.id)))  # in the order people registered
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


@waits_for_zoom("update-meeting:{0}", about_session("sending the new time to Zoom"))
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
        host = host_of(session)
    current_zoom_client().update_meeting(meeting_id, body, occurrence_id=occurrence_id if in_series else None,
                                         host=host)
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


@waits_for_zoom("cancel-meeting:{0}", about_session("cancelling the Zoom meeting"))
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


@waits_for_zoom("create-poll:{0}", about_session("adding the poll to the Zoom meeting"))
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


@waits_for_zoom("split-series:{0}:{1}", about_session("moving later sessions to a new Zoom meeting"))
def split_series(session_id: int, full_meeting_id: int) -> str:
    """Zoom answered 3043 (4,999 registrants) for this session: it and the later sessions of its
    meeting move to a new recurring meeting, and their people are registered again there.

    Their occurrences are deleted from the full meeting first (without Zoom's emails), so the
    old personal links stop working, then the sessions are moved (committed), then the new
    meeting is created, which registers everyone waiting and re-plans their link emails: each
    person gets their new link as a new email. Safe to run twice: a session no longer on
    `full_meeting_id` has moved already.
    """
    with db_session() as s:
        session, skip = session_for_step(s, session_id, status=None)
        if skip:
            return skip
        if session.series_id is None or session.zoom_meeting_id != full_meeting_id:
            return "nothing to move"
        group = _group(s, session)
        later = [x for x in group if x.starts_at >= session.starts_at]
        if len(later) == len(group):  # full with its own first session's people: nowhere to move to
            session.zoom_details = {**(session.zoom_details or {}),
                                    "error": "Zoom's meeting is full (4,999 registrants) for its first session"}
            return "meeting full for its first session"
        occurrences = [x.zoom_occurrence_id for x in later if x.zoom_occurrence_id]
        later_ids = [x.id for x in later]
    client = current_zoom_client()
    for occurrence in occurrences:
        try:
            client.delete_meeting(full_meeting_id, occurrence_id=occurrence, notify_registrants=False)
        except MeetingNotFound:
            pass  # deleted already by an earlier attempt
    now = runtime.now()
    with db_session() as s:
        moving = list(s.scalars(select(Session).where(Session.id.in_(later_ids),
                                                      Session.zoom_meeting_id == full_meeting_id)))
        if not moving:
            return "nothing to move"
        if any(is_being_created(member) for member in moving):
            raise NotReadyYet(f"session {session_id}: the full meeting is being looked up again")
        series_id = moving[0].series_id
        part = (s.scalar(select(func.max(Session.meeting_part)).where(Session.series_id == series_id)) or 0) + 1
        for member in moving:
            member.meeting_part = part
            move(member, MeetingState.NONE)
            member.zoom_meeting_id = None
            member.zoom_occurrence_id = None
            member.zoom_details = {"moved_from_meeting": full_meeting_id}
            member.updated_at = now
        for registration in s.scalars(select(Registration).where(
                Registration.session_id.in_([m.id for m in moving]))):
            registration.zoom_registrant_id = None
            registration.join_url = None
            registration.participant_pin_code = None
            registration.link_sent_at = None  # the new link is sent as a new email
        audit_log.record(s, now, "zoom", "series.split", "series", series_id, full_meeting=full_meeting_id,
                         part=part, sessions=[m.id for m in moving])
        first = min(moving, key=lambda m: m.starts_at).id
    intents.create_meeting(current_redis(), first)
    logs.event(log, "series_split", session=session_id, meeting=full_meeting_id, part=part, moved=len(later_ids))
    return f"{len(later_ids)} session(s) move to a new Zoom meeting (part {part})"
