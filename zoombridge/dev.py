"""`zoombridge dev`: web, worker and scheduler in one command, on the embedded defaults.

The embedded Redis is started here, once, and handed to the children as `REDIS_URL`, so
there is one server to stop; Ctrl-C stops the children first, then the server, leaving no
process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from zoombridge.config import Settings
from zoombridge.queue.connection import EmbeddedRedis, redis_url_for


def _spawn(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    print(f"  starting {name}: {' '.join(args)}", flush=True)
    return subprocess.Popen([sys.executable, "-m", "zoombridge.cli", *args], env=env)


def _standin_port(port: int) -> int:
    """The port after the web's, or any free one when that is taken (the stand-in must start)."""
    for candidate in (port + 1, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port for the Zoom stand-in")


def _wait_healthy(url: str, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def run_dev(settings: Settings, port: int) -> int:
    env = dict(os.environ)
    embedded: EmbeddedRedis | None = None
    if not settings.redis_url:
        from pathlib import Path

        embedded = EmbeddedRedis(Path(settings.instance_dir) / "redis.db")
        env["REDIS_URL"] = embedded.url
    else:
        env["REDIS_URL"] = redis_url_for(settings)
    env.setdefault("ZOOMBRIDGE_PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    standin = f"http://127.0.0.1:{_standin_port(port)}" if settings.uses_zoom_standin else None
    if standin:  # no Zoom credentials: every child talks to the stand-in on the next port
        env["ZOOMBRIDGE_ZOOM_API_BASE"] = standin + "/v2"
        env["ZOOMBRIDGE_ZOOM_OAUTH_BASE"] = standin

    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print("zoombridge dev: starting web, worker and scheduler", flush=True)
    try:
        if standin:
            children.append(_spawn("zoom stand-in", ["sandbox", "serve", "--port", standin.rsplit(":", 1)[1]], env))
        children.append(_spawn("web", ["web", "--port", str(port), "--workers", "2"], env))
        children.append(_spawn("worker", ["worker"], env))
        children.append(_spawn("scheduler", ["scheduler"], env))
        base = f"http://127.0.0.1:{port}"
        if _wait_healthy(f"{base}/healthz"):
            print(f"\nzoombridge is ready:\n  web      {base}/\n  health   {base}/healthz\n"
                  f"  metrics  {base}/metrics (Bearer: a staff token or $ZOOMBRIDGE_METRICS_TOKEN)\n  API      {base}/api/v1/\n"
                  f"  redis    {'embedded' if embedded else 'external'}\n"
                  f"  zoom     {standin + '/_sandbox/ (stand-in)' if standin else 'api.zoom.us'}\n"
                  f"Press Ctrl-C to stop.\n", flush=True)
        else:
            print("zoombridge dev: the web process did not become healthy in time", file=sys.stderr)
            stopping = True
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("zoombridge dev: a process stopped; stopping the rest", file=sys.stderr)
                break
            time.sleep(0.3)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if embedded is not None:
            embedded.stop()
        print("zoombridge dev: stopped", flush=True)
    return 0
