"""The worker entry point: `python -m workers` (same as `zoombridge worker`)."""

from __future__ import annotations

import logging

from workers.scheduler import build_scheduler
from workers.worker import make_worker
from zoombridge.app import create_app
from zoombridge.config import Settings, load_settings
from zoombridge.queue.connection import connect, redis_url_for
from zoombridge.queue.queues import all_queues


def run_worker(settings: Settings, burst: bool = False, simple: bool = False) -> bool:
    app = create_app(settings)
    connection = connect(redis_url_for(settings), timeout=30)
    worker = make_worker(app, connection, all_queues(connection), simple=simple)
    return worker.work(burst=burst, with_scheduler=True, logging_level=logging.INFO)


def run_scheduler(settings: Settings) -> None:
    app = create_app(settings)  # checks settings the same way the other processes do
    connection = connect(redis_url_for(settings), timeout=30)
    build_scheduler(connection, clock=app.extensions["zoombridge.clock"]).start()


if __name__ == "__main__":
    run_worker(load_settings())
