"""Zoom throttling and failing while 20 sessions get their meetings: one meeting each, no storm.

Promise: with the Zoom stand-in answering `429 Retry-After` and then 5xx to meeting creation,
every session still ends with exactly one Zoom meeting (no duplicates, none missing). When Zoom
says the host's *daily* create limit is reached, the breaker opens and no further create call
is sent until it resets; every create job waits for the reset (noted for the session page)
instead of failing, and at midnight they finish on their own, again with one meeting each.

Real parts: the staff API, the create-meeting jobs, the real Zoom client over HTTP, the
stand-in (request and answer bodies checked against Zoom's spec) and its fault switch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.sessions.api_client import Api
from zoombridge.metrics import read_counters
from zoombridge.queue.queues import DEFAULT, enqueue_once
from zoombridge.sandbox.app import FAULTS_KEY
from zoombridge.store.models import Session, ZoomWait

CREATE = "/v2/users/"  # the path prefix of meeting creation, for the fault switch


@pytest.fixture
def settings(settings, smtp_server, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url,
                                 smtp_url=smtp_server.url)


@pytest.fixture
def create_calls(standin_answers) -> Callable[[], Counter]:
    """Meeting-create calls that reached the stand-in, by the status it answered."""
    return lambda: standin_answers.statuses("POST", "/meetings")


def _meetings_by_session(db, standin_server) -> dict[int, int]:
    with db() as s:
        sessions = s.scalars(select(Session).order_by(Session.id)).all()
    return {x.id: x.zoom_meeting_id for x in sessions}


def _new_sessions(api: Api, count: int, first: datetime) -> list[int]:
    ids = []
    for n in range(count):
        start = (first + timedelta(days=n // 4, hours=n % 4)).strftime("%Y-%m-%dT%H:%M")
        ids.append(api.new_session(kind="co-production", title=f"Session {n}", start=start)["id"])
    return ids


def test_429_then_5xx_during_creation_of_20_sessions_gives_each_exactly_one_meeting(
        client, staff_headers, db, run_jobs, standin_server, create_calls, redis_conn):
    api = Api(client, staff_headers)
    faults = standin_server.app.extensions[FAULTS_KEY]
    faults.arm("rate_limit", times=8, retry_after="2", method="POST", path_prefix=CREATE)
    faults.arm("server_error", times=8, status=503, method="POST", path_prefix=CREATE)
    ids = _new_sessions(api, 20, datetime(2026, 12, 7, 10, tzinfo=UTC))
    run_jobs()

    meetings = list(standin_server.state.meetings.values())
    by_session = _meetings_by_session(db, standin_server)
    assert len(meetings) == 20
    assert sorted(by_session) == ids and len(set(by_session.values())) == 20
    assert set(by_session.values()) == {m["id"] for m in meetings}
    with db() as s:
        assert {x.zoom_meeting_state for x in s.scalars(select(Session))} == {"created"}
    assert create_calls() == Counter({429: 8, 503: 8, 201: 20})  # every fault met once, then one create each
    assert faults.armed() == []
    retries = read_counters(redis_conn).get('zoombridge_zoom_requests_total{outcome="retry"}', 0)
    print(f"\nmeeting creation under 429/5xx: 20 sessions, {sum(create_calls().values())} create calls "
          f"({dict(create_calls())}), {len(meetings)} Zoom meetings, {retries} client retries")


def test_the_daily_limit_opens_the_breaker_and_the_waiting_jobs_finish_after_midnight(
        client, staff_headers, db, run_jobs, standin_server, create_calls, redis_conn, clock):
    api = Api(client, staff_headers)
    faults = standin_server.app.extensions[FAULTS_KEY]
    midnight = datetime(2026, 11, 25, tzinfo=UTC)
    faults.arm("daily_limit", times=1, retry_after=midnight.strftime("%Y-%m-%dT%H:%M:%SZ"), method="POST",
               path_prefix=CREATE)
    ids = _new_sessions(api, 20, datetime(2026, 12, 7, 10, tzinfo=UTC))
    run_jobs()

    assert create_calls() == Counter({429: 1})  # the breaker kept the other 19 creates (and retries) at home
    assert standin_server.state.meetings == {}
    counters = read_counters(redis_conn)
    refused = counters['zoombridge_zoom_requests_total{outcome="breaker_open"}']
    assert refused >= 19
    with db() as s:
        assert {x.zoom_meeting_state for x in s.scalars(select(Session))} <= {"creating", "none"}

    with db() as s:
        waiting = s.scalars(select(ZoomWait)).all()
    assert sorted(w.session_id for w in waiting) == ids and {w.until for w in waiting} == {midnight}
    assert not run_jobs.failed()  # waiting is not failing

    clock.set(midnight + timedelta(seconds=1))  # the breaker has closed: the waiting jobs run
    run_jobs()
    by_session = _meetings_by_session(db, standin_server)
    assert sorted(by_session) == ids and len(set(by_session.values())) == 20
    assert len(standin_server.state.meetings) == 20
    assert create_calls() == Counter({429: 1, 201: 20})
    with db() as s:
        assert s.scalars(select(ZoomWait)).all() == []
    enqueue_once(redis_conn, "workers.jobs.sweep.sweep_sessions", job_id="sweep-sessions:tick", queue=DEFAULT)
    run_jobs()  # the safety sweep finds nothing left to do
    assert create_calls() == Counter({429: 1, 201: 20})
    print(f"\ndaily limit: 1 create call answered 429 daily, {refused} calls refused by the breaker without "
          f"reaching Zoom; the 20 jobs waited for midnight and made 20 meetings with 20 calls")
