"""The meeting's ingest lock: a live holder keeps it, a dead one loses it at once."""

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from rq.job import JobStatus

from workers.jobs import ingest

MEETING = "lock-test-meeting=="


def _holding_job(redis_conn, *, status: str, heartbeat_ago: timedelta) -> str:
    job = Queue("ingest", connection=redis_conn).enqueue("workers.jobs.ingest.ingest_meeting", MEETING)
    job.set_status(status)
    job.heartbeat(datetime.now(UTC) - heartbeat_ago, ttl=600)
    redis_conn.set(ingest.LOCK.format(MEETING), job.id, ex=ingest.LOCK_SECONDS)
    return job.id


@pytest.fixture
def quick_wait(monkeypatch):
    monkeypatch.setattr(ingest, "LOCK_WAIT_SECONDS", 0.05)


def test_a_lock_held_by_a_running_job_with_a_fresh_heartbeat_is_respected(app, redis_conn, quick_wait):
    holder = _holding_job(redis_conn, status=JobStatus.STARTED, heartbeat_ago=timedelta(seconds=10))
    with app.app_context(), pytest.raises(ingest.IngestBusy):
        ingest._take_meeting_lock(redis_conn, MEETING)
    assert redis_conn.get(ingest.LOCK.format(MEETING)).decode() == holder


@pytest.mark.parametrize(("status", "heartbeat_ago"), [
    (JobStatus.STARTED, timedelta(minutes=2)),  # killed: its worker stopped refreshing the heartbeat
    (JobStatus.FAILED, timedelta(seconds=1)),  # ended without releasing
    (JobStatus.FINISHED, timedelta(seconds=1)),
])
def test_a_lock_left_by_a_dead_or_ended_job_is_taken_over(app, redis_conn, quick_wait, status, heartbeat_ago):
    dead = _holding_job(redis_conn, status=status, heartbeat_ago=heartbeat_ago)
    with app.app_context():
        lock = ingest._take_meeting_lock(redis_conn, MEETING)
    assert redis_conn.get(ingest.LOCK.format(MEETING)).decode() != dead
    lock.release()
    assert redis_conn.get(ingest.LOCK.format(MEETING)) is None


def test_a_lock_whose_job_no_longer_exists_is_taken_over(app, redis_conn, quick_wait):
    redis_conn.set(ingest.LOCK.format(MEETING), "ingest_gone-job", ex=ingest.LOCK_SECONDS)
    with app.app_context():
        lock = ingest._take_meeting_lock(redis_conn, MEETING)
    holder = redis_conn.get(ingest.LOCK.format(MEETING)).decode()
    assert holder != "ingest_gone-job" and holder.startswith("local-")  # taken over, under this caller's token
    lock.release()
    assert redis_conn.get(ingest.LOCK.format(MEETING)) is None
