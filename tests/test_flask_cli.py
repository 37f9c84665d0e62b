"""Flask's own command line works on the app factory: `flask --app zoombridge.app routes | shell`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import add_session
from tests.conftest import WEBHOOK_SECRET
from tests.faults.processes import ROOT, process_env

FLASK = Path(sys.executable).parent / "flask"


@pytest.fixture
def env(database_url, redis_url, tmp_path):
    return process_env(database_url, redis_url, tmp_path / "flask-instance", WEBHOOK_SECRET)


def flask(env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    done = subprocess.run([str(FLASK), "--app", "zoombridge.app", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_flask_routes_lists_every_route_of_the_app(env, app):
    listed = flask(env, "routes").stdout
    for rule in app.url_map.iter_rules():
        assert rule.rule in listed, rule.rule
    assert "api_contract.openapi_document" in listed and "staff_jobs.jobs" in listed


def test_flask_shell_has_the_database_settings_and_redis_at_hand(env, db):
    with db() as s:
        add_session(s, title="Cuppa for the shell")
    script = ("from sqlalchemy import select\n"
              "with db() as s: print('title:', s.scalar(select(models.Session.title)))\n\n"
              "print('env:', settings.env, 'redis:', redis.ping(), 'now:', type(now()).__name__)\n")
    out = flask(env, "shell", stdin=script).stdout
    assert "title: Cuppa for the shell" in out
    assert "env: testing redis: True now: datetime" in out
