"""Redis restarted (crashed, come back empty) while webhooks arrive: nothing is lost.

Promise: every delivery is answered 200 or 503 (never another 5xx), each is stored once in the
inbox before it is answered, and once Redis is back the sweeper queues whatever lost its job
(the queued jobs and pending flags died with Redis), so every event is processed and the
attendance equals an uninterrupted run's.

Real parts: our own `redis-server` on a free port (no persistence, SIGKILLed and started again
on the same port; never the machine's shared Redis), the app behind a threaded HTTP server, and
deliveries from four threads at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis

from tests.conftest import JobRunner
from tests.faults.conftest import attendance_of, fill_inbox, post_concurrently, status_counts
from tests.faults.processes import RedisServer
from tests.zoom_events import network_session
from workers.jobs import ingest as ingest_jobs
from zoombridge.app import create_app
from zoombridge.queue.queues import INGEST, all_queues, enqueue_once
from zoombridge.sandbox.server import StandinServer

START = datetime(2026, 11, 24, 10, tzinfo=UTC)
PEOPLE = 20


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_redis_crashing_and_coming_back_empty_loses_no_webhook(settings, clock, db, tmp_path, private_redis):
    app = create_app(settings.with_changes(redis_url=private_redis.url), clock=clock)
    engine = app.extensions["zoombridge.db"].engine
    fill_inbox(engine, network_session("control==", PEOPLE, START, who="person"), clock.now())
    with app.app_context():
        ingest_jobs.ingest_meeting("control==")
    expected = attendance_of(db, "control==")

    # A: all its deliveries before the crash (its queued job dies with Redis); B: all while Redis
    # is down (no job at all); C: across all three phases.
    a, b, c = (network_session(f"{name}==", PEOPLE, START, who="person") for name in "ABC")
    third = len(c) // 3
    phases = {"up": a + c[:third] + a[:10], "down": b + c[third:2 * third] + b[:10],
              "back": c[2 * third:] + c[:10]}  # each phase repeats ten deliveries (Zoom's duplicates)
    server = StandinServer(app, quiet=True).start()
    answers = {}
    try:
        url = server.url + "/zoom/webhook"
        answers["up"] = post_concurrently(url, phases["up"], clock.now())
        private_redis.crash()
        answers["down"] = post_concurrently(url, phases["down"], clock.now())
        private_redis.start()
        answers["back"] = post_concurrently(url, phases["back"], clock.now())
    finally:
        server.stop()

    every = [status for phase in answers.values() for status in phase]
    assert set(every) <= {200, 503}
    retried = [body for phase, bodies in phases.items() for body, status in zip(bodies, answers[phase], strict=True)
               if status == 503]
    assert retried == []  # the database was up throughout, so Redis alone never costs a 503
    distinct = len(a) + len(b) + len(c)
    assert sum(status_counts(db, m).get("pending", 0) for m in ("A==", "B==", "C==")) == distinct

    conn = redis.Redis.from_url(private_redis.url)
    assert sum(q.count for q in all_queues(conn)) == 1  # only C's job, queued after the restart
    run = JobRunner(app, conn, clock)
    run()
    assert status_counts(db, "C==") == {"processed": len(c)}
    assert status_counts(db, "A==") == {"pending": len(a)}  # their jobs were lost with Redis
    assert status_counts(db, "B==") == {"pending": len(b)}

    clock.advance(minutes=2)  # past the sweeper's grace minute
    enqueue_once(conn, "workers.jobs.ingest.sweep_inbox", job_id="sweep:tick", queue=INGEST)
    run()
    for meeting_uuid, bodies in (("A==", a), ("B==", b), ("C==", c)):
        assert status_counts(db, meeting_uuid) == {"processed": len(bodies)}
        assert attendance_of(db, meeting_uuid) == expected
    assert run.failed() == []
    conn.close()
    app.extensions["zoombridge.db"].dispose()
    print(f"\nredis restart: {len(every)} deliveries ({len(answers['down'])} while Redis was down, "
          f"{len(every) - distinct} repeats): {every.count(200)} answered 200, {every.count(503)} 503; "
          f"{distinct} inbox rows, all processed once after the sweeper; {len(expected)} segments per meeting")
