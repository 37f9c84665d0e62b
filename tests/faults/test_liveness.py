"""`/healthz` knows when the worker or the scheduler has stopped.

Promise: with a real `zoombridge worker` and `zoombridge scheduler` running, `/healthz` is 200;
when the worker stops it is 503 naming the worker; when the scheduler is killed (no chance to
say goodbye) it is 503 naming the scheduler once the allowed silence has passed.

Real processes, on the machine's clock, so the health checks here judge by it too (a
`SystemClock` app, and for "later" a clock set that far past the machine's now).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.processes import ROOT, Worker, wait_until
from zoombridge.app import create_app
from zoombridge.clock import ManualClock, SystemClock


@pytest.fixture
def scheduler(subprocess_env):
    proc = subprocess.Popen([sys.executable, "-m", "zoombridge.cli", "scheduler"], cwd=ROOT, env=subprocess_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def worker(subprocess_env):
    process = Worker(subprocess_env)
    try:
        yield process
    finally:
        if process.proc.poll() is None:
            process.kill()


def test_healthz_goes_503_naming_the_worker_when_it_stops_and_the_scheduler_when_it_is_killed(
        settings, redis_conn, worker, scheduler):
    health = create_app(settings, clock=SystemClock()).test_client()

    def answer():
        resp = health.get("/healthz")
        return resp.status_code, resp.json

    wait_until(lambda: answer()[0] == 200, 60, interval=0.2, what="the worker and the scheduler to beat")
    assert answer()[1]["checks"] == {"database": "ok", "redis": "ok", "worker": "ok", "scheduler": "ok"}

    worker.proc.send_signal(signal.SIGTERM)  # a clean stop: RQ's warm shutdown
    assert worker.wait(timeout=30) == 0
    status, body = answer()
    assert (status, body["down"]) == (503, ["worker"])
    assert body["checks"]["scheduler"] == "ok"

    os.killpg(scheduler.pid, signal.SIGKILL)  # no goodbye: only the silence tells
    scheduler.wait(timeout=10)
    assert answer()[1]["checks"]["scheduler"] == "ok"  # its last beat is still recent
    later = ManualClock(datetime.now(UTC) + timedelta(seconds=settings.liveness_silence_seconds + 61))
    resp = create_app(settings, clock=later).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["scheduler", "worker"]
    assert resp.json["checks"]["scheduler"].startswith("missing: no scheduler heartbeat for ")
