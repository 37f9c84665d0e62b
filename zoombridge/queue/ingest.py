"""Asking for an attendance ingest: one coalescing job per meeting instance.

The webhook receiver (after storing a delivery) and the inbox sweeper (for rows left pending)
both come here. Coalescing costs the webhook one Redis round trip in the common case. A
"pending" flag per meeting (`SET NX`) says an ingest job is queued and has not started yet;
only the delivery that sets the flag enqueues a job. The job (`workers.jobs.ingest`) clears the
flag *before* it reads the inbox, so a row committed before a delivery finds the flag set is
always read by the queued job, and a row committed after the job cleared it sets the flag again
and queues the next job: no wake-up is lost.
"""

from __future__ import annotations

import secrets

import redis
from rq import Queue, Retry

from zoombridge.queue.queues import INGEST, job_id_for

INGEST_JOB = "workers.jobs.ingest.ingest_meeting"
PENDING_FLAG = "zoombridge:ingest:pending:{}"
# Long enough for a queued job to start; if it lapses a second job is queued, which is harmless.
PENDING_FLAG_SECONDS = 300
INGEST_JOB_TIMEOUT = 600
INGEST_RETRY = Retry(max=3, interval=[5, 30, 120])  # and the sweeper after that


def mark_pending(pipe_or_connection, meeting_uuid: str):
    """`SET NX` the meeting's pending flag; the reply is truthy when this call set it."""
    return pipe_or_connection.set(PENDING_FLAG.format(meeting_uuid), 1, nx=True, ex=PENDING_FLAG_SECONDS)


def enqueue_ingest(connection: redis.Redis, meeting_uuid: str) -> None:
    """Queue an ingest job for the meeting (call only after setting the pending flag).

    Each job gets its own id (`ingest_<meeting digest>-<random>`): the flag does the coalescing,
    and a fixed id would make a new job collide with the one already running, losing a wake-up.
    """
    job_id = f"{job_id_for(f'ingest:{meeting_uuid}')}-{secrets.token_hex(4)}"
    try:
        Queue(INGEST, connection=connection).enqueue(
            INGEST_JOB, meeting_uuid, job_id=job_id, retry=INGEST_RETRY,
            result_ttl=600, failure_ttl=7 * 24 * 3600, job_timeout=INGEST_JOB_TIMEOUT,
            description=f"ingest:{meeting_uuid}")
    except BaseException:
        # Without a job the flag would hold back every later delivery until it lapses.
        try:
            connection.delete(PENDING_FLAG.format(meeting_uuid))
        except redis.RedisError:
            pass
        raise


def request_ingest(connection: redis.Redis, meeting_uuid: str) -> bool:
    """Make sure an ingest of this meeting runs after now; True when a job was queued."""
    if not mark_pending(connection, meeting_uuid):
        return False
    enqueue_ingest(connection, meeting_uuid)
    return True
