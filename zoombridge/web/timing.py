"""How long the service takes to answer Zoom's webhook deliveries, timed at the edge of the app.

The receiver itself is not touched: an app-wide hook notes when a request to a timed endpoint
starts and, when its answer is ready, adds the time to the shared histogram
(`zoombridge_webhook_seconds`, by HTTP status). It is wall-clock duration (`perf_counter`), not
business time, so it is not the app's injected clock.
"""

from __future__ import annotations

import time

import redis
from flask import Flask, Response, g, request

from zoombridge import metrics
from zoombridge.queue.connection import current_redis

TIMED = {"webhooks.receive": metrics.WEBHOOK_SECONDS}


def _start() -> None:
    if request.endpoint in TIMED:
        g.timing_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("timing_started", None)
    if started is not None:
        try:
            connection = current_redis()
        except (redis.RedisError, OSError):
            return response
        metrics.observe(connection, TIMED[request.endpoint], time.perf_counter() - started,
                        {"status": str(response.status_code)})
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
