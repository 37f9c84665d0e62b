"""What the web benchmarks share: gunicorn as the app is deployed, wrk, a private Redis, the
databases, the machine's load, and the inbox count that proves nothing was lost or doubled.

Every server a benchmark starts is its own (gunicorn and redis-server on free ports, PostgreSQL
in a private schema) and is stopped by its pid when the benchmark ends; the shared Redis dbs are
never touched.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-webhook-secret"
PG_URL = os.environ.get("ZOOMBRIDGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GUNICORN_CONFIG = "zoombridge.gunicorn_config"
# The server before issue 17, and the fastest one for the bare endpoint (it never blocks).
SYNC_ARGS = ["--workers", "2", "--worker-class", "sync"]


def load() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def app_server_args() -> tuple[str, list[str]]:
    """(description, gunicorn arguments) of the web server as the app is deployed.

    The checked-out code's own gunicorn config when it has one (issue 17 on), else the two sync
    workers it was served with before, so the same benchmark measures either version.
    """
    if importlib.util.find_spec(GUNICORN_CONFIG) is not None:
        config = importlib.import_module(GUNICORN_CONFIG)
        return (f"{config.workers} {config.worker_class} workers x {config.threads} threads",
                ["--config", f"python:{GUNICORN_CONFIG}"])
    return "2 sync workers", SYNC_ARGS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
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


def serve(app_path: str, env: dict, server_args: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *server_args, "--no-control-socket",
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_path],
                            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_port(port, proc)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def server_cpu_seconds(proc: subprocess.Popen) -> float:
    """User + system CPU used so far by a gunicorn master and its workers (all their threads):
    the server's own cost, which the machine's load does not inflate the way it does wall time."""
    import psutil

    master = psutil.Process(proc.pid)
    total = 0.0
    for p in [master, *master.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    non_2xx: int
    cpu_seconds: float = 0.0  # the server's CPU during the run, when measured

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / self.requests * 1e6 if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, requests_file: Path, connections: int, seconds: int, threads: int = 2,
        delay_ms: int | None = None) -> WrkResult:
    """wrk replaying the signed deliveries in `requests_file` (see webhook_wrk.lua)."""
    env = {**os.environ, "WEBHOOK_REQUESTS": str(requests_file), "WRK_THREADS": str(threads)}
    if delay_ms is not None:
        env["WRK_DELAY_MS"] = str(delay_ms)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                          "-s", str(HERE / "webhook_wrk.lua"), url],
                         env=env, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    f = {k: int(v) for k, v in (part.split("=") for part in line.split()[1:])}
    return WrkResult(requests=f["requests"], seconds=f["duration_us"] / 1e6, p50_ms=f["p50_us"] / 1000,
                     p99_ms=f["p99_us"] / 1000, socket_errors=f["socket_errors"], non_2xx=f["non2xx"])


def app_env(database_url: str, redis_url: str, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOMBRIDGE_", "ZOOM_")) and k != "REDIS_URL"}
    env.update(ZOOMBRIDGE_ENV="development", ZOOMBRIDGE_DATABASE_URL=database_url, REDIS_URL=redis_url,
               ZOOM_WEBHOOK_SECRET_TOKEN=SECRET, ZOOMBRIDGE_INSTANCE_DIR=str(instance))
    return env


def databases(workdir: Path, only: str | None = None):
    """(name, url, cleanup) for SQLite and, when it answers, PostgreSQL (a private schema).

    `only` ("sqlite" or "postgresql", from BENCH_DATABASES) picks one."""
    if only in (None, "sqlite"):
        yield "SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", None
    if only not in (None, "postgresql"):
        return
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


def chosen_databases(workdir: Path):
    return databases(workdir, os.environ.get("BENCH_DATABASES") or None)


def inbox_rows(url: str, status: str | None = None) -> int:
    """Rows in the inbox (with the given status, when one is given)."""
    engine = sa.create_engine(url)
    where = " WHERE status = :status" if status else ""
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM webhook_inbox{where}"), {"status": status}).scalar()
    finally:
        engine.dispose()
