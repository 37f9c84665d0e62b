"""After a meeting ends: fetch Zoom's participant report, merge it, recompute payment decisions.

`reconcile_meeting(meeting_uuid)` is enqueued (delayed) by the webhook ingest after
`meeting.ended`. Zoom can take minutes to produce the report, answers with an error or an empty
list until then, and never produces one for a meeting with fewer than two participants, so the
job re-enqueues itself on a backoff schedule (by the injected clock) for up to a day. Meanwhile
decisions are computed from the webhook record alone (provisional), and when the day is over
without a report, the webhook record becomes final and the audit log says so.

A session whose `meeting.ended` never came (a lost delivery, a Zoom outage, a meeting left
running) is found by the safety sweep `meeting_ended_grace_hours` after its scheduled end
(`zoombridge.attendance.finality`), which enqueues `reconcile_session`: it finds the meeting
instance that held the session (the one the webhooks named, else Zoom's list of the meeting's
ended instances) and reconciles it as above. A session no instance held (never opened, or its
meeting never made) has its attendance, which is empty, made final at once. Either way its
attendance is final at most `finality.longest_wait` after the scheduled end, and the retention
clock starts.

Safe to run twice: the merge replaces what an earlier run derived, and recomputing only writes
a decision version when something moved.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from zoombridge import logs, runtime
from zoombridge.attendance import finality
from zoombridge.attendance.ingest import OCCURRENCE_WINDOW
from zoombridge.attendance.reconciliation import parse_time
from zoombridge.attendance.report_merge import bind_meeting_instance, merge_report, session_for_meeting
from zoombridge.payments.decisions import current_policy, recompute_session
from zoombridge.privacy import fingerprint
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.store import audit_log, db_session
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import ZoomError

log = logging.getLogger(__name__)
ACTOR = "reconciliation"
# 5 min, 15, 30, 1 h, 2 h, 4 h, 8 h, 8 h: the last try is about 24 hours after the first.
RETRY_DELAYS = finality.REPORT_WAITS


def reconcile_meeting(meeting_uuid: str, attempt: int = 0) -> dict:
    now = runtime.now()
    policy = current_policy()
    try:
        rows = list(current_zoom_client().report_participants(meeting_uuid))
        problem = None if rows else "empty report"
    except ZoomError as exc:
        rows, problem = [], f"{type(exc).__name__} {exc.status} {exc.code}"

    if problem is None:
        with db_session() as s:
            summary = merge_report(s, meeting_uuid, rows, timedelta(seconds=policy.reconcile_tolerance_seconds),
                                   ACTOR, now)
            session = session_for_meeting(s, meeting_uuid)
            decided = recompute_session(s, session.id, policy, ACTOR, now) if session else None
            if session is not None:
                session.attendance_final_at = now
        logs.event(log, "attendance_reconciled", meeting=fingerprint(meeting_uuid), attempt=attempt,
                   rows=summary.report_rows, added=summary.report_segments, bounded=summary.bounded_segments,
                   differences=summary.differences, new_versions=decided.new_versions if decided else 0)
        return {"status": "reconciled", **summary.__dict__}

    if attempt < len(RETRY_DELAYS):
        delay = RETRY_DELAYS[attempt]
        intents.reconcile_meeting(current_redis(), meeting_uuid, attempt + 1, delay=delay, now=now)
        if attempt == 0:
            _recompute_from_webhooks(meeting_uuid, now, final=False, problem=problem)
        logs.event(log, "attendance_report_not_ready", meeting=fingerprint(meeting_uuid), attempt=attempt,
                   problem=problem, retry_in_seconds=int(delay.total_seconds()))
        return {"status": "waiting_for_report", "attempt": attempt, "problem": problem}

    _recompute_from_webhooks(meeting_uuid, now, final=True, problem=problem)
    logs.event(log, "attendance_report_never_came", logging.WARNING, meeting=fingerprint(meeting_uuid),
               attempts=attempt + 1, problem=problem)
    return {"status": "final_without_report", "attempt": attempt, "problem": problem}


def _recompute_from_webhooks(meeting_uuid: str, now, final: bool, problem: str) -> None:
    with db_session() as s:
        session = session_for_meeting(s, meeting_uuid)
        if session is None:
            return
        recompute_session(s, session.id, current_policy(), ACTOR, now)
        if final:
            session.attendance_final_at = now
            audit_log.record(s, now, ACTOR, "attendance.final_without_report", "session", session.id,
                             meeting_uuid=meeting_uuid, problem=problem)


def reconcile_session(session_id: int, attempt: int = 0) -> dict:
    """Finalise attendance at a session whose meeting never said it ended (see the module's docstring)."""
    now = runtime.now()
    with db_session() as s:
        session = s.get(SessionRow, session_id)
        if session is None or session.attendance_final_at is not None:
            return {"status": "already_final"}
        meeting_uuid, meeting_id, starts_at = session.meeting_uuid, session.zoom_meeting_id, session.starts_at
        cancelled = session.status == "cancelled"
    problem = "the session was cancelled" if cancelled else "no Zoom meeting was made for the session"
    level = logging.INFO
    if meeting_uuid is None and meeting_id is not None and not cancelled:
        try:
            instances = _instances(current_zoom_client().list_past_instances(meeting_id))
            problem = "no instance of the Zoom meeting started near the session's scheduled start"
        except ZoomError as exc:
            instances, problem, level = [], f"{type(exc).__name__} {exc.status} {exc.code}", logging.WARNING
            if exc.status != 404 and attempt < len(RETRY_DELAYS):  # Zoom could not say: ask again later
                delay = RETRY_DELAYS[attempt]
                intents.reconcile_session(current_redis(), session_id, attempt + 1, delay=delay, now=now)
                logs.event(log, "meeting_instances_not_listed", session=session_id, attempt=attempt,
                           problem=problem, retry_in_seconds=int(delay.total_seconds()))
                return {"status": "waiting_for_zoom", "attempt": attempt, "problem": problem}
        found = finality.held_instance(starts_at, instances, OCCURRENCE_WINDOW)
        if found is not None:
            with db_session() as s:
                meeting_uuid = bind_meeting_instance(s, session_id, found, dict(instances)[found], ACTOR, now)
            problem = problem if meeting_uuid else "the instance nearest its scheduled start is another session's"
    if meeting_uuid is not None:  # its waits for the report go on from ours, so the day is not waited twice
        intents.reconcile_meeting(current_redis(), meeting_uuid, attempt, now=now)
        logs.event(log, "attendance_finalising_without_meeting_end", session=session_id,
                   meeting=fingerprint(meeting_uuid))
        return {"status": "reconciling", "meeting_uuid": meeting_uuid}
    # No meeting instance held it (or Zoom would not say for a day): its attendance, empty, is final.
    with db_session() as s:
        session = s.get(SessionRow, session_id)
        if session.attendance_final_at is None:
            session.attendance_final_at = now
            audit_log.record(s, now, ACTOR, "attendance.final_without_meeting", "session", session_id,
                             problem=problem)
    logs.event(log, "attendance_final_without_meeting", level, session=session_id, problem=problem)
    return {"status": "final_without_meeting", "problem": problem}


def _instances(listed: list[dict]) -> list[tuple[str, datetime]]:
    """Zoom's ended instances of a meeting as (uuid, real start); rows without both are skipped."""
    found = []
    for instance in listed:
        try:
            started = parse_time(instance.get("start_time"))
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(instance.get("uuid"), str) and instance["uuid"] and started is not None:
            found.append((instance["uuid"], started))
    return found


def recompute_session_payments(session_id: int) -> dict:
    """Recompute one session's decisions (e.g. after late webhooks arrive); safe to run any time.

    Enqueued as `recompute-payments:{session}` (`intents.recompute_payments`) by the ingest job
    when attendance changes after decisions exist: a new version only where something moved,
    `needs_review` where the reviewed one differs (`zoombridge.payments.decisions`).
    """
    with db_session() as s:
        summary = recompute_session(s, session_id, current_policy(), ACTOR, runtime.now())
    return summary.__dict__
