"""Real processes for the fault tests: a private Redis server, a forking worker, a cuttable
TCP path to PostgreSQL. Each is started on a free port, bounded by timeouts and always stopped.

Nothing here touches the machine's shared Redis on 6379 or the shared PostgreSQL's state: a
Redis that must die is our own `redis-server`, and a database that must vanish is reached
through our own proxy (PostgreSQL) or a folder we rename (SQLite).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis

from tests.builders import free_port, zoombridge_process_env

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float, interval: float = 0.02, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def machine_clock_env() -> dict[str, str]:
    """This environment without libfaketime, for third-party servers the tests start.

    The suite is run under `faketime` to prove it holds on any date; the servers it talks to
    (the machine's PostgreSQL, this private redis-server) keep the machine's clock, as they would
    in production. Debian's redis-server (jemalloc) also cannot start under libfaketime
    ("Unexpected recursive calls to clock_gettime()").
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME")}
    preload = [lib for lib in env.get("LD_PRELOAD", "").split(":") if lib and "faketime" not in lib]
    if preload:
        env["LD_PRELOAD"] = ":".join(preload)
    else:
        env.pop("LD_PRELOAD", None)
    return env


class RedisServer:
    """`redis-server` on a free port with no persistence: a restart loses everything it held,
    which is the worst case the service must survive (queued jobs and pending flags gone)."""

    def __init__(self, workdir: Path):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=machine_clock_env())
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5)

        def answers() -> bool:
            try:
                return probe.ping()
            except redis.RedisError:
                return False

        wait_until(answers, 10, what="redis-server to answer")
        probe.close()
        self.starts += 1
        return self

    def crash(self) -> None:
        """SIGKILL: no shutdown, no save."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    stop = crash


class Worker:
    """`zoombridge worker` (RQ's forking worker, one work horse per job) in its own process group,
    so SIGKILL takes the worker and its horse together, as a killed container would."""

    def __init__(self, env: dict[str, str], burst: bool = False, log_path: Path | None = None):
        args = ["-m", "zoombridge.cli", "worker", *(["--burst"] if burst else [])]
        self.log_path = log_path
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed in wait/kill
        self._out = out
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole process group (worker and work horse)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._close()

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            self._close()

    def _close(self) -> None:
        if hasattr(self._out, "close"):
            self._out.close()


def process_env(database_url: str, redis_url: str, instance_dir: Path, secret: str) -> dict[str, str]:
    """The environment a zoombridge process reads its settings from (nothing inherited that could
    point it elsewhere)."""
    return zoombridge_process_env(
        ZOOMBRIDGE_ENV="testing", ZOOMBRIDGE_DATABASE_URL=database_url, REDIS_URL=redis_url,
        ZOOM_WEBHOOK_SECRET_TOKEN=secret, ZOOMBRIDGE_INSTANCE_DIR=str(instance_dir),
        ZOOMBRIDGE_SECRET_KEY="fault-test-secret-key", PYTHONPATH=str(ROOT))


class CuttableProxy:
    """A TCP proxy to a server (PostgreSQL) that can be cut: `cut()` closes every open connection
    and refuses new ones (connection refused, as when the database host goes away);
    `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._accepting: threading.Thread | None = None

    def start(self) -> CuttableProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() (Linux)
            except OSError:
                pass
            listener.close()
        if self._accepting is not None:
            self._accepting.join(timeout=5)
        with self._lock:
            sockets = list(self._open)
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restore(self) -> None:
        self.start()

    stop = cut
