"""The safety sweep (every few minutes): whatever should have been enqueued and was not.

Enqueueing happens after commits and can be lost (Redis down at that moment, a worker killed
between steps). This finds the sessions and registrations whose next step is overdue and
enqueues it again; every step is idempotent, so a step enqueued twice changes nothing.

It also finds sessions whose attendance should be final by now and is not, because Zoom never
said the meeting ended (`zoombridge.attendance.finality`): `meeting_ended_grace_hours`
after the scheduled end it starts their reconciliation (`reconcile-session:{id}`), unless one
of the session or its meeting instance is already waiting or running.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from zoombridge import runtime
from zoombridge.attendance import finality
from zoombridge.notify.delivery import mark_stuck_unconfirmed, was_sent
from zoombridge.people import details
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.sessions.meeting_state import MeetingState, state_of
from zoombridge.sessions.records import format_for, timeline
from zoombridge.store import db_session
from zoombridge.store.models import Registration, Session

HORIZON = timedelta(days=31)  # links go out at most 30 days ahead
STALE_CREATING = timedelta(minutes=10)


def sweep_sessions() -> dict[str, int]:
    now = runtime.now()
    conn = current_redis()
    done = {"create": 0, "register": 0, "links": 0, "remind": 0, "captions": 0, "caption-link": 0, "unconfirmed": 0,
            "details": 0, "finalise": 0}
    with db_session() as s:
        done["unconfirmed"] = mark_stuck_unconfirmed(s, now)
        unsent_confirmations = details.unsent_requests(s, now)
        sessions = list(s.scalars(select(Session).where(
            Session.status == "scheduled", Session.starts_at > now, Session.starts_at <= now + HORIZON)))
        steps = [_due_steps(s, session, now) for session in sessions]
        unfinished = _overdue_for_finalising(s, now, timedelta(hours=runtime.settings().meeting_ended_grace_hours))
    for request_id in unsent_confirmations:
        intents.send_details_confirmation(conn, request_id)
        done["details"] += 1
    for session_id, meeting_uuid in unfinished:
        if not intents.reconcile_in_hand(conn, session_id, meeting_uuid):
            intents.reconcile_session(conn, session_id)
            done["finalise"] += 1
    for session_id, due in steps:
        for step in due:
            if step == "create":
                intents.create_meeting(conn, session_id)
            elif step == "links":
                intents.send_links(conn, session_id)
            elif step == "remind":
                intents.remind(conn, session_id)
            elif step == "captions":
                intents.ensure_captions(conn, session_id)
            elif step == "caption-link":
                intents.send_caption_link(conn, session_id)
            else:
                intents.register(conn, step)
                step = "register"
            done[step] += 1
    return done


def _due_steps(s, session: Session, now: datetime) -> tuple[int, list]:
    """The overdue steps of one session: names, and registration ids still to register."""
    state = state_of(session)
    if state is MeetingState.NONE or (state is MeetingState.CREATING
                                      and _started_before(session, now - STALE_CREATING)):
        return _meeting_lead(s, session), ["create"]
    if state is not MeetingState.CREATED:
        return session.id, []
    fmt = format_for(session)
    when = timeline(session, fmt)
    registrations = list(s.scalars(select(Registration).where(Registration.session_id == session.id,
                                                              Registration.status == "active")))
    due: list = [r.id for r in registrations if r.zoom_registrant_id is None or not r.join_url]
    if now >= when.links_at and any(r.join_url and r.link_sent_at is None for r in registrations):
        due.append("links")
    if now >= when.reminder_at and not was_sent(s, f"host-pack:{session.id}:{session.revision}"):
        due.append("remind")
    if now >= when.captions_recheck_at and (session.captions_checked_at is None
                                            or session.captions_checked_at < when.captions_recheck_at):
        due.append("captions")
    if fmt.captioner_email is not None and now >= when.caption_link_at and session.caption_link_until is None:
        due.append("caption-link")  # the job itself checks the caption plan and sends once per revision
    return session.id, due


def _overdue_for_finalising(s, now: datetime, grace: timedelta) -> list[tuple[int, str | None]]:
    """(id, meeting instance) of each session not final `grace` after its scheduled end. Every
    one of them is made final by the reconciliation this starts, so the list stays short."""
    candidates = s.execute(select(Session.id, Session.meeting_uuid, Session.starts_at, Session.duration_minutes,
                                  Session.attendance_final_at)
                           .where(Session.attendance_final_at.is_(None), Session.starts_at <= now - grace)
                           .order_by(Session.id))
    return [(row.id, row.meeting_uuid) for row in candidates if finality.overdue_for_finalising(
        finality.scheduled_end(row.starts_at, row.duration_minutes), row.attendance_final_at, now, grace)]


def _meeting_lead(s, session: Session) -> int:
    """A series has one meeting, created by one job: the one for its first session."""
    if session.series_id is None:
        return session.id
    return s.scalar(select(Session.id).where(Session.series_id == session.series_id)
                    .order_by(Session.starts_at).limit(1))


def _started_before(session: Session, moment: datetime) -> bool:
    started = (session.zoom_details or {}).get("create_started_at")
    return started is None or datetime.fromisoformat(started) < moment
