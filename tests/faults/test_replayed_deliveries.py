"""Duplicates, Zoom's late retries out of order, and a replayed old signed body.

Promise: a delivery repeated any number of times is stored once; retries arriving at +5, +20
and +60 minutes, in any order and after later events, give the same attendance as the events
in order; a captured signed body replayed within the timestamp window (two hours, to admit
Zoom's retries) lands on its dedupe key and changes nothing, and replayed after it, is refused
401 without being stored.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.conftest import WEBHOOK_SECRET
from tests.faults.conftest import attendance_of, fill_inbox, status_counts
from tests.zoom_events import network_session
from workers.jobs import ingest as ingest_jobs
from zoombridge.zoom.signature import signed_headers, webhook_bytes

START = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _post(client, raw: bytes, signed_at: datetime):
    return client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, signed_at))


def test_duplicates_and_late_out_of_order_retries_give_the_in_order_attendance(app, client, clock, db, run_jobs):
    engine = app.extensions["zoombridge.db"].engine
    fill_inbox(engine, network_session("in-order==", 15, START, who="person"), clock.now())
    with app.app_context():
        ingest_jobs.ingest_meeting("in-order==")
    expected = attendance_of(db, "in-order==")

    bodies = network_session("retried==", 15, START, who="person")
    rng = random.Random(9)
    late = set(rng.sample(range(len(bodies)), 30))  # these first deliveries "timed out" (Zoom saw no 2xx)
    answers = {"stored": 0, "duplicate": 0}
    for i, body in enumerate(bodies):
        if i not in late:
            for _ in range(1 + (i % 3 == 0)):  # every third delivered twice at once
                answers[_post(client, webhook_bytes(body), clock.now()).get_json()["status"]] += 1
        if i % 20 == 0:
            run_jobs()  # the ingest runs while the meeting goes on
    waves = {5: sorted(late)[::3], 20: sorted(late)[1::3], 60: sorted(late)[2::3]}
    for minutes in (60, 5, 20):  # out of order: the +60 wave is applied first
        wave = [bodies[i] for i in reversed(waves[minutes])]
        clock.advance(minutes=1)
        for body in wave:
            answers[_post(client, webhook_bytes(body), clock.now() - timedelta(minutes=minutes)).get_json()["status"]] += 1
        run_jobs()
    for i in sorted(late)[:10]:  # and each late one once more, as Zoom's next retry
        answers[_post(client, webhook_bytes(bodies[i]), clock.now()).get_json()["status"]] += 1
    run_jobs()

    assert answers == {"stored": len(bodies), "duplicate": len(range(0, len(bodies), 3)) - len(
        [i for i in late if i % 3 == 0]) + 10}
    assert status_counts(db, "retried==") == {"processed": len(bodies)}
    assert attendance_of(db, "retried==") == expected
    print(f"\nreplays: {len(bodies)} events, {answers['stored'] + answers['duplicate']} deliveries "
          f"({answers['duplicate']} duplicates, {len(late)} late in 3 waves out of order): "
          f"{len(bodies)} rows, all processed, {len(expected)} segments = the in-order run")


def test_a_replayed_old_signed_body_is_deduplicated_inside_the_window_and_refused_after_it(client, clock, db):
    body = network_session("replayed==", 1, START)[1]
    raw, signed_at = webhook_bytes(body), clock.now()
    assert _post(client, raw, signed_at).get_json() == {"status": "stored"}
    headers = signed_headers(WEBHOOK_SECRET, raw, signed_at)
    clock.advance(minutes=90)  # an attacker replays the captured request as it was
    inside = client.post("/zoom/webhook", data=raw, headers=headers)
    clock.advance(minutes=31)  # now 2 h 1 min after it was signed
    after = client.post("/zoom/webhook", data=raw, headers=headers)
    assert (inside.status_code, inside.get_json()) == (200, {"status": "duplicate"})
    assert (after.status_code, after.data) == (401, b"")
    assert status_counts(db, "replayed==") == {"pending": 1}
