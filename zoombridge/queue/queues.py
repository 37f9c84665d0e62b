"""Named queues and the one way work is enqueued: one job id per business intent.

RQ delivers at least once, so every job is written to be safe to run twice; the job id
(`create-meeting:12`, `ingest:<uuid>`) additionally stops the same intent being queued twice
while it is still waiting. RQ's `unique=True` makes that check and the enqueue one atomic step
in Redis (a Lua script), so two web processes racing on the same intent still make one job.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from zoombridge import runtime

# Highest priority first: a worker listening on all of them drains `ingest` before the rest,
# so attendance keeps up during a meeting even while links are being emailed.
INGEST = "ingest"
ZOOM = "zoom"
EMAIL = "email"
DEFAULT = "default"
QUEUE_NAMES = (INGEST, ZOOM, EMAIL, DEFAULT)

DEFAULT_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])

WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.STARTED}
_RQ_ID = re.compile(r"[A-Za-z0-9_-]+")


# Where a retry's due time is kept on the job (an ISO date-time by the app's clock).
RETRY_DUE_AT = "zoombridge_retry_due_at"


class ClockedJob(Job):
    """A job whose retries are timed by the app's clock, like everything else the service schedules.

    RQ schedules a `Retry` at `datetime.now()` + interval (rq/job.py `Job.retry`), while the
    service schedules its own jobs (links, reminders, reconciliation) by its injected clock. In
    production both are the system clock; in tests and rehearsals only the app's clock is the
    time, so a retry must be timed by it too or it would wait on a date the test never reaches.
    The worker loads every job with this class (`workers.worker.make_worker`), inside the app.
    """

    def retry(self, queue: Queue, pipeline) -> None:
        interval = self.get_retry_interval()
        if not interval:
            super().retry(queue, pipeline)
            return
        self.retries_left = (self.retries_left or 1) - 1
        due = runtime.now() + timedelta(seconds=interval)
        self.meta[RETRY_DUE_AT] = due.isoformat()
        self.set_status(JobStatus.SCHEDULED)
        queue.schedule_job(self, due, pipeline=pipeline)
        logging.getLogger(__name__).info("Job %s: scheduled for retry at %s, %s remaining",
                                         self.id, due.isoformat(), self.retries_left)


def is_waiting_to_retry(job: Job) -> bool:
    """True for a job that failed and now waits in the scheduled registry for its retry."""
    return RETRY_DUE_AT in (job.meta or {}) and job.get_status(refresh=False) == JobStatus.SCHEDULED


def job_id_for(intent: str) -> str:
    """RQ job ids allow only letters, digits, `_` and `-`; intents read `create-meeting:12`.

    `create-meeting:12` becomes `create-meeting_12`; an intent holding other characters (a Zoom
    meeting UUID has `/`, `+` and `=`) keeps its readable kind and a digest of the whole.
    """
    simple = intent.replace(":", "_")
    if _RQ_ID.fullmatch(simple):
        return simple
    kind = re.sub(r"[^A-Za-z0-9_-]", "", intent.split(":", 1)[0]) or "job"
    return f"{kind}_{hashlib.sha256(intent.encode()).hexdigest()[:32]}"


def get_queue(name: str, connection: redis.Redis) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection)


def all_queues(connection: redis.Redis) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUE_NAMES]


def enqueue_once(
    connection: redis.Redis,
    func: Callable | str,
    *args,
    job_id: str,
    queue: str = DEFAULT,
    retry: Retry | None = DEFAULT_RETRY,
    at: datetime | None = None,
    delay: timedelta | None = None,
    now: datetime | None = None,
    result_ttl: int | None = 3600,
    job_timeout: int | None = 600,
    **kwargs,
) -> Job:
    """Enqueue `func(*args, **kwargs)` unless a job for this intent is already waiting or running.

    `job_id` is the business intent (`create-meeting:12`); see `job_id_for`.
    Returns the job (the existing one when the intent is already in hand). A finished or failed
    job with the same id is replaced, so an intent can be carried out again later on purpose.
    `delay` is counted from `now`, the app's clock (required with `delay`: there is one time).
    """
    q = get_queue(queue, connection)
    job_id = job_id_for(job_id)
    when = at
    if delay is not None:
        if now is None:
            raise ValueError("enqueue_once: a delay is counted from `now` (the app's clock); pass it")
        when = now + delay
    options = dict(job_id=job_id, retry=retry, result_ttl=result_ttl, job_timeout=job_timeout, unique=True)
    for _attempt in range(3):
        try:
            if when is not None:
                return q.enqueue_at(when, func, *args, **options, **kwargs)
            return q.enqueue(func, *args, **options, **kwargs)
        except DuplicateJobError:
            try:
                existing = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue  # it finished and expired between the two calls: try again
            if existing.get_status(refresh=False) in WAITING:
                return existing
            existing.delete()  # finished or failed long enough ago: this is a new occasion
    raise RuntimeError(f"could not enqueue {job_id}")
