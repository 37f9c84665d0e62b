"""RQ workers that run every job inside the Flask app context.

Jobs reach the database, settings and Zoom client through the app (`current_app`), exactly as
request code does, so a job behaves the same in a test's burst worker and in production.
"""

from __future__ import annotations

import time

import redis
from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from zoombridge import metrics
from zoombridge.queue import liveness
from zoombridge.queue.queues import ClockedJob
from zoombridge.store.db import EXTENSION_KEY as DB_KEY


class AppContextMixin:
    app: Flask | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        if self.app is None:
            raise RuntimeError("worker has no Flask app; set Worker.app before work()")
        started = time.perf_counter()
        succeeded = False
        try:
            with self.app.app_context():
                succeeded = super().perform_job(job, queue)
            return succeeded
        finally:
            metrics.observe(self.connection, metrics.JOB_SECONDS, time.perf_counter() - started,
                            {"queue": queue.name, "outcome": "ok" if succeeded else "failed"})

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        """RQ's heartbeat, and ours for `/healthz`, timed by the app's clock."""
        super().heartbeat(timeout, pipeline)
        target = pipeline if pipeline is not None else self.connection
        liveness.beat(target, liveness.WORKER, self.name, self.app.extensions["zoombridge.clock"].now())

    def register_death(self):
        super().register_death()
        try:
            liveness.gone(self.connection, liveness.WORKER, self.name)
        except redis.RedisError:
            pass  # its beats stop anyway; the silence says it is gone

    def unsubscribe(self) -> None:
        """Stop listening for RQ's worker commands, without the wait RQ's own order can cost.

        RQ unsubscribes first and then flags the listener thread to stop (rq/worker/base.py,
        `unsubscribe`); if the thread handles the unsubscribe reply before the flag is cleared, it
        goes round once more and waits the listener's whole 60 s idle time for a message that
        never comes (forever where the monotonic clock is faked, e.g. under faketime). Here the
        flag is cleared first, and the reply to the unsubscribe wakes the thread, which then ends.
        """
        thread = getattr(self, "pubsub_thread", None)
        if not thread:
            return
        thread.stop()
        try:
            self.pubsub.unsubscribe()
        except (redis.RedisError, OSError):
            pass  # the connection is gone: the thread's read fails and it ends on its own
        thread.join()
        self.pubsub.close()

    def handle_job_failure(self, job: Job, queue: Queue, *args, **kwargs):
        # Also reached from the parent when a forked work horse dies: a retry is timed by the
        # app's clock (ClockedJob), which lives in the app.
        with self.app.app_context():
            return super().handle_job_failure(job, queue, *args, **kwargs)


class AppWorker(AppContextMixin, Worker):
    """The production worker: forks a work horse per job (a crash cannot take the worker down)."""

    def main_work_horse(self, job: Job, queue: Queue):
        # A forked child must not reuse the parent's pooled database connections.
        if self.app is not None and DB_KEY in self.app.extensions:
            self.app.extensions[DB_KEY].engine.dispose(close=False)
        return super().main_work_horse(job, queue)


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """Runs jobs in-process: for tests and `zoombridge dev` on machines without fork."""


def make_worker(app: Flask, connection, queues, simple: bool = False, name: str | None = None) -> Worker:
    cls = AppSimpleWorker if simple else AppWorker
    worker_cls = type(cls.__name__, (cls,), {"app": app})
    return worker_cls(queues, connection=connection, name=name, job_class=ClockedJob,
                      worker_ttl=liveness.WORKER_TTL_SECONDS)
