"""`make run` / `zoombridge dev`: ready on the embedded defaults, and nothing left after Ctrl-C."""

import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.builders import free_port, zoombridge_process_env

pytestmark = pytest.mark.e2e


def _redis_servers_in(directory: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cwd"]):
        if proc.info["name"] and "redis-server" in proc.info["name"] and proc.info["cwd"] == str(directory):
            found.append(proc)
    return found


def test_dev_serves_healthz_on_embedded_defaults_and_leaves_no_process_after_ctrl_c(tmp_path):
    instance = tmp_path / "var"
    port = free_port()
    env = zoombridge_process_env(ZOOMBRIDGE_INSTANCE_DIR=str(instance))
    subprocess.run([sys.executable, "-m", "zoombridge.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=60)
    dev = subprocess.Popen([sys.executable, "-m", "zoombridge.cli", "dev", "--port", str(port)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read_output():  # `zoombridge dev` says when it is ready: wait for that, not for a time
        for line in dev.stdout:
            lines.append(line)
            if "zoombridge is ready" in line:
                ready.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        assert ready.wait(timeout=180), "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            body = resp.read().decode()
        assert '"status":"ok"' in body.replace(" ", "")
        servers = _redis_servers_in(instance)
        assert len(servers) == 1, "dev runs exactly one embedded Redis"
        children = psutil.Process(dev.pid).children(recursive=True)
        assert children
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=60)
        reader.join(timeout=10)
    output = "".join(lines)
    assert dev.returncode == 0, output
    assert "zoombridge is ready" in output and f"http://127.0.0.1:{port}/healthz" in output
    assert re.search(r"zoom +http://127\.0\.0\.1:\d+/_sandbox/ \(stand-in\)", output), output  # no credentials
    gone, alive = psutil.wait_procs(servers + children, timeout=10)
    assert alive == [], f"left running: {[p.pid for p in alive]}"
    assert _redis_servers_in(instance) == []
