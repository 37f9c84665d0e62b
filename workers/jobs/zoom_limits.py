"""Jobs that meet one of Zoom's daily limits wait for it to reset instead of failing.

A daily limit (a host's 100 meeting writes, a person's 3 registrations on a meeting, an account's
Light calls on a Free plan) raises `DailyLimitReached` with `retry_at`, the moment Zoom says the
limit resets (docs/zoom.md §2). A job marked `@waits_for_zoom(...)` then notes the wait for the
session page, enqueues itself again at `retry_at` (a job id of its own, so the wait is queued
once however often the intent runs meanwhile) and ends normally: no retries spent, no failed job.
The next run that does not meet the limit clears the note.

`retry_at` is computed by the client from the app's clock, and the job is scheduled at that
absolute time, so tests move the clock to the reset and the waiting job runs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from zoombridge import logs, runtime
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.store import db_session, zoom_waits
from zoombridge.zoom.errors import DailyLimitReached
from zoombridge.zoom.rate_limits import next_utc_midnight

log = logging.getLogger(__name__)

Describe = Callable[..., tuple[int | None, str]]  # job args -> (session id, what is waiting)


def waiting_job_id(intent: str, until: datetime) -> str:
    return f"{intent}:after-limit:{until:%Y%m%dT%H%M%SZ}"


def waits_for_zoom(intent: str, describe: Describe, queue: str = ZOOM):
    """Decorate a job: `intent` is formatted with the job's args (`"register:{0}"`)."""

    def decorate(job: Callable[..., object]):
        path = f"{job.__module__}.{job.__name__}"

        @functools.wraps(job)
        def run(*args):
            name = intent.format(*args)
            try:
                result = job(*args)
            except DailyLimitReached as exc:
                return _wait(path, name, args, describe, exc, queue)
            with db_session() as s:
                zoom_waits.clear(s, name)
            return result

        return run

    return decorate


def _wait(path: str, intent: str, args: tuple, describe: Describe, exc: DailyLimitReached, queue: str) -> str:
    now = runtime.now()
    until = exc.retry_at if exc.retry_at and exc.retry_at > now else next_utc_midnight(now)
    session_id, what = describe(*args)
    with db_session() as s:
        zoom_waits.record(s, intent=intent, session_id=session_id, what=what, limit=exc.limit, until=until, now=now)
    enqueue_once(current_redis(), path, *args, job_id=waiting_job_id(intent, until), queue=queue, at=until)
    logs.event(log, "waiting_for_zoom_limit", intent=intent, scope=exc.scope or "-", until=until.isoformat())
    return f"waiting for Zoom until {until.isoformat()}: {exc.limit}"


def about_session(what: str) -> Describe:
    """For jobs whose first argument is the session id."""
    return lambda session_id, *_rest: (session_id, what)
