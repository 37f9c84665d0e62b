"""RQ workers that run every job inside the Flask app context.

Jobs reach the database, settings and Zoom client through the app (`current_app`), exactly as
request code does, so a job behaves the same in a test's burst worker and in production.
"""

from __future__ import annotations

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from zoombridge.queue.queues import ClockedJob
from zoombridge.store.db import EXTENSION_KEY as DB_KEY


class AppContextMixin:
    app: Flask | None = None

    def perform_job(self, job: Job, queue: Queue) -> bool:
        if self.app is None:
            raise RuntimeError("worker has no Flask app; set Worker.app before work()")
        with self.app.app_context():
            return super().perform_job(job, queue)

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
    return worker_cls(queues, connection=connection, name=name, job_class=ClockedJob)
