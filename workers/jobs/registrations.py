"""Registrants on Zoom: each registration becomes a Zoom registrant with a personal link.

The registrant id and link are stored the moment Zoom answers, and a re-run that finds them
does not call Zoom again. Only a crash between Zoom's answer and that commit, or an answer lost
to a timeout (the client does not resend the POST; the job's retry does), repeats the POST;
Zoom allows three registrations a day for the same person on a meeting, which leaves room for
it, and whichever registrant Zoom answers with is the one stored (the spec does not say whether
a repeated email gets the existing registrant or a new one).

A job meeting that 3-a-day limit (or its 10-a-day sibling for cancelling) waits for it to reset
(`workers.jobs.zoom_limits`) without holding up anyone else. A meeting full with Zoom's 4,999
registrants (3043) hands this session and the later ones of its series to a new meeting
(`workers.jobs.meetings.split_series`), which registers this person again there.
"""

from __future__ import annotations

import logging

from redis.exceptions import LockError
from sqlalchemy import select

from workers.jobs.zoom_limits import waits_for_zoom
from zoombridge import logs, runtime
from zoombridge.privacy import mask_email
from zoombridge.queue import intents, progress
from zoombridge.queue.connection import current_redis
from zoombridge.sessions import meeting as zoom_meeting
from zoombridge.sessions.meeting_state import has_meeting
from zoombridge.sessions.records import format_for, timeline
from zoombridge.store import db_session
from zoombridge.store.models import Registration, Session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import MeetingFull, MeetingNotFound

log = logging.getLogger(__name__)


class NoPersonalLink(Exception):
    """Zoom registered the person but gave no join_url (not approved): retried later."""


REGISTERING_LOCK = "zoombridge:registering:{}"
REGISTERING_LOCK_SECONDS = 600  # longer than one job may run (its timeout)


def _about(action: str):
    def describe(registration_id: int) -> tuple[int | None, str]:
        with db_session() as s:
            registration = s.get(Registration, registration_id)
            if registration is None:
                return None, f"{action} a registration"
            return registration.session_id, f"{action} {registration.person.first_name}"
    return describe


@waits_for_zoom("register:{0}", _about("registering"))
def register(registration_id: int) -> str:
    """`register:{registration}`: the person's Zoom registrant and personal link.

    One job at a time registers a person, whichever asked for it (this intent, the import's
    `register_people`, the sweep): a second finds the lock held and leaves it to the first, so two
    workers never both add the same registrant.
    """
    lock = current_redis().lock(REGISTERING_LOCK.format(registration_id), timeout=REGISTERING_LOCK_SECONDS,
                                blocking=False)
    if not lock.acquire():
        return "another job is registering them"
    try:
        return _register(registration_id)
    finally:
        try:
            lock.release()
        except LockError:
            pass  # it outlived its timeout; whoever holds it now keeps it


def _register(registration_id: int) -> str:
    with db_session() as s:
        registration = s.get(Registration, registration_id)
        if registration is None or registration.status != "active":
            return "not active"
        session = registration.session
        if session.status != "scheduled":
            return "session not scheduled"
        if not has_meeting(session):
            return "waiting for the meeting (creating it registers everyone waiting)"
        if registration.zoom_registrant_id and registration.join_url:
            registered_already = True
        else:
            registered_already = False
            body = zoom_meeting.registrant_body(registration.person.first_name, registration.person.email)
            occurrences = [session.zoom_occurrence_id] if session.series_id and session.zoom_occurrence_id else None
            meeting_id = session.zoom_meeting_id
            session_id = session.id
    if not registered_already:
        try:
            created = current_zoom_client().add_registrant(meeting_id, body, occurrence_ids=occurrences)
        except MeetingFull:
            logs.event(log, "meeting_full", registration=registration_id, meeting=meeting_id, level=logging.WARNING)
            if occurrences is None:
                raise  # a one-off meeting cannot be split (formats cap a session far below 4,999)
            intents.split_series(current_redis(), session_id, meeting_id)
            return "meeting full: this session moves to a new Zoom meeting, which registers everyone again"
        with db_session() as s:
            registration = s.get(Registration, registration_id)
            registration.zoom_registrant_id = created.get("registrant_id") or registration.zoom_registrant_id
            registration.join_url = created.get("join_url") or registration.join_url
            pin = created.get("participant_pin_code")
            registration.participant_pin_code = str(pin) if pin else registration.participant_pin_code
            has_link = bool(registration.join_url)
        if not has_link:
            raise NoPersonalLink(f"registration {registration_id}: Zoom gave no personal link")
        logs.event(log, "registrant_added", registration=registration_id, to=mask_email(body["email"]))
    _send_now_if_due(registration_id)
    return "registered"


def _send_now_if_due(registration_id: int) -> None:
    """Someone registering after the links went out gets theirs at once."""
    now = runtime.now()
    with db_session() as s:
        registration = s.get(Registration, registration_id)
        session = registration.session
        due = (registration.link_sent_at is None and session.starts_at > now
               and timeline(session, format_for(session)).links_at <= now)
    if due:
        intents.send_link(current_redis(), registration_id)


@waits_for_zoom("unregister:{0}", _about("cancelling on Zoom the registration of"))
def unregister(registration_id: int) -> str:
    """Cancel the person's Zoom registration (for this session's occurrence only, in a series)."""
    with db_session() as s:
        registration = s.get(Registration, registration_id)
        if registration is None or registration.status != "cancelled" or not registration.zoom_registrant_id:
            return "nothing to cancel on Zoom"
        session = registration.session
        if not has_meeting(session):
            return "no meeting"
        meeting_id = session.zoom_meeting_id
        occurrence = session.zoom_occurrence_id if session.series_id else None
        who = [{"id": registration.zoom_registrant_id, "email": registration.person.email}]
    try:
        current_zoom_client().update_registrant_status(meeting_id, "cancel", who, occurrence_id=occurrence)
    except MeetingNotFound:
        return "meeting already gone"
    return "cancelled on Zoom"


def register_people(session_id: int) -> str:
    """`register-people:{session}`: everyone registered for the session who has no Zoom
    registration yet (a CSV import of hundreds), one by one, with "n of N" in the job's metadata.

    People registered while it runs are taken in too (N grows); anyone it cannot register now (a
    Zoom error) stops it so RQ retries it, and the retry skips everyone already done.
    """
    with db_session() as s:
        session = s.get(Session, session_id)
        if session is None or session.status != "scheduled":
            return "session not scheduled"
        if not has_meeting(session):
            return "waiting for the meeting (creating it registers everyone waiting)"
    tried: set[int] = set()
    while waiting := [r for r in _still_to_register(session_id) if r not in tried]:
        total = len(tried) + len(waiting)
        for registration_id in waiting:
            progress.report(len(tried), total)
            register(registration_id)
            tried.add(registration_id)
    progress.report(len(tried), len(tried))
    return f"registered {len(tried)}"


def _still_to_register(session_id: int) -> list[int]:
    with db_session() as s:
        return list(s.scalars(select(Registration.id).where(
            Registration.session_id == session_id, Registration.status == "active",
            (Registration.zoom_registrant_id.is_(None)) | (Registration.join_url.is_(None)))
            .order_by(Registration.id)))
