"""`make run` / `zoombridge dev`: ready on the embedded defaults, and nothing left after Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_servers_in(directory: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cwd"]):
        if proc.info["name"] and "redis-server" in proc.info["name"] and proc.info["cwd"] == str(directory):
            found.append(proc)
    return found


def test_dev_serves_healthz_on_embedded_defaults_and_leaves_no_process_after_ctrl_c(tmp_path):
    instance = tmp_path / "var"
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZOOMBRIDGE_", "ZOOM_")) and k != "REDIS_URL"}
    env["ZOOMBRIDGE_INSTANCE_DIR"] = str(instance)
    subprocess.run([sys.executable, "-m", "zoombridge.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=60)
    started = time.monotonic()
    dev = subprocess.Popen([sys.executable, "-m", "zoombridge.cli", "dev", "--port", str(port)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = None
        while time.monotonic() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert body is not None and '"status":"ok"' in body.replace(" ", "")
        servers = _redis_servers_in(instance)
        assert len(servers) == 1, "dev runs exactly one embedded Redis"
        children = psutil.Process(dev.pid).children(recursive=True)
        assert children
    finally:
        dev.send_signal(signal.SIGINT)
        output, _ = dev.communicate(timeout=60)
    assert dev.returncode == 0, output
    assert "zoombridge is ready" in output and f"http://127.0.0.1:{port}/healthz" in output
    assert re.search(r"zoom +http://127\.0\.0\.1:\d+/_sandbox/ \(stand-in\)", output), output  # no credentials
    gone, alive = psutil.wait_procs(servers + children, timeout=10)
    assert alive == [], f"left running: {[p.pid for p in alive]}"
    assert _redis_servers_in(instance) == []
