"""Production that cannot be misconfigured quietly (issue 13, items 12 to 16).

Settings are checked by `load_settings`; the web server is the real thing started as the Procfile
starts it (gunicorn through `zoombridge web`); the stand-in is `zoombridge sandbox serve`.
"""

from __future__ import annotations

import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.builders import add_session, free_port, zoombridge_process_env
from tests.conftest import WEBHOOK_SECRET
from tests.faults.processes import wait_until
from tests.web.conftest import csrf_token_of
from zoombridge import create_app
from zoombridge.config import DEVELOPMENT_SECRET_KEY, DEVELOPMENT_WEBHOOK_SECRET, ConfigError, load_settings
from zoombridge.zoom.signature import signed_headers

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k" * 32
PRODUCTION = {
    "ZOOMBRIDGE_ENV": "production", "ZOOMBRIDGE_DATABASE_URL": "postgresql+psycopg://db/zoombridge",
    "REDIS_URL": "redis://127.0.0.1:6379/0", "ZOOMBRIDGE_SECRET_KEY": STRONG_KEY, "ZOOM_ACCOUNT_ID": "a",
    "ZOOM_CLIENT_ID": "c", "ZOOM_CLIENT_SECRET": "s", "ZOOM_WEBHOOK_SECRET_TOKEN": "w" * 22,
    "ZOOM_HOST_USER": "host@example.org", "ZOOMBRIDGE_SMTP_URL": "smtp://mail:25",
}


# --- 12: secrets anyone could know are refused, naming them -----------------------------------

@pytest.mark.parametrize("name, value, says", [
    ("ZOOMBRIDGE_SECRET_KEY", DEVELOPMENT_SECRET_KEY, "ZOOMBRIDGE_SECRET_KEY is the published development key"),
    ("ZOOMBRIDGE_SECRET_KEY", "k" * 31, "ZOOMBRIDGE_SECRET_KEY is shorter than 32 bytes"),
    ("ZOOM_WEBHOOK_SECRET_TOKEN", DEVELOPMENT_WEBHOOK_SECRET,
     "ZOOM_WEBHOOK_SECRET_TOKEN is the published development secret"),
    ("ZOOM_WEBHOOK_SECRET_TOKEN", "short", "ZOOM_WEBHOOK_SECRET_TOKEN is shorter than 16 bytes"),
    ("ZOOMBRIDGE_METRICS_TOKEN", "m" * 8, "ZOOMBRIDGE_METRICS_TOKEN is shorter than 32 bytes"),
])
def test_production_refuses_published_or_short_secrets_naming_them(name, value, says):
    with pytest.raises(ConfigError) as raised:
        load_settings({**PRODUCTION, name: value})
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_production_names_missing_and_unsafe_settings_in_one_line():
    environ = {**PRODUCTION, "ZOOMBRIDGE_SECRET_KEY": DEVELOPMENT_SECRET_KEY}
    del environ["ZOOMBRIDGE_SMTP_URL"]
    message = str(pytest.raises(ConfigError, load_settings, environ).value)
    assert message == ("production settings missing: ZOOMBRIDGE_SMTP_URL; production settings unsafe: "
                       "ZOOMBRIDGE_SECRET_KEY is the published development key")


def test_zoom_credentials_without_an_environment_refuse_to_start():
    environ = {k: v for k, v in PRODUCTION.items() if k != "ZOOMBRIDGE_ENV"}
    with pytest.raises(ConfigError, match="ZOOMBRIDGE_ENV is not"):
        load_settings(environ)
    with pytest.raises(ConfigError, match="ZOOMBRIDGE_ENV is not"):
        load_settings({"ZOOM_CLIENT_ID": "c"})


def test_real_zoom_credentials_in_development_need_a_real_webhook_secret():
    environ = {"ZOOMBRIDGE_ENV": "development", "ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "c", "ZOOM_CLIENT_SECRET": "s"}
    with pytest.raises(ConfigError, match="ZOOM_WEBHOOK_SECRET_TOKEN is not"):
        load_settings(environ)
    assert not load_settings({**environ, "ZOOM_WEBHOOK_SECRET_TOKEN": "w" * 22}).uses_zoom_standin
    assert load_settings({}).uses_zoom_standin  # the stand-in needs nothing


# --- 13: the Procfile's web process stops instead of respawning workers -----------------------

def _procfile(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {kind} line in the Procfile")


def _bare_env(tmp_path, **extra) -> dict[str, str]:
    env = zoombridge_process_env(HOME=str(tmp_path), ZOOMBRIDGE_INSTANCE_DIR=str(tmp_path / "instance"), **extra)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


def test_the_procfile_web_process_stops_with_exit_code_3_when_settings_are_missing(tmp_path):
    env = _bare_env(tmp_path, ZOOMBRIDGE_ENV="production", PORT=str(free_port()))
    result = subprocess.run(shlex.split(os.path.expandvars(_procfile("web"))), env=env, capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "production settings missing" in lines[0] and "ZOOMBRIDGE_SECRET_KEY" in lines[0]


def test_gunicorn_itself_halts_when_the_app_cannot_boot(tmp_path):
    """Past the command's own check (settings changed under it): the workers exit 3 and gunicorn stops."""
    env = _bare_env(tmp_path, ZOOMBRIDGE_ENV="production")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:zoombridge.gunicorn_config",
                             "--bind", f"127.0.0.1:{free_port()}", "zoombridge.wsgi:app"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3
    assert [line for line in err.splitlines() if line.strip()] == [
        line for line in err.splitlines() if line.startswith("zoombridge: production settings missing")]


# --- 14: HSTS, trusted proxies, /metrics behind a token --------------------------------------

def test_production_answers_carry_hsts_and_development_does_not(settings, clock, redis_conn):
    production = settings.with_changes(env="production", zoom_account_id="a", zoom_client_id="c",
                                       zoom_client_secret="s", smtp_url="smtp://mail:25")
    app = create_app(production, clock=clock)
    assert app.test_client().get("/healthz").headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" in app.test_client().get("/staff/sign-in").headers
    app.extensions["zoombridge.db"].dispose()
    dev = create_app(settings, clock=clock)
    assert "Strict-Transport-Security" not in dev.test_client().get("/healthz").headers
    dev.extensions["zoombridge.db"].dispose()


def _register(client, session_id: int, forwarded_for: str) -> int:
    """One (empty, so refused as incomplete) registration attempt through a proxy at 10.0.0.2."""
    token = csrf_token_of(client, f"/register/{session_id}")
    return client.post(f"/register/{session_id}", data={"csrf_token": token}, headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code


def _attempts_until_refused(client, session_id: int, forwarded_for: str) -> list[int]:
    return [_register(client, session_id, forwarded_for) for _ in range(21)]


@pytest.fixture
def open_session(db, clock):
    with db() as s:
        return add_session(s, kind="cuppa", starts_at=clock.now() + timedelta(days=30), meeting_uuid="open").id


def test_behind_a_trusted_proxy_the_registration_limit_counts_people_not_the_proxy(settings, clock, redis_conn,
                                                                                   open_session):
    app = create_app(settings.with_changes(trusted_proxies=1), clock=clock)
    client = app.test_client()
    assert _attempts_until_refused(client, open_session, "203.0.113.5")[-1] == 429
    # Another person behind the same proxy is not refused because the first one was.
    assert _register(client, open_session, "203.0.113.6") == 400
    app.extensions["zoombridge.db"].dispose()


def test_without_a_trusted_proxy_a_client_cannot_escape_the_limit_with_a_forwarded_header(client, open_session):
    assert _attempts_until_refused(client, open_session, "203.0.113.5")[-1] == 429
    assert _register(client, open_session, "198.51.100.9") == 429


def test_metrics_need_the_metrics_token_or_a_staff_token(settings, clock, redis_conn, staff_headers, client):
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "zoombridge_" not in refused.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer zb_not-a-token"}).status_code == 401
    assert client.get("/metrics", headers=staff_headers).status_code == 200
    token = "p" * 40
    app = create_app(settings.with_changes(metrics_token=token), clock=clock)
    scraped = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert scraped.status_code == 200 and "zoombridge_redis_up 1" in scraped.get_data(as_text=True)
    app.extensions["zoombridge.db"].dispose()


def test_healthz_stays_open_for_load_balancers(client):
    """The load balancer's check (`?only=web`: database and Redis) needs no token."""
    assert client.get("/healthz?only=web").status_code == 200


# --- 15: slow clients do not block the web tier (the real gunicorn, as the Procfile runs it) ---

@pytest.fixture
def web_server(tmp_path, database_url, redis_url):
    """`zoombridge web` as the Procfile starts it, on a free port, its body deadline cut to 2 s."""
    port = free_port()
    env = _bare_env(tmp_path, ZOOMBRIDGE_ENV="testing", ZOOMBRIDGE_DATABASE_URL=database_url, REDIS_URL=redis_url,
                    ZOOM_WEBHOOK_SECRET_TOKEN=WEBHOOK_SECRET, ZOOMBRIDGE_SECRET_KEY=STRONG_KEY,
                    ZOOMBRIDGE_BODY_READ_SECONDS="2", PORT=str(port))
    command = shlex.split(_procfile("web").replace("0.0.0.0", "127.0.0.1"))
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def healthy() -> bool:
        try:
            return _get(port, "/healthz?only=web", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_until(healthy, 45, interval=0.2, what="zoombridge web to answer /healthz")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _get(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _slow_client(port: int) -> socket.socket:
    """A POST that promises 1,000 bytes and sends 10: it holds whatever reads its body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /zoom/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"event\": ")
    return sock


def test_two_slow_clients_do_not_stall_health_checks_or_webhooks(web_server):
    slow = [_slow_client(web_server) for _ in range(2)]
    try:
        # Answers must come while both slow bodies are still open (well inside their 2 s deadline);
        # with two sync workers they waited for the slow bodies instead.
        assert _get(web_server, "/healthz?only=web", timeout=1.5)[0] == 200
        raw = json.dumps({"event": "meeting.started", "event_ts": 1, "payload": {"object": {"uuid": "u1", "id": 1}}}).encode()
        conn = http.client.HTTPConnection("127.0.0.1", web_server, timeout=1.5)
        conn.request("POST", "/zoom/webhook", body=raw,
                     headers={"Content-Type": "application/json", **signed_headers(WEBHOOK_SECRET, raw, datetime.now(UTC))})
        assert conn.getresponse().status == 200
        conn.close()
        # The slow bodies are cut off at their deadline: the server answers and closes.
        for sock in slow:
            sock.settimeout(10)
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 4"), answer[:80]
    finally:
        for sock in slow:
            sock.close()


def test_a_chunked_webhook_body_over_a_mebibyte_is_413_from_the_real_server(web_server):
    conn = http.client.HTTPConnection("127.0.0.1", web_server, timeout=30)

    def body():
        for _ in range(40):
            yield b"x" * 65536

    conn.request("POST", "/zoom/webhook", body=body(), headers={"Content-Type": "application/json"},
                 encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["code"] == "request_entity_too_large"


# --- 16: the stand-in's request lines carry no emails or OAuth state --------------------------

def test_the_standin_logs_requests_without_emails_or_oauth_state(tmp_path):
    port = free_port()
    env = _bare_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "zoombridge.cli", "sandbox", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: _answers(port), 30, interval=0.2, what="the stand-in")
        _get(port, "/oauth/authorize?response_type=code&client_id=x&state=STATE-abc123&login_hint=someone%40example.org"
             "&redirect_uri=http://127.0.0.1/cb", timeout=5)
        _get(port, "/v2/users/host%40example.org/meetings?next_page_token=", timeout=5)
        _get(port, "/v2/users/host@example.org/settings", timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    assert '"GET /oauth/authorize"' in output and "/v2/users/h***@e***/meetings" in output
    for secret in ("someone", "example.org", "STATE-abc123", "host@", "host%40"):
        assert secret not in output, secret


def _answers(port: int) -> bool:
    try:
        _get(port, "/_sandbox/", timeout=1)
        return True
    except OSError:
        return False


def test_the_body_deadline_is_a_setting_within_bounds():
    with pytest.raises(ConfigError, match="BODY_READ_SECONDS"):
        load_settings({"ZOOMBRIDGE_BODY_READ_SECONDS": "0"})
    assert load_settings({}).body_read_seconds == 20


def test_a_line_break_in_a_path_cannot_forge_an_access_log_line(web_server, tmp_path):
    """gunicorn logs the path decoded: `%0A` wrote a line break and a line of the caller's choosing."""
    sock = socket.create_connection(("127.0.0.1", web_server), timeout=10)
    sock.sendall(b"GET /healthz%0A127.0.0.1%20%22POST%20/forged%22%20200%0D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert sock.recv(64).startswith(b"HTTP/1.1 404")
    sock.close()
    log = tmp_path / "web.log"
    wait_until(lambda: b"forged" in log.read_bytes(), 10, what="the access log line")
    (line,) = [line for line in log.read_text().splitlines() if "forged" in line]
    assert line.startswith('127.0.0.1 "GET /healthz\\n127.0.0.1 \\"POST /forged\\" 200\\r" 404 ')
