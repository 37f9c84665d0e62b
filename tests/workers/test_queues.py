from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from zoombridge.queue.queues import DEFAULT, enqueue_once
from zoombridge.store import db_session
from zoombridge.store.models import AuditEntry


def record_job_ran(label: str) -> str:
    """A job that needs the app context: it writes through the app's database."""
    from zoombridge.runtime import now

    with db_session() as s:
        s.add(AuditEntry(at=now(), actor="worker", action="job-ran", subject_type="test", subject_id=label,
                         details={"app": current_app.name}))
    return label


def _runs(db, label):
    with db() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.subject_id == label))


def test_a_job_enqueued_through_the_helper_runs_in_the_app_context_and_writes_to_the_database(
        app, redis_conn, run_jobs, db):
    job = enqueue_once(redis_conn, record_job_ran, "first", job_id="test:first", queue=DEFAULT)
    assert run_jobs() == 1
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == "first"
    assert _runs(db, "first") == 1


def test_the_same_job_id_enqueued_twice_runs_once(app, redis_conn, run_jobs, db):
    a = enqueue_once(redis_conn, record_job_ran, "twice", job_id="test:twice")
    b = enqueue_once(redis_conn, record_job_ran, "twice", job_id="test:twice")
    assert a.id == b.id
    run_jobs()
    assert _runs(db, "twice") == 1


def test_an_intent_can_run_again_once_the_earlier_job_has_finished(app, redis_conn, run_jobs, db):
    enqueue_once(redis_conn, record_job_ran, "again", job_id="test:again")
    run_jobs()
    enqueue_once(redis_conn, record_job_ran, "again", job_id="test:again")
    run_jobs()
    assert _runs(db, "again") == 2


def test_a_delayed_job_waits_for_the_injected_clock(app, redis_conn, run_jobs, clock, db):
    enqueue_once(redis_conn, record_job_ran, "later", job_id="test:later", delay=timedelta(hours=3), now=clock.now())
    run_jobs()
    assert _runs(db, "later") == 0
    clock.advance(hours=3, seconds=1)
    run_jobs()
    assert _runs(db, "later") == 1


def test_a_failing_job_is_retried_with_rq_retry(app, redis_conn, run_jobs):
    from rq import Retry

    job = enqueue_once(redis_conn, "tests.workers.test_queues.always_fails", job_id="test:fails",
                       retry=Retry(max=2, interval=0))
    run_jobs()
    [failed] = run_jobs.failed()
    assert failed.id == job.id
    assert failed.get_status() == "failed"
    assert failed.retries_left == 0
    assert "ValueError: bad data" in failed.latest_result().exc_string


def always_fails():
    raise ValueError("bad data")


def test_intents_become_valid_rq_job_ids():
    from rq.job import JOB_ID_PATTERN

    from zoombridge.queue.queues import job_id_for

    assert job_id_for("create-meeting:12") == "create-meeting_12"
    odd = job_id_for("ingest:/ajXp112QmuoKj4854875==")
    assert odd.startswith("ingest_") and JOB_ID_PATTERN.fullmatch(odd)
    assert odd != job_id_for("ingest:/ajXp112QmuoKj4854875=+")
