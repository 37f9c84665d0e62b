"""The SMTP server down while the links go out: nobody gets two emails, nobody gets none.

Promise: each registration's link email is sent once per intent. While the mail server refuses
connections, and then while it answers "451 try again later" to some messages, the emails not
accepted stay `failed` and are retried (RQ's retries, then the session sweep); once the server
accepts again every registered person has exactly one link email.

Real parts: the staff API, the jobs, the Zoom stand-in over HTTP, and an aiosmtpd server on
loopback that is stopped (connection refused), started again, and told to refuse some messages.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.sessions.api_client import Api
from zoombridge.queue.queues import DEFAULT, enqueue_once
from zoombridge.store.models import EmailMessage, Registration

PEOPLE = 30


@pytest.fixture
def settings(settings, smtp_server, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url,
                                 smtp_url=smtp_server.url)


def _link_rows(db) -> Counter:
    with db() as s:
        return Counter(s.scalars(select(EmailMessage.status).where(EmailMessage.intent.like("link%"))))


def test_smtp_refusing_then_accepting_sends_each_link_exactly_once(
        client, staff_headers, db, run_jobs, smtp_server, standin_server, clock, redis_conn):
    api = Api(client, staff_headers)
    session = api.new_session(kind="co-production", title="Our website", start="2026-12-08T10:00")
    for n in range(PEOPLE):
        api.register(session["id"], first_name=f"Person{n}", email=f"person{n}@example.org")
    run_jobs()  # the meeting and the 30 Zoom registrants
    with db() as s:
        assert all(r.join_url for r in s.scalars(select(Registration)))

    smtp_server.controller.stop()  # connection refused from now on
    clock.set(datetime(2026, 12, 5, 10, tzinfo=UTC))  # links are due
    run_jobs()
    assert smtp_server.handler.accepted == []
    while_down = _link_rows(db)
    assert while_down["sent"] == 0 and while_down["unconfirmed"] == 0
    gave_up = [job.id for job in run_jobs.failed()]
    assert gave_up and all(job_id.startswith("send-links") for job_id in gave_up)  # retried, then left to the sweep

    # Back on the same port (a stopped aiosmtpd controller cannot start again), answering 451 to
    # the next 7 messages.
    smtp_server.controller = Controller(smtp_server.handler, hostname="127.0.0.1", port=smtp_server.port)
    smtp_server.controller.start()
    back_at = clock.now()  # the retries above waited (by the test clock) while the server was down
    smtp_server.handler.refuse_next = 7
    sweeps = 0
    for _ in range(6):  # the sweep runs every 5 minutes
        with db() as s:
            if all(r.link_sent_at for r in s.scalars(select(Registration))):
                break
        clock.advance(minutes=5)
        enqueue_once(redis_conn, "workers.jobs.sweep.sweep_sessions", job_id=f"sweep:{sweeps}", queue=DEFAULT)
        run_jobs()
        sweeps += 1

    received = Counter(m["To"] for m in smtp_server.messages)
    assert len(received) == PEOPLE and set(received.values()) == {1}  # all 30, each once
    assert smtp_server.handler.refuse_next == 0  # the 7 temporary refusals were met and retried
    assert _link_rows(db) == Counter({"sent": PEOPLE})
    with db() as s:
        attempts = sum(s.scalars(select(EmailMessage.attempts).where(EmailMessage.intent.like("link%"))))
        assert all(r.link_sent_at for r in s.scalars(select(Registration)))
    print(f"\nSMTP down: {PEOPLE} links; while the server refused connections 0 sent "
          f"(link rows {dict(while_down)}, jobs given up {len(gave_up)}); after it came back (7 messages refused with 451) {sweeps} sweep(s); "
          f"{sum(received.values())} emails to {len(received)} people, each exactly once; {attempts} send attempts")
    assert clock.now() - back_at <= timedelta(minutes=30)  # everyone had their link within 30 minutes of its return
