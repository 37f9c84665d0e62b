"""How far long work has got, kept in the job's own metadata (RQ's `job.meta`).

A job doing many things one by one (emailing a session's links, registering hundreds of
imported people with Zoom, sending a breakout plan to Zoom) calls `report(done, total)` as it
goes; the staff pages read it back with `of(job)` ("40 of 120"). Outside a job (a test calling
the function directly) there is nothing to report to, and nothing happens. A progress write
that fails (Redis gone for a moment) is skipped: it must never fail the work itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import get_current_job
from rq.job import Job

META_KEY = "zoombridge_progress"


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total <= 0 else min(100, round(100 * self.done / self.total))


def report(done: int, total: int) -> None:
    job = get_current_job()
    if job is None:
        return
    job.meta[META_KEY] = {"done": done, "total": total}
    try:
        job.save_meta()
    except redis.RedisError:
        pass


def of(job: Job) -> Progress | None:
    found = (job.meta or {}).get(META_KEY)
    if not isinstance(found, dict):
        return None
    return Progress(int(found.get("done", 0)), int(found.get("total", 0)))
