"""Periodic work, enqueued by one `zoombridge scheduler` process (RQ's CronScheduler).

Each periodic job is safe to run twice and cheap when there is nothing to do, so a missed or
doubled tick changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq.cron import CronScheduler

from zoombridge.clock import Clock, SystemClock
from zoombridge.queue import liveness


@dataclass(frozen=True)
class PeriodicJob:
    func: str  # dotted path, imported by the worker
    queue: str
    interval_seconds: int


# Later issues add their periodic jobs here (the inbox sweeper, link sending, caption checks).
PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("workers.jobs.ingest.sweep_inbox", "ingest", 60),  # inbox rows left pending (Redis was down)
    # Overdue session steps (meetings, registrants, links, reminders, captions) and stuck emails.
    PeriodicJob("workers.jobs.sweep.sweep_sessions", "default", 300),
]


class HeartbeatingScheduler(CronScheduler):
    """RQ's CronScheduler, whose heartbeat (each round, at most a minute apart) is also ours for
    `/healthz`, timed by the app's clock."""

    clock: Clock = SystemClock()

    def heartbeat(self) -> None:
        super().heartbeat()
        liveness.beat(self.connection, liveness.SCHEDULER, self.name, self.clock.now())

    def register_death(self, pipeline=None) -> None:
        super().register_death(pipeline)
        try:
            liveness.gone(self.connection, liveness.SCHEDULER, self.name)
        except redis.RedisError:
            pass  # its beats stop anyway; the silence says it is gone


def build_scheduler(connection, jobs: list[PeriodicJob] | None = None, clock: Clock | None = None) -> CronScheduler:
    from importlib import import_module

    scheduler = HeartbeatingScheduler(connection=connection, name="zoombridge-scheduler")
    scheduler.clock = clock or SystemClock()
    for job in PERIODIC_JOBS if jobs is None else jobs:
        module, _, name = job.func.rpartition(".")
        func = getattr(import_module(module), name)
        scheduler.register(func, queue_name=job.queue, interval=job.interval_seconds,
                           result_ttl=600, job_timeout=600)
    return scheduler
