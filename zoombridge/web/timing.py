"""How long the service takes to answer Zoom's webhook deliveries, timed at the edge of the app.

The receiver itself is not touched: an app-wide hook notes when a request to a timed endpoint
starts and, when its answer is ready, adds the time to the shared histogram
(`zoombridge_webhook_seconds`, by HTTP status). It is wall-clock duration (`perf_counter`), not
business time, so it is not the app's injected clock.

Batched (issue 17): a Redis round trip per delivery cost as much CPU as the delivery's own group
commit, so each process counts its timings in memory (`metrics.HistogramBatch`) and writes them
in one pipeline when no other timed request of the process is in flight (a quiet server writes
each at once; a burst writes once it drains) or when the oldest is `FLUSH_SECONDS` old, and
before `/metrics` reads them. Nothing waits in memory once the process is idle.
"""

from __future__ import annotations

import threading
import time

import redis
from flask import Flask, Response, current_app, g, request

from zoombridge import metrics
from zoombridge.queue.connection import current_redis

TIMED = {"webhooks.receive": metrics.WEBHOOK_SECONDS}
FLUSH_SECONDS = 1.0
_KEY = "zoombridge.timing"


class _Timings:
    """One process's (one app's) unflushed timings and how many timed requests are in flight."""

    def __init__(self):
        self.batches = {endpoint: metrics.HistogramBatch(h) for endpoint, h in TIMED.items()}
        self._lock = threading.Lock()
        self.in_flight = 0

    def started(self) -> None:
        with self._lock:
            self.in_flight += 1

    def finished(self) -> int:
        """One fewer in flight; how many others still are."""
        with self._lock:
            self.in_flight -= 1
            return self.in_flight

    def flush(self) -> None:
        if not any(b.oldest is not None for b in self.batches.values()):
            return
        try:
            connection = current_redis()
        except (redis.RedisError, OSError):
            connection = None
        for batch in self.batches.values():
            batch.flush(connection)


def _timings(app: Flask) -> _Timings:
    return app.extensions[_KEY]


def flush() -> None:
    """Write this process's unflushed timings now (before `/metrics` reads them)."""
    _timings(current_app).flush()


def _start() -> None:
    if request.endpoint in TIMED:
        g.timing_started = time.perf_counter()
        _timings(current_app).started()


def _observe(response: Response) -> Response:
    started = g.pop("timing_started", None)
    if started is not None:
        timings = _timings(current_app)
        now = time.perf_counter()
        batch = timings.batches[request.endpoint]
        batch.add(now - started, {"status": str(response.status_code)}, at=now)
        others = timings.finished()
        g.timing_finished = True
        oldest = batch.oldest
        if others == 0 or (oldest is not None and now - oldest >= FLUSH_SECONDS):
            timings.flush()
    return response


def _teardown(_exc: BaseException | None) -> None:
    # A request whose view raised never reached `_observe`: it is no longer in flight either.
    if "timing_started" in g and not g.pop("timing_finished", False):
        g.pop("timing_started")
        _timings(current_app).finished()


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = _Timings()
    app.before_request(_start)
    app.after_request(_observe)
    app.teardown_request(_teardown)
