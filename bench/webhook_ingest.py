"""Webhook receiver throughput and latency; ingest events/s; attendance reads; growth with size.

`python -m bench webhook_ingest` (needs `wrk` and `redis-server`; ~4 min per database). For
SQLite, and PostgreSQL when reachable (BENCH_DATABASES=sqlite|postgresql picks one;
BENCH_PARTS=receiver|ingest runs one part):

1. Receiver. gunicorn serves the bare endpoint (`bench/bare_webhook.py`: the same Flask, HMAC
   check only) under two sync workers (its fastest server), then under the app's own server
   config, then the real app under its own config; wrk (2 threads) loads each for BENCH_SECONDS
   (10) with distinct signed `meeting.participant_joined` bodies at 16 and at 64 connections.
   Prints requests/s, p50/p99 and the ratio app / bare, and counts the inbox rows against the
   requests answered (nothing lost or doubled: rows = answered + the few in flight at the end).
2. Ingest, in-process: 3 meetings x 100 people drained by one job each ("bulk"), and one
   100-person meeting with a job after every 25 deliveries ("live"), then after every 100 and
   every 250 (what a job's fixed cost comes to when more deliveries wait for it, as under load).
3. Growth, for a meeting of 100, 1,000 and 10,000 registered people (BENCH_SIZES): one job
   draining all but the last deliveries, one "live" job of 25 deliveries at that size, the job
   that takes `meeting.ended`, and one staff attendance read (`GET /api/v1/sessions/<id>/attendance`,
   best of 3) against the baseline in the same run: the whole-session recomputation from the
   segments (`session_attendance.compute`) that the read did before issue 17.

Redis is a private `redis-server` on a free port. The machine's load average is printed with
every section, since the other processes on the box move these figures.
Targets (issue 17): ratio >= 0.5 and p99 < 50 ms at 16 and 64 connections; ingest >= 5,000
events/s drained and live; an attendance read of 1,000 people < 50 ms.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench._servers import (
    SECRET,
    SYNC_ARGS,
    app_env,
    app_server_args,
    chosen_databases,
    inbox_rows,
    load,
    serve,
    server_cpu_seconds,
    stop,
    wrk,
)
from tests.faults.conftest import fill_inbox
from tests.zoom_events import network_session
from zoombridge.zoom.signature import sign

DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = (16, 64)
WRK_THREADS = 2
REQUESTS = 80_000  # distinct deliveries per app run: more than a 10 s run sends, so none repeats
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "100,1000,10000").split(","))
LIVE_BATCH = 25
LARGER_BATCHES = (100, 250)  # live ingest again with more deliveries waiting for each job
PARTS = os.environ.get("BENCH_PARTS", "receiver,ingest").split(",")  # either or both
T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _joined_body(n: int, meeting_uuid: str, at: datetime) -> bytes:
    body = {"event": "meeting.participant_joined", "event_ts": int(at.timestamp() * 1000) + n,
            "payload": {"account_id": "PX5yQAcnT5azdXF5ma2Apw", "object": {
                "uuid": meeting_uuid, "id": "86431910364", "type": 8, "topic": "Network session",
                "host_id": "tUo7WohjTs6ELvl9WR3JAA", "duration": 90, "start_time": "2026-11-24T10:00:00Z",
                "timezone": "Europe/London",
                "participant": {"user_id": str(16778240 + n), "user_name": f"Participant {n} Zoë",
                                "registrant_id": f"reg{n:08d}", "participant_user_id": "", "id": "",
                                "participant_uuid": str(uuid.UUID(int=n)).upper(),
                                "join_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "email": f"person{n}@example.org"}}}}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _write_requests(path: Path, tag: str) -> None:
    now = datetime.now(UTC)
    timestamp = str(int(now.timestamp()))
    meeting_uuid = "bench" + hashlib.sha256(tag.encode()).hexdigest()[:18] + "=="
    with path.open("wb") as fh:
        for n in range(REQUESTS):
            raw = _joined_body(n, meeting_uuid, now)
            fh.write(f"{timestamp}\t{sign(SECRET, timestamp, raw)}\t".encode() + raw + b"\n")


def _load_server(app_path: str, env: dict, server_args: list[str], requests_file: Path, connections: int):
    proc, port = serve(app_path, env, server_args)
    try:
        idle = server_cpu_seconds(proc)
        result = wrk(f"http://127.0.0.1:{port}/zoom/webhook", requests_file, connections, DURATION, WRK_THREADS)
        return replace(result, cpu_seconds=server_cpu_seconds(proc) - idle)
    finally:
        stop(proc)


def _line(label: str, f) -> str:
    return (f"{label:>48}: {f.rps:7.0f} req/s  p50 {f.p50_ms:7.2f} ms  p99 {f.p99_ms:7.2f} ms  "
            f"server CPU {f.cpu_us_per_request:5.0f} us/req  errors {f.socket_errors}  non-2xx {f.non_2xx}")


def _receiver(name: str, url: str, redis_url: str, workdir: Path) -> None:
    import redis

    described, server_args = app_server_args()
    bare_env = {**os.environ, "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET}
    for connections in CONNECTIONS:
        requests_file = workdir / f"requests-{connections}.tsv"
        _write_requests(requests_file, f"{name}-{connections}-{uuid.uuid4()}")
        print(f"  -- {connections} connections (load {load()})")
        bare_sync = _load_server("bench.bare_webhook:app", bare_env, SYNC_ARGS, requests_file, connections)
        print(_line("bare, 2 sync workers", bare_sync))
        bare_same = None
        if server_args != SYNC_ARGS:
            bare_same = _load_server("bench.bare_webhook:app", bare_env, server_args, requests_file, connections)
            print(_line(f"bare, {described}", bare_same))
        before = inbox_rows(url)
        redis.Redis.from_url(redis_url).flushdb()
        app = _load_server("zoombridge.wsgi:app", app_env(url, redis_url, workdir / "instance"), server_args,
                           requests_file, connections)
        stored = inbox_rows(url) - before
        print(_line(f"app on {name}, {described}", app))
        best_bare = max(bare_sync.rps, bare_same.rps if bare_same else 0)
        same = bare_same or bare_sync
        print(f"{'ratio app / fastest bare':>48}: {app.rps / best_bare:.2f}"
              + (f"   (app / bare on the same server {app.rps / bare_same.rps:.2f})" if bare_same else "")
              + f"   server CPU per request, bare / app on the same server: "
                f"{same.cpu_us_per_request / app.cpu_us_per_request:.2f}")
        answered = app.requests - app.non_2xx
        print(f"{'inbox rows stored':>48}: {stored} for {answered} answered 200 "
              f"({stored - answered:+d}: requests still in flight when wrk stopped; "
              f"{'OK' if 0 <= stored - answered <= connections else 'MISMATCH'})  load {load()}")


# --- ingest and reads, in-process ----------------------------------------------------------------

def _timed(fn, *args) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def _ingest_rates(app, engine) -> dict:
    from workers.jobs.ingest import ingest_meeting

    figures = {}
    with app.app_context():
        meetings = [f"bulk{k}-{uuid.uuid4().hex[:8]}" for k in range(3)]
        batches = [network_session(u, 100, T0) for u in meetings]
        for bodies in batches:
            fill_inbox(engine, bodies, T0)
        figures["bulk (3 x 100 people, a job each)"] = (sum(len(b) for b in batches),
                                                       sum(_timed(ingest_meeting, u) for u in meetings))
        for batch in (LIVE_BATCH, *LARGER_BATCHES):  # a job's fixed cost, shared by more deliveries
            live_uuid = f"live-{uuid.uuid4().hex[:8]}"
            live = network_session(live_uuid, 100, T0)
            spent = 0.0
            for first in range(0, len(live), batch):
                fill_inbox(engine, live[first:first + batch], T0)
                spent += _timed(ingest_meeting, live_uuid)
            figures[f"live (100 people, a job per {batch})"] = (len(live), spent)
    return figures


def _scale_session(engine, meeting_uuid: str, people: int, prefix: str) -> int:
    """A session bound to the meeting, with `people` registered (ids as network_session names them)."""
    from tests.builders import CREATED
    from zoombridge.store.models import Person, Registration
    from zoombridge.store.models import Session as SessionRow

    with engine.begin() as conn:
        session_id = conn.execute(sa.insert(SessionRow).returning(SessionRow.id), {
            "kind": "network", "title": "Network session", "starts_at": T0, "duration_minutes": 90,
            "zoom_meeting_id": 86431910364, "meeting_uuid": meeting_uuid, "status": "scheduled",
            "overrides": {}, "zoom_meeting_state": "created", "zoom_details": {}, "captions_state": "unknown",
            "revision": 0, "preparation_minutes": 0, "created_at": CREATED, "updated_at": CREATED}).scalar_one()
        conn.execute(sa.insert(Person), [{"first_name": f"P{i}", "email": f"p{i}@{prefix}.example", "is_staff": False,
                                          "created_at": CREATED} for i in range(people)])
        ids = dict(conn.execute(sa.select(Person.email, Person.id).where(Person.email.like(f"%@{prefix}.example"))).all())
        conn.execute(sa.insert(Registration), [
            {"session_id": session_id, "person_id": ids[f"p{i}@{prefix}.example"], "zoom_registrant_id": f"{prefix}-r{i}",
             "joins_by": "video", "access_needs": "", "wants_payment": False, "status": "active", "source": "staff",
             "payment_choice": "cash", "public_sector_work_time": False, "created_at": CREATED}
            for i in range(people)])
    return session_id


def _analyze(engine) -> None:
    """PostgreSQL: refresh the planner's statistics after the bulk load, as autovacuum's analyze
    does within a minute for tables that grew this much (without them the planner guesses that a
    fresh table is empty and may scan a meeting's streams by the wrong index)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _best_of(n: int, fn) -> float:
    return min(_timed(fn) for _ in range(n))


def _growth(app, engine, people: int) -> dict:
    from workers.jobs.ingest import ingest_meeting
    from zoombridge import staff_tokens
    from zoombridge.attendance import session_attendance
    from zoombridge.payments.decisions import current_policy
    from zoombridge.store import db_session
    from zoombridge.store.models import Session as SessionRow

    prefix = f"g{people}-{uuid.uuid4().hex[:6]}"
    meeting_uuid = f"{prefix}=="
    session_id = _scale_session(engine, meeting_uuid, people, prefix)
    bodies = network_session(meeting_uuid, people, T0, who=prefix)
    first, live, end = bodies[:-LIVE_BATCH - 1], bodies[-LIVE_BATCH - 1:-1], bodies[-1:]
    figures: dict = {"events": len(bodies)}
    with app.app_context():
        fill_inbox(engine, first, T0)
        figures["drain"] = (len(first), _timed(ingest_meeting, meeting_uuid))
        _analyze(engine)
        fill_inbox(engine, live, T0)
        figures["live job"] = (len(live), _timed(ingest_meeting, meeting_uuid))
        fill_inbox(engine, end, T0)
        figures["end job"] = (len(end), _timed(ingest_meeting, meeting_uuid))
        with db_session() as s:
            token = staff_tokens.issue(s, "Bench", datetime.now(UTC))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def read():
            answer = client.get(f"/api/v1/sessions/{session_id}/attendance", headers=headers)
            assert answer.status_code == 200 and len(answer.get_json()["people"]) == people, answer.status_code

        def recompute():
            with db_session() as s:
                result = session_attendance.compute(s, s.get(SessionRow, session_id), current_policy().grace_minutes)
                assert len(result.by_person) == people

        figures["read"] = _best_of(3, read)
        figures["recompute"] = _best_of(3, recompute)
    return figures


def _in_process(name: str, url: str, redis_url: str, workdir: Path) -> None:
    from zoombridge.app import create_app
    from zoombridge.config import Settings

    app = create_app(Settings(env="testing", instance_dir=str(workdir / "instance"), database_url=url,
                              redis_url=redis_url, zoom_webhook_secret_token=SECRET))
    engine = app.extensions["zoombridge.db"].engine
    try:
        print(f"  -- ingest (load {load()})")
        for mode, (events, seconds) in _ingest_rates(app, engine).items():
            print(f"{'ingest ' + mode:>42}: {events / seconds:8.0f} events/s  ({events} events in {seconds:.3f} s)")
        print(f"  -- growth with the meeting's size (load {load()})")
        print(f"{'people':>8} {'events':>7} | {'drain events/s':>14} | {'live job (25)':>13} | {'end job':>8} | "
              f"{'attendance read':>15} | {'recompute (baseline)':>20} | ratio")
        for people in SIZES:
            g = _growth(app, engine, people)
            drained, drain_s = g["drain"]
            print(f"{people:>8,} {g['events']:>7,} | {drained / drain_s:>14,.0f} | {g['live job'][1] * 1000:>10.1f} ms | "
                  f"{g['end job'][1] * 1000:>5.0f} ms | {g['read'] * 1000:>12.1f} ms | {g['recompute'] * 1000:>17.1f} ms | "
                  f"{g['read'] / g['recompute']:.2f}")
        print(f"  (load {load()})")
    finally:
        app.extensions["zoombridge.db"].dispose()


def main() -> None:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): skipped")
        return
    import logging

    from tests.faults.processes import RedisServer
    from zoombridge import logs
    from zoombridge.store.migrate import upgrade

    logs.configure("WARNING")  # one INFO line per ingest run would bury the figures
    logging.getLogger("workers").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    redis_server = RedisServer(workdir / "redis").start()
    described, _ = app_server_args()
    print(f"app server: {described}; wrk -t{WRK_THREADS} -d{DURATION}s at {', '.join(map(str, CONNECTIONS))} "
          f"connections; private redis-server :{redis_server.port}; load {load()}; "
          f"{os.cpu_count()} cores")
    try:
        for name, url, cleanup in chosen_databases(workdir):
            print(f"\n### {name}")
            try:
                upgrade(url)
                if "receiver" in PARTS:
                    _receiver(name, url, redis_server.url, workdir)
                if "ingest" in PARTS:
                    _in_process(name, url, redis_server.url, workdir)
            finally:
                if cleanup is not None:
                    cleanup()
    finally:
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

