"""After a meeting ends: fetch Zoom's participant report, merge it, recompute payment decisions.

`reconcile_meeting(meeting_uuid)` is enqueued (delayed) by the webhook ingest after
`meeting.ended`. Zoom can take minutes to produce the report, answers with an error or an empty
list until then, and never produces one for a meeting with fewer than two participants, so the
job re-enqueues itself on a backoff schedule (by the injected clock) for up to a day. Meanwhile
decisions are computed from the webhook record alone (provisional), and when the day is over
without a report, the webhook record becomes final and the audit log says so.

Safe to run twice: the merge replaces what an earlier run derived, and recomputing only writes
a decision version when something moved.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from zoombridge import logs, runtime
from zoombridge.attendance.report_merge import merge_report, session_for_meeting
from zoombridge.payments.decisions import current_policy, recompute_session
from zoombridge.privacy import fingerprint
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.store import audit_log, db_session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import ZoomError

log = logging.getLogger(__name__)
ACTOR = "reconciliation"
# 5 min, 15, 30, 1 h, 2 h, 4 h, 8 h, 8 h: the last try is about 24 hours after the first.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (5, 15, 30, 60, 120, 240, 480, 480))


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
        enqueue_once(current_redis(), reconcile_meeting, meeting_uuid, attempt + 1,
                     job_id=f"reconcile:{meeting_uuid}:{attempt + 1}", queue=ZOOM, delay=delay, now=now, retry=None)
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


def recompute_session_payments(session_id: int) -> dict:
    """Recompute one session's decisions (e.g. after late webhooks arrive); safe to run any time.

    Enqueued as `recompute-payments:{session}` (`intents.recompute_payments`) by the ingest job
    when attendance changes after decisions exist: a new version only where something moved,
    `needs_review` where the reviewed one differs (`zoombridge.payments.decisions`).
    """
    with db_session() as s:
        summary = recompute_session(s, session_id, current_policy(), ACTOR, runtime.now())
    return summary.__dict__
