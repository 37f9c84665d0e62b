"""The database unavailable for a while: webhooks are answered 503, Zoom's retries land once.

Promise: while the database cannot be reached, every delivery is answered 503 with a JSON error
(Zoom retries 5xx at +5, +20 and +60 minutes) and nothing is half-stored; an ingest job that
runs meanwhile fails and is retried. Once the database is back, Zoom's replays of the refused
deliveries are stored and processed once, repeats of deliveries stored before the outage are
answered "duplicate", and the attendance equals an uninterrupted run's.

The outage is real: on PostgreSQL the app reaches the server through a private TCP proxy that is
cut (open connections closed, new ones refused); on SQLite the folder holding the database file
is renamed away, so opening it fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, WEBHOOK_SECRET, JobRunner
from tests.faults.conftest import attendance_of, fill_inbox, status_counts
from tests.faults.processes import CuttableProxy
from tests.zoom_events import network_session
from workers.jobs import ingest as ingest_jobs
from workers.worker import make_worker
from zoombridge.app import create_app
from zoombridge.queue.queues import all_queues
from zoombridge.zoom.signature import signed_headers, webhook_bytes

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
PEOPLE = 20


class Outage:
    def __init__(self, url: str, down, up):
        self.url, self.down, self.up = url, down, up


@pytest.fixture
def outage(database_url, sqlite_template, tmp_path):
    if TEST_DATABASE_URL:
        target = make_url(database_url)
        proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432).start()
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield Outage(url, proxy.cut, proxy.restore)
        proxy.stop()
        return
    folder = tmp_path / "database"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "zoombridge.sqlite3")
    away = tmp_path / f"database-away-{uuid.uuid4().hex[:6]}"
    yield Outage(f"sqlite:///{folder / 'zoombridge.sqlite3'}", lambda: os.rename(folder, away),
                 lambda: os.rename(away, folder))
    if away.exists():
        os.rename(away, folder)


def _post(client, clock, body):
    raw = webhook_bytes(body)
    return client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))


def test_while_the_database_is_down_webhooks_get_503_and_zooms_retries_are_processed_once(
        settings, clock, redis_conn, outage):
    app = create_app(settings.with_changes(database_url=outage.url), clock=clock)
    app.config["TESTING"] = True
    database = app.extensions["zoombridge.db"]
    db = database.session
    client = app.test_client()
    fill_inbox(database.engine, network_session("control==", PEOPLE, START, who="person"), clock.now())
    with app.app_context():
        ingest_jobs.ingest_meeting("control==")
    expected = attendance_of(db, "control==")

    bodies = network_session("outage==", PEOPLE, START, who="person")
    before, during, after = bodies[:40], bodies[40:80], bodies[80:]
    assert all(_post(client, clock, b).get_json() == {"status": "stored"} for b in before)

    outage.down()
    database.dispose()  # pooled SQLite connections would keep the moved file open
    refused = [_post(client, clock, b) for b in during + before[:10]]
    assert {r.status_code for r in refused} == {503}
    assert {r.get_json()["error"]["code"] for r in refused} == {"unavailable"}
    worker = make_worker(app, redis_conn, all_queues(redis_conn), simple=True, name=f"outage-{uuid.uuid4().hex[:6]}")
    worker.work(burst=True, with_scheduler=False)  # the job queued before the outage fails now
    run = JobRunner(app, redis_conn, clock)
    waiting = [j for q in all_queues(redis_conn) for j in q.scheduled_job_registry.get_job_ids()]
    assert len([j for j in waiting if j.startswith("ingest_")]) == 1  # waiting for its retry, not lost

    outage.up()
    clock.advance(minutes=5)  # Zoom's first retry
    replays = [_post(client, clock, b).get_json()["status"] for b in during]
    repeats = [_post(client, clock, b).get_json()["status"] for b in before[:10]]
    assert replays == ["stored"] * len(during)
    assert repeats == ["duplicate"] * 10
    clock.advance(minutes=15)
    late = [_post(client, clock, b).get_json()["status"] for b in during[:5] + after]  # +20 min retries, the rest
    assert late == ["duplicate"] * 5 + ["stored"] * len(after)
    run()
    assert status_counts(db, "outage==") == {"processed": len(bodies)}
    assert attendance_of(db, "outage==") == expected
    assert run.failed() == []
    database.dispose()
    print(f"\ndatabase down: {len(refused)} deliveries answered 503 during the outage (0 stored); after it "
          f"{len(during)} replays stored, {len(repeats) + 5} repeats answered duplicate; {len(bodies)} inbox rows, "
          f"each processed once; ingest job failed once during the outage and succeeded on retry")
