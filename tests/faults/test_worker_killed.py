"""A worker killed (SIGKILL) in the middle of an ingest batch loses and doubles nothing.

Promise: the ingest of a meeting is one transaction that marks its inbox rows processed together
with the segments they made, so a worker killed part way leaves that meeting's rows pending and
no segments from them; after a restart every inbox event is processed exactly once and each
meeting's attendance equals an uninterrupted run's.

Real processes: `zoombridge worker` (RQ's forking worker) in its own process group, killed with
SIGKILL together with its work horse while it drains a queue of big meetings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import StartedJobRegistry

from tests.faults.conftest import attendance_of, fill_inbox, status_counts
from tests.faults.processes import Worker, wait_until
from tests.zoom_events import network_session
from workers.jobs import ingest as ingest_jobs
from zoombridge.queue.ingest import request_ingest
from zoombridge.queue.queues import INGEST, enqueue_once, get_queue

PEOPLE = 500  # ~2,950 events a meeting: each ingest runs long enough to be killed in the middle
MEETINGS = [f"killed-{k}==" for k in range(4)]
START = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _rewritten(key: str, meeting_uuid: str) -> str:
    return key.replace(meeting_uuid, "M")


def test_sigkill_mid_batch_then_restart_processes_every_event_exactly_once(
        app, db, redis_conn, subprocess_env, tmp_path):
    engine = app.extensions["zoombridge.db"].engine
    # The uninterrupted run, in this process: the same people's meeting under another UUID.
    control = network_session("control==", PEOPLE, START, who="person")
    fill_inbox(engine, control, datetime.now(UTC))
    with app.app_context():
        ingest_jobs.ingest_meeting("control==")
    expected = attendance_of(db, "control==")
    assert len(expected) > 2 * PEOPLE

    received = datetime.now(UTC) - timedelta(minutes=5)  # old enough for the sweeper after the restart
    for meeting_uuid in MEETINGS:
        fill_inbox(engine, network_session(meeting_uuid, PEOPLE, START, who="person"), received)
        assert request_ingest(redis_conn, meeting_uuid)
    total = sum(status_counts(db, m)["pending"] for m in MEETINGS)
    assert total == len(MEETINGS) * len(control)

    log = tmp_path / "worker.log"
    worker = Worker(subprocess_env, log_path=log)
    lock_keys = {m: ingest_jobs.LOCK.format(m) for m in MEETINGS}
    try:
        wait_until(lambda: status_counts(db, MEETINGS[0]).get("processed") == len(control)
                   and any(redis_conn.exists(lock_keys[m]) for m in MEETINGS[1:]),
                   timeout=120, interval=0.01, what="the first meeting done and the next one's ingest running")
    finally:
        worker.kill()

    # The kill landed inside a job: its lock was never released (SIGKILL skips `finally`).
    [in_flight] = [m for m in MEETINGS[1:] if redis_conn.exists(lock_keys[m])]
    assert status_counts(db, in_flight) == {"pending": len(control)}  # nothing half-written
    assert attendance_of(db, in_flight) == []
    assert len(StartedJobRegistry(queue=get_queue(INGEST, redis_conn))) == 1  # the abandoned job
    processed_before_restart = sum(status_counts(db, m).get("processed", 0) for m in MEETINGS)
    assert 0 < processed_before_restart < total

    # The dead job's heartbeat goes stale (its worker refreshed it every 30 s while alive): move it
    # two minutes back rather than wait. The next ingest of that meeting then takes the lock over.
    dead_job_id = redis_conn.get(lock_keys[in_flight]).decode()
    redis_conn.hset(f"rq:job:{dead_job_id}", "last_heartbeat",
                    (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    # The scheduler's next minute tick: the sweeper re-queues meetings whose rows wait.
    enqueue_once(redis_conn, "workers.jobs.ingest.sweep_inbox", job_id="sweep:after-restart", queue=INGEST)
    restarted = Worker(subprocess_env, burst=True, log_path=log)
    assert restarted.wait(timeout=180) == 0, log.read_text()[-3000:]

    for meeting_uuid in MEETINGS:
        assert status_counts(db, meeting_uuid) == {"processed": len(control)}
        got = attendance_of(db, meeting_uuid)
        assert len(got) == len(expected)
        assert [(_rewritten(k, meeting_uuid), *rest) for k, *rest in got] == \
            [(_rewritten(k, "control=="), *rest) for k, *rest in expected]
    print(f"\nworker SIGKILL: {total} events in {len(MEETINGS)} meetings; {processed_before_restart} processed "
          f"before the kill, {total - processed_before_restart} after the restart; "
          f"{len(expected)} segments per meeting, equal to the uninterrupted run; 0 duplicates")
