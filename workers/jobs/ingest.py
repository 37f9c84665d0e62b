"""Attendance ingest jobs: drain one meeting's inbox rows, and the inbox sweeper.

How deliveries are coalesced into one job per meeting (the pending flag) is in
`zoombridge.queue.ingest`, shared with the webhook receiver. Jobs for the same meeting never run
at once (a Redis lock), so two workers cannot write the same segments. If Redis is down when a
webhook arrives, its row simply stays pending and `sweep_inbox` (every minute) queues the job later.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

import redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from zoombridge import logs, runtime
from zoombridge.attendance import ingest as attendance
from zoombridge.queue import intents
from zoombridge.queue.connection import current_redis
from zoombridge.queue.ingest import INGEST_JOB_TIMEOUT, PENDING_FLAG, request_ingest
from zoombridge.store import db_session
from zoombridge.store.inbox import meetings_with_pending_rows
from zoombridge.store.models import PaymentDecision

log = logging.getLogger(__name__)

LOCK = "zoombridge:ingest:lock:{}"
LOCK_SECONDS = INGEST_JOB_TIMEOUT  # the lock never outlives the job RQ would let run
LOCK_WAIT_SECONDS = 5
# A running job's heartbeat is refreshed by its worker every 30 s (RQ's job_monitoring_interval);
# a holder silent for longer than this was killed (SIGKILL skips `finally`), so its lock is taken
# over at once instead of blocking the meeting until the lock lapses 10 minutes later.
HOLDER_SILENT_SECONDS = 90
# Delete the lock only if it still holds the dead job's token (another job may have taken it).
_RELEASE_IF_HELD_BY = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
SWEEP_GRACE = timedelta(seconds=60)

RECONCILE_DELAY = timedelta(minutes=15)  # Zoom's participant report needs a while after the end


class IngestBusy(Exception):
    """Another ingest of the same meeting held the lock for too long; RQ retries this one."""


def _connection() -> redis.Redis:
    job = get_current_job()
    return job.connection if job is not None else current_redis()


def ingest_meeting(meeting_uuid: str) -> dict:
    """Drain the meeting's pending inbox rows into attendance (safe to run twice)."""
    connection = _connection()
    lock = _take_meeting_lock(connection, meeting_uuid)
    try:
        connection.delete(PENDING_FLAG.format(meeting_uuid))
        now = runtime.now()
        with db_session() as s:
            result = attendance.ingest(s, meeting_uuid, now)
            if result.meeting_ended_now:
                # Before the commit: if the commit fails the rows stay pending and the rerun asks
                # again, which enqueue_once answers with the job already waiting.
                intents.reconcile_meeting(connection, meeting_uuid, delay=RECONCILE_DELAY, now=now)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            pass  # it lapsed; the next job takes it
    if result.segments_changed and result.session_id is not None:
        _late_evidence_reaches_payments(connection, result.session_id)
    logs.event(log, "attendance_ingested", meeting=meeting_uuid, rows=result.rows, failed=result.failed,
               participants=result.participants, segments_changed=result.segments_changed,
               orphan_leaves=result.orphan_leaves, session=result.session_id or "-",
               ended=result.meeting_ended_now)
    return {"rows": result.rows, "failed": result.failed, "participants": result.participants,
            "segments_changed": result.segments_changed, "session_id": result.session_id}


def _late_evidence_reaches_payments(connection: redis.Redis, session_id: int) -> None:
    """Attendance changed after payment decisions were made (a late `participant_left`, a retried
    delivery): recompute them through the one idempotent intent (`recompute-payments:{session}`)."""
    with db_session() as s:
        decided = s.scalar(select(PaymentDecision.id).where(PaymentDecision.session_id == session_id).limit(1))
    if decided is not None:
        intents.recompute_payments(connection, session_id)


def _take_meeting_lock(connection: redis.Redis, meeting_uuid: str):
    """The meeting's ingest lock, taken over from a holder that died; `IngestBusy` if one is alive.

    The lock's value is the holding job's id, so a waiting job can ask RQ whether the holder is
    still running (status and heartbeat). A live holder makes this job fail fast with IngestBusy,
    and RQ retries it (5 s, 30 s, 2 min); the pending flag and the sweeper cover the rest.
    """
    job = get_current_job()
    token = job.id if job is not None else f"local-{secrets.token_hex(8)}"
    key = LOCK.format(meeting_uuid)
    lock = connection.lock(key, timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS)
    if lock.acquire(token=token):
        return lock
    holder = connection.get(key)
    # Held under this job's own id: an earlier attempt of this very job died holding it.
    if holder is not None and (holder.decode() == token or _holder_is_gone(connection, holder.decode())):
        if connection.eval(_RELEASE_IF_HELD_BY, 1, key, holder):
            logs.event(log, "ingest_lock_taken_over", logging.WARNING, meeting=meeting_uuid, dead_job=holder.decode())
        if lock.acquire(token=token, blocking=False):
            return lock
    raise IngestBusy(meeting_uuid)


def _holder_is_gone(connection: redis.Redis, job_id: str) -> bool:
    """True when the job holding a lock is no longer running: finished, failed, expired or silent.

    Heartbeats are written by RQ with the wall clock, so they are compared with the wall clock.
    """
    try:
        holder = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return True
    if holder.get_status(refresh=False) != JobStatus.STARTED:
        return True
    beat = holder.last_heartbeat
    return beat is None or (datetime.now(UTC) - beat.astimezone(UTC)).total_seconds() > HOLDER_SILENT_SECONDS


def sweep_inbox() -> int:
    """Queue an ingest for every meeting whose rows have waited over a minute (periodic).

    Catches deliveries stored while Redis was down and jobs that gave up; cheap when the inbox
    has nothing pending (one indexed query).
    """
    connection = _connection()
    with db_session() as s:
        waiting = meetings_with_pending_rows(s, runtime.now() - SWEEP_GRACE)
    queued = sum(1 for meeting_uuid in waiting if request_ingest(connection, meeting_uuid))
    if waiting:
        logs.event(log, "inbox_swept", meetings=len(waiting), queued=queued)
    return queued
