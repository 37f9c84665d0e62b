"""Group commit on the webhook path, with real threads against the real database.

Promise: deliveries that arrive while a commit is in progress are stored together in the next
one (one statement, one commit); each is answered only after the commit that holds its row, so
a commit that fails answers none of its group 200 and stores none of it; a duplicate in the same
group is stored once; and a delivery the database refuses costs the rest of its group nothing.

Each test holds the first commit open (a listener on the inbox's insert, which commits on its
own) until the other threads are queued behind it, so the group is formed by the test, not by luck.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError, OperationalError

from tests.conftest import WEBHOOK_SECRET
from tests.faults.processes import wait_until
from zoombridge.metrics import read_counters
from zoombridge.queue.queues import INGEST, get_queue
from zoombridge.sandbox.events import Participant as Attendee
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store.inbox import Delivery, InboxWriter
from zoombridge.store.models import InboxEvent
from zoombridge.web import webhooks as webhook_view
from zoombridge.zoom.signature import signed_headers
from zoombridge.zoom.signature import webhook_bytes as encode
from zoombridge.zoom.webhooks import inbox_record

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PEOPLE = 8


class HeldCommits:
    """Counts the inbox's commits and holds the first one until `release_first` is set.

    The inbox insert runs on its own (autocommit): the statement is the commit, and the database
    has it on disk when the statement returns. So holding the statement holds the commit, and
    failing it is a commit that never happened."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.release_first = threading.Event()
        self.first_reached = threading.Event()
        self.fail: int | None = None  # the commit with this number fails
        event.listen(engine, "before_cursor_execute", self._on_statement)

    def _on_statement(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("INSERT INTO webhook_inbox"):
            return
        self.count += 1
        if self.count == 1:
            self.first_reached.set()
            assert self.release_first.wait(timeout=30), "the test never released the first commit"
        if self.count == self.fail:
            raise OperationalError("INSERT", {}, Exception("the server went away during the commit"))

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_statement)


@pytest.fixture
def commits(app):
    held = HeldCommits(app.extensions["zoombridge.db"].engine)
    yield held
    held.release_first.set()
    held.remove()


def _post(app, clock, raw: bytes, body_stream=None):
    """One signed delivery through the app; `body_stream` stands in for the raw bytes on the wire."""
    return app.test_client().post("/zoom/webhook", data=None if body_stream else raw, input_stream=body_stream,
                                  headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()),
                                  content_type="application/json")


def _writer(app) -> InboxWriter:
    with app.app_context():
        return webhook_view._writer()


def _deliver_concurrently(app, clock, bodies: list[dict], commits: HeldCommits):
    """Post the first body, hold its commit until all the others wait behind it, then let it go.
    Returns each body's (status, JSON answer, commits done when it was answered)."""
    writer = _writer(app)

    def post(body):
        answer = _post(app, clock, encode(body))
        return answer.status_code, answer.get_json(), commits.count

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        first = pool.submit(post, bodies[0])
        assert commits.first_reached.wait(timeout=30)
        rest = [pool.submit(post, body) for body in bodies[1:]]
        wait_until(lambda: writer.waiting == len(bodies) - 1, timeout=30, what="the others to queue behind the commit")
        assert not first.done() and not any(f.done() for f in rest), "answered before its commit"
        commits.release_first.set()
        return [first.result(timeout=30)] + [f.result(timeout=30) for f in rest]


def _inbox_keys(db) -> list[str]:
    with db() as s:
        return sorted(s.scalars(select(InboxEvent.dedupe_key)))


def test_deliveries_arriving_during_a_commit_share_the_next_and_are_answered_after_it(
        app, clock, db, redis_conn, commits):
    z = ZoomEvents()
    people = [Attendee(f"P{i}", str(100 + i), registrant_id=f"reg-{i}") for i in range(PEOPLE)]
    bodies = [z.joined(p, T0) for p in people]
    bodies.append(bodies[3])  # Zoom's retry of one of them, arriving in the same burst

    answers = _deliver_concurrently(app, clock, bodies, commits)

    assert commits.count == 2  # the first delivery alone, then everything that queued behind it
    assert answers[0][:2] == (200, {"status": "stored"})
    assert all(status == 200 and done == 2 for status, _, done in answers[1:])  # after the second commit
    statuses = sorted(answer["status"] for _, answer, _ in answers)
    assert statuses == ["duplicate"] + ["stored"] * PEOPLE
    assert _inbox_keys(db) == sorted({inbox_record(b).dedupe_key for b in bodies})
    counters = read_counters(redis_conn)
    assert counters['zoombridge_webhooks_received_total{event="meeting.participant_joined"}'] == PEOPLE
    assert counters['zoombridge_webhooks_duplicate_total{event="meeting.participant_joined"}'] == 1
    assert get_queue(INGEST, redis_conn).count == 1  # one ingest job for the meeting, not one per delivery


def test_a_commit_that_fails_answers_none_of_its_group_200_and_stores_none_of_it(app, clock, db, redis_conn, commits):
    z = ZoomEvents()
    bodies = [z.joined(Attendee(f"P{i}", str(100 + i)), T0) for i in range(PEOPLE)]
    commits.fail = 2  # the group's commit: the database goes away in the middle of it

    answers = _deliver_concurrently(app, clock, bodies, commits)

    assert answers[0][:2] == (200, {"status": "stored"})
    assert [(status, answer["error"]["code"]) for status, answer, _ in answers[1:]] == [(503, "unavailable")] * (PEOPLE - 1)
    assert _inbox_keys(db) == [inbox_record(bodies[0]).dedupe_key]
    for body in bodies[1:]:  # Zoom retries each 503: now they are stored, once
        again = _post(app, clock, encode(body))
        assert again.get_json() == {"status": "stored"}
    assert _inbox_keys(db) == sorted(inbox_record(b).dedupe_key for b in bodies)


def test_a_delivery_the_database_refuses_costs_the_rest_of_its_group_nothing(app, clock, db, commits):
    writer = InboxWriter(app.extensions["zoombridge.db"].engine)
    z = ZoomEvents()
    good = [Delivery(inbox_record(b), encode(b).decode(), None, T0)
            for b in (z.joined(Attendee(f"P{i}", str(100 + i)), T0) for i in range(4))]
    refused = Delivery(inbox_record(z.left(Attendee("X", "999"), T0)), None, None, T0)  # body is NOT NULL

    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(writer.store, good[0])
        assert commits.first_reached.wait(timeout=30)
        rest = [pool.submit(writer.store, d) for d in (good[1], refused, good[2], good[3])]
        wait_until(lambda: writer.waiting == 4, timeout=30, what="the group to queue")
        commits.release_first.set()
        outcomes = [first.result(timeout=30)] + [f.result(timeout=30) for f in (rest[0], rest[2], rest[3])]
        with pytest.raises(DBAPIError):
            rest[1].result(timeout=30)

    assert outcomes == [True] * 4
    assert _inbox_keys(db) == sorted(d.record.dedupe_key for d in good)


class TrickledBody(io.BytesIO):
    """A request body whose client has not finished sending it: `read` blocks until `finish`."""

    def __init__(self, raw: bytes):
        super().__init__(raw)
        self.reading = threading.Event()
        self.finish = threading.Event()

    def _arrive(self) -> None:
        self.reading.set()
        assert self.finish.wait(timeout=60), "the test never let the body finish"

    def read(self, size: int | None = -1) -> bytes:
        self._arrive()
        return super().read(size)

    def readinto(self, buffer) -> int:
        self._arrive()
        return super().readinto(buffer)


def test_a_group_never_waits_for_a_client_still_sending_its_body(app, clock, db):
    """A group waits a moment for deliveries being verified; a client trickling its body in is not
    one of them. The writer here would wait a minute for an arrival, so a slow body counted as
    one would hold the other delivery's answer until the slow client finished."""
    app.extensions[webhook_view.WRITER_KEY] = InboxWriter(app.extensions["zoombridge.db"].engine,
                                                          after_commit=webhook_view._nudge_ingest, gather_seconds=60)
    z = ZoomEvents()
    bodies = [z.joined(Attendee(name, user_id), T0) for name, user_id in (("Slow", "1"), ("Quick", "2"))]
    slow_raw, quick_raw = (encode(body) for body in bodies)
    trickled = TrickledBody(slow_raw)

    def post(raw: bytes, body_stream=None):
        answer = _post(app, clock, raw, body_stream)
        return answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(post, slow_raw, trickled)
        assert trickled.reading.wait(timeout=30)
        assert pool.submit(post, quick_raw).result(timeout=30) == (200, {"status": "stored"})
        assert not slow.done()  # answered while the slow body was still on its way
        trickled.finish.set()
        assert slow.result(timeout=30) == (200, {"status": "stored"})
    assert _inbox_keys(db) == sorted(inbox_record(body).dedupe_key for body in bodies)
