"""Ingest under a steady webhook load: throughput, left-to-minutes lag, and memory.

`python -m bench ingest_lag` (needs `wrk` and `redis-server`). For SQLite, and PostgreSQL when
reachable: gunicorn (2 sync workers) serves the app, one real `zoombridge worker` (RQ's forking
worker) ingests, and a private `redis-server` on a free port holds the queues. A session has
1,000 registered people; each joins and, ~200 deliveries later, leaves: 2,001 signed deliveries
offered at 200 webhooks/s by wrk (paced connections; no client-side Python competing for the
CPU). A poller reads `GET /api/v1/sessions/<id>/attendance` (the staff view with each person's
attended seconds) every 0.1 s plus the poll's own time. A left's lag runs from when the receiver
stored it (`received_at`) to the first poll answer showing that person's seconds equal to the
stay just closed: an upper bound, including up to one poll period (the poll time is printed).

Baseline in the same run: the same lag at 10 webhooks/s with 15 people (an idle pipeline: what
one ingest job, its fork and one poll cost at all), so the ratio shows what the load adds.
Memory: peak RSS of each gunicorn worker and of the RQ worker and its work horses (psutil, every
50 ms), against their RSS before the load. Each database takes ~20 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import requests
import sqlalchemy as sa

from bench._servers import (
    ROOT,
    SECRET,
    app_env,
    app_server_args,
    chosen_databases,
    inbox_rows,
    load,
    serve,
    stop,
)
from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.zoom.signature import signed_headers, webhook_bytes

PEOPLE = 1000
RATE = 200.0  # webhooks per second
BASELINE_PEOPLE = 15
BASELINE_RATE = 10.0
LEAVE_AFTER = 200  # a person's left is sent this many deliveries after their join (~1 s at 200/s)
T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)
POLL_PAUSE = 0.1  # between attendance polls, so the poller does not hold a web worker all the time


@dataclass
class Run:
    lags: list[float] = field(default_factory=list)
    poll_seconds: list[float] = field(default_factory=list)
    sent: int = 0
    non_200: int = 0
    send_seconds: float = 0.0
    missed: int = 0
    stored: int = 0
    first_stored: datetime | None = None  # received_at of the first distinct delivery
    last_stored: datetime | None = None  # ... and of the last
    last_processed: datetime | None = None  # when ingest finished the last of them

    @property
    def offer_reached(self) -> float:
        """Distinct deliveries stored per second, first to last (the rate the receiver took them)."""
        return (self.stored - 1) / (self.last_stored - self.first_stored).total_seconds()

    @property
    def ingest_behind(self) -> float:
        """Seconds from the last delivery's storing to ingest having processed every delivery."""
        return (self.last_processed - self.last_stored).total_seconds()


def _stay(i: int) -> tuple[datetime, datetime]:
    joined = T0 + timedelta(seconds=60 + i)
    return joined, joined + timedelta(seconds=300 + 10 * (i % 7))


def _deliveries(uuid: str, people: int) -> list[tuple[dict, int | None]]:
    """(body, person index when it is that person's left) in sending order."""
    z = ZoomEvents(uuid=uuid, start=T0)
    who = [Participant(f"Person {i}", f"{uuid}-{i}", registrant_id=f"{uuid}-r{i}") for i in range(people)]
    out: list[tuple[dict, int | None]] = [(z.started(T0), None)]
    gap = min(LEAVE_AFTER, max(1, people // 3))
    for step in range(people + gap):
        if step < people:
            out.append((z.joined(who[step], _stay(step)[0]), None))
        if step >= gap:
            i = step - gap
            out.append((z.left(who[i], _stay(i)[1]), i))
    return out


def _setup(url: str, uuid: str, people: int) -> tuple[int, dict[int, int], str]:
    """The session, its registered people (person id by index) and a staff token."""
    from tests.builders import add_person, add_session, register
    from zoombridge import staff_tokens

    engine = sa.create_engine(url)
    with sa.orm.Session(engine) as s, s.begin():
        session = add_session(s, kind="cuppa", minutes=90, starts_at=T0, zoom_meeting_id=ZoomEvents().meeting_id,
                              meeting_uuid=uuid)
        persons = {}
        for i in range(people):
            person = add_person(s, f"Person{i}", f"p{i}@{uuid[:8]}.example")
            register(s, session, person, f"{uuid}-r{i}")
            persons[i] = person.id
        token = staff_tokens.issue(s, "Bench", datetime.now(UTC))
        session_id = session.id
    engine.dispose()
    return session_id, persons, token


class MemoryWatch(threading.Thread):
    """Peak RSS per process (by pid) of the gunicorn workers and the RQ worker's process tree."""

    def __init__(self, gunicorn: psutil.Process, worker: psutil.Process):
        super().__init__(daemon=True)
        self.gunicorn, self.worker = gunicorn, worker
        self.web: dict[int, int] = {}
        self.rq: int = 0
        self.horse: int = 0
        self.stopping = threading.Event()

    def sample(self) -> None:
        for child in self.gunicorn.children():
            try:
                self.web[child.pid] = max(self.web.get(child.pid, 0), child.memory_info().rss)
            except psutil.NoSuchProcess:
                pass
        try:
            self.rq = max(self.rq, self.worker.memory_info().rss)
            for horse in self.worker.children():
                self.horse = max(self.horse, horse.memory_info().rss)
        except psutil.NoSuchProcess:
            pass

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            time.sleep(0.05)


def _play(base: str, uuid: str, people: int, rate: float, session_id: int, persons: dict[int, int], token: str,
          database_url: str, workdir: Path) -> Run:
    """Offer the deliveries at `rate` with wrk (no client-side Python competing for the CPU) while
    a poller notes when each person's closed stay first shows in the API."""
    run = Run()
    deliveries = [body for body, _person in _deliveries(uuid, people)]
    expected = {persons[i]: int((_stay(i)[1] - _stay(i)[0]).total_seconds()) for i in range(people)}
    requests_file = workdir / f"{uuid[:8]}.tsv"
    now = datetime.now(UTC)
    with requests_file.open("wb") as fh:
        for body in deliveries:
            raw = webhook_bytes(body)
            headers = signed_headers(SECRET, raw, now)
            fh.write(f"{headers['x-zm-request-timestamp']}\t{headers['x-zm-signature']}\t".encode() + raw + b"\n")
    seen_at: dict[int, datetime] = {}
    stop = threading.Event()

    def poll() -> None:
        http = requests.Session()
        while not stop.is_set() and len(seen_at) < people:
            asked = time.perf_counter()
            answer = http.get(f"{base}/api/v1/sessions/{session_id}/attendance",
                              headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
            run.poll_seconds.append(time.perf_counter() - asked)
            answered = datetime.now(UTC)
            for p in answer["people"]:
                if p["person_id"] not in seen_at and p["seconds"] == expected[p["person_id"]]:
                    seen_at[p["person_id"]] = answered
            time.sleep(POLL_PAUSE)

    poller = threading.Thread(target=poll)
    poller.start()
    # Longer than the deliveries need at `rate`, so all go out even if the server falls behind;
    # wrk then starts over, and the repeats are answered "duplicate".
    seconds = max(2, round(1.4 * len(deliveries) / rate))
    connections = max(1, round(rate / 8))
    env = {**os.environ, "WEBHOOK_REQUESTS": str(requests_file), "WRK_THREADS": "1", "WRK_RATE": str(rate)}
    started = time.perf_counter()
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                          "-s", str(Path(__file__).resolve().parent / "webhook_wrk.lua"), f"{base}/zoom/webhook"],
                         env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    run.send_seconds = time.perf_counter() - started
    fields = dict(part.split("=") for part in next(ln for ln in out.splitlines() if ln.startswith("RESULT ")).split()[1:])
    run.sent, run.non_200 = int(fields["requests"]), int(fields["non2xx"]) + int(fields["socket_errors"])
    deadline = time.perf_counter() + 30
    while inbox_rows(database_url, "pending") and time.perf_counter() < deadline:
        time.sleep(0.05)

    while len(seen_at) < people and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    poller.join()
    run.missed = people - len(seen_at)
    arrived = _left_arrivals(database_url, uuid)
    run.stored, run.first_stored, run.last_stored, run.last_processed = _stored_rows(database_url, uuid)
    run.lags = [(seen_at[persons[i]] - arrived[i]).total_seconds() for i in range(people) if persons[i] in seen_at]
    return run


def _stored_rows(url: str, uuid: str) -> tuple[int, datetime, datetime, datetime]:
    """How many distinct deliveries of the meeting were stored, the first and last `received_at`,
    and the last `processed_at` (stamped by ingest)."""
    from zoombridge.store.models import InboxEvent

    engine = sa.create_engine(url)
    try:
        with sa.orm.Session(engine) as s:
            return tuple(s.execute(sa.select(
                sa.func.count(), sa.func.min(InboxEvent.received_at), sa.func.max(InboxEvent.received_at),
                sa.func.max(InboxEvent.processed_at)).where(InboxEvent.meeting_uuid == uuid)).one())
    finally:
        engine.dispose()


def _left_arrivals(url: str, uuid: str) -> dict[int, datetime]:
    """When each person's participant_left was stored (the receiver stamps received_at)."""
    engine = sa.create_engine(url)
    try:
        with sa.orm.Session(engine) as s:
            from zoombridge.store.models import InboxEvent

            rows = s.execute(sa.select(InboxEvent.body, InboxEvent.received_at).where(
                InboxEvent.meeting_uuid == uuid, InboxEvent.event == "meeting.participant_left")).all()
    finally:
        engine.dispose()
    import json

    return {int(json.loads(body)["payload"]["object"]["participant"]["user_id"].rsplit("-", 1)[1]): at
            for body, at in rows}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _measure(name: str, url: str, redis_url: str, workdir: Path) -> None:
    from zoombridge.store.migrate import upgrade

    upgrade(url)
    env = {**app_env(url, redis_url, workdir / "instance"), "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-m", "zoombridge.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    web, port = serve("zoombridge.wsgi:app", env, app_server_args()[1])
    try:
        base = f"http://127.0.0.1:{port}"
        requests.get(f"{base}/healthz", timeout=10)
        time.sleep(1.0)  # let the worker register
        watch = MemoryWatch(psutil.Process(web.pid), psutil.Process(worker.pid))
        watch.sample()
        idle_web, idle_rq = max(watch.web.values()), watch.rq
        watch.web.clear()

        uuid = "lagbase0" + "A" * 14 + "=="
        session_id, persons, token = _setup(url, uuid, BASELINE_PEOPLE)
        baseline = _play(base, uuid, BASELINE_PEOPLE, BASELINE_RATE, session_id, persons, token, url, workdir)

        uuid = "lagload0" + "B" * 14 + "=="
        session_id, persons, token = _setup(url, uuid, PEOPLE)
        watch.start()
        began_load = load()
        loaded = _play(base, uuid, PEOPLE, RATE, session_id, persons, token, url, workdir)
        watch.stopping.set()
        watch.join()
    finally:
        stop(web)
        try:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            worker.kill()

    events = 2 * PEOPLE + 1
    mib = 1024 * 1024
    p50, p99 = statistics.median(loaded.lags), _percentile(loaded.lags, 0.99)
    b50, b99 = statistics.median(baseline.lags), _percentile(baseline.lags, 0.99)
    kept_up = "kept up with the offer" if loaded.ingest_behind < 1 else "FELL BEHIND the offer"
    print(f"{name}: {loaded.stored} of {events} distinct deliveries stored at {loaded.offer_reached:.0f}/s, first to "
          f"last (offered {RATE:.0f}/s); {loaded.sent} requests in {loaded.send_seconds:.1f} s with the repeats "
          f"after them, non-200 {loaded.non_200}; load {began_load} before, {load()} after")
    print(f"{'':>10} ingest: the last delivery processed {loaded.ingest_behind:+.2f} s from its storing "
          f"({kept_up}; a job stamps processed_at when it begins, so a row stored while it began can show < 0)")
    print(f"{'':>10} left -> minutes in API: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
          f"{max(loaded.lags) * 1000:.0f} ms over {len(loaded.lags)} lefts (missed {loaded.missed}); "
          f"one poll p50 {statistics.median(loaded.poll_seconds) * 1000:.0f} ms")
    print(f"{'':>10} baseline at {BASELINE_RATE:.0f}/s: p50 {b50 * 1000:.0f} ms, p99 {b99 * 1000:.0f} ms; "
          f"ratio loaded/baseline p50 {p50 / b50:.1f}x, p99 {p99 / b99:.1f}x")
    print(f"{'':>10} peak RSS: web worker {max(watch.web.values()) / mib:.0f} MiB (idle {idle_web / mib:.0f}), "
          f"RQ worker {watch.rq / mib:.0f} MiB (idle {idle_rq / mib:.0f}), work horse {watch.horse / mib:.0f} MiB")


def main() -> None:
    import logging

    from tests.faults.processes import RedisServer
    from zoombridge import logs

    logs.configure("WARNING")
    logging.getLogger("workers").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="bench-lag-"))
    redis_server = RedisServer(workdir / "redis").start()
    print(f"gunicorn {app_server_args()[0]}, 1 forking RQ worker, private redis-server :{redis_server.port}; "
          f"{PEOPLE} people, {2 * PEOPLE + 1} webhooks at {RATE:.0f}/s")
    try:
        for name, url, cleanup in chosen_databases(workdir):
            try:
                _measure(name, url, redis_server.url, workdir)
                import redis

                redis.Redis.from_url(redis_server.url).flushdb()
            finally:
                if cleanup is not None:
                    cleanup()
    finally:
        redis_server.stop()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
