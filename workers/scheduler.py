"""Periodic work, enqueued by one `zoombridge scheduler` process (RQ's CronScheduler).

Each periodic job is safe to run twice and cheap when there is nothing to do, so a missed or
doubled tick changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rq.cron import CronScheduler


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
    # Raw copies (webhook bodies, copied identities, outbox emails) past their retention.
    PeriodicJob("workers.jobs.retention.drop_expired_copies", "default", 3600),
]


def build_scheduler(connection, jobs: list[PeriodicJob] | None = None) -> CronScheduler:
    from importlib import import_module

    scheduler = CronScheduler(connection=connection, name="zoombridge-scheduler")
    for job in PERIODIC_JOBS if jobs is None else jobs:
        module, _, name = job.func.rpartition(".")
        func = getattr(import_module(module), name)
        scheduler.register(func, queue_name=job.queue, interval=job.interval_seconds,
                           result_ttl=600, job_timeout=600)
    return scheduler
