import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import WEBHOOK_SECRET
from zoombridge.app import create_app
from zoombridge.metrics import read_counters
from zoombridge.queue.connection import EmbeddedRedis
from zoombridge.queue.queues import INGEST, get_queue
from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.store.db import Database
from zoombridge.store.models import AttendanceSegment, InboxEvent
from zoombridge.web import webhooks as webhook_view
from zoombridge.zoom.signature import sign, signed_headers, webhook_bytes

ANA = Participant("Ana", "100", registrant_id="reg-ana", email="ana@example.org")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def post(client, clock, body, *, raw=None, at=None, secret=WEBHOOK_SECRET, request_id=None, headers=None):
    raw = webhook_bytes(body) if raw is None else raw
    sent = signed_headers(secret, raw, at or clock.now(), request_id)
    if headers is not None:
        sent = headers
    return client.post("/zoom/webhook", data=raw, headers=sent)


def inbox(db):
    with db() as s:
        return s.scalars(select(InboxEvent).order_by(InboxEvent.id)).all()


def segments(db):
    with db() as s:
        return s.scalars(select(AttendanceSegment).order_by(AttendanceSegment.id)).all()


def _app_with(settings, clock, **changes):
    app = create_app(settings.with_changes(**changes), clock=clock)
    app.config["TESTING"] = True
    return app


# --- signatures ------------------------------------------------------------------------------

def test_the_published_signature_vector_is_accepted_and_its_spaced_twin_refused(settings, redis_conn):
    from zoombridge.clock import ManualClock

    clock = ManualClock(datetime.fromtimestamp(1697204592920 / 1000, tz=UTC))
    client = _app_with(settings, clock, zoom_webhook_secret_token="secret").test_client()
    headers = {"x-zm-request-timestamp": "1697204592920",
               "x-zm-signature": "v0=f46042d159828f787589618793a3f535b54de02da06ea660545e46c8960b70bf"}
    verified = client.post("/zoom/webhook", data=b'{"foo":"bar"}', headers=headers)
    assert verified.status_code == 400  # past the signature: refused only for having no event
    assert verified.get_json()["error"]["field"] == "event"
    spaced = client.post("/zoom/webhook", data=b'{"foo": "bar"}', headers=headers)
    assert spaced.status_code == 401 and spaced.data == b""


def test_url_validation_is_answered_with_the_published_vector(settings, clock, redis_conn):
    client = _app_with(settings, clock, zoom_webhook_secret_token="secretValueTest").test_client()
    raw = b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}'
    response = client.post("/zoom/webhook", data=raw, headers=signed_headers("secretValueTest", raw, clock.now()))
    assert response.status_code == 200
    assert response.get_json() == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff",
    }


def test_url_validation_without_a_plain_token_is_a_400(client, clock, db):
    response = post(client, clock, {"event": "endpoint.url_validation", "payload": {}})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "payload.plainToken"
    assert inbox(db) == []


def test_non_ascii_names_verify_on_the_raw_bytes_and_a_reserialised_body_does_not(client, clock, db):
    body = ZoomEvents().joined(Participant("José Zoë 🌞", "7", email="jose@example.org"), T0)
    raw = webhook_bytes(body)
    assert "José Zoë 🌞".encode() in raw
    headers = signed_headers(WEBHOOK_SECRET, raw, clock.now())
    assert client.post("/zoom/webhook", data=raw, headers=headers).status_code == 200
    reserialised = json.dumps(body).encode()  # what Zoom's own samples hash: spaced, \u-escaped
    refused = client.post("/zoom/webhook", data=reserialised, headers=headers)
    assert refused.status_code == 401
    assert json.loads(inbox(db)[0].body)["payload"]["object"]["participant"]["user_name"] == "José Zoë 🌞"


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "bad_signature"),
    ({"x-zm-request-timestamp": "1795510800"}, "bad_signature"),
    ({"x-zm-request-timestamp": "1795510800", "x-zm-signature": "v0=" + "0" * 64}, "bad_signature"),
    ({"x-zm-request-timestamp": "1795510800", "x-zm-signature": sign("not-our-secret", "1795510800", b"{}")},
     "bad_signature"),
])
def test_a_bad_signature_is_a_401_with_no_body_a_metric_and_a_log_line_without_secrets(
        client, db, redis_conn, caplog, headers, reason):
    caplog.set_level(logging.WARNING, logger="zoombridge.web.webhooks")
    response = client.post("/zoom/webhook", data=b"{}", headers=headers)
    assert response.status_code == 401 and response.data == b""
    assert read_counters(redis_conn)[f'zoombridge_webhooks_rejected_total{{reason="{reason}"}}'] == 1
    line = "\n".join(r.getMessage() for r in caplog.records)
    assert f"event=webhook_rejected reason={reason}" in line
    assert WEBHOOK_SECRET not in line and "v0=" not in line
    assert inbox(db) == []


@pytest.mark.parametrize(("offset", "status"), [
    (timedelta(minutes=85), 200),  # Zoom's third retry, had it kept the first timestamp
    (timedelta(minutes=-10), 200),  # a sender clock running ahead
    (timedelta(hours=2, seconds=1), 401),
    (timedelta(hours=-2, seconds=-1), 401),
])
def test_the_timestamp_window_admits_zooms_retries_and_refuses_old_replays(client, clock, db, offset, status):
    body = ZoomEvents().joined(ANA, T0)
    response = post(client, clock, body, at=clock.now() - offset)
    assert response.status_code == status
    assert len(inbox(db)) == (1 if status == 200 else 0)


def test_a_body_over_one_mebibyte_is_a_413(client, clock, db):
    raw = b'{"event":"x","pad":"' + b"a" * (1024 * 1024) + b'"}'
    response = post(client, clock, None, raw=raw)
    assert response.status_code == 413
    assert inbox(db) == []


@pytest.mark.parametrize(("raw", "field"), [(b"not json", "body"), (b'{"payload": {}}', "event"), (b"[]", "body")])
def test_a_signed_body_that_is_not_a_zoom_event_is_a_400_naming_the_field(client, clock, db, raw, field):
    response = post(client, clock, None, raw=raw)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert inbox(db) == []


# --- the inbox -------------------------------------------------------------------------------

def test_an_attendance_event_is_stored_pending_and_one_ingest_job_is_queued(client, clock, db, redis_conn):
    z = ZoomEvents()
    for body in (z.joined(ANA, T0), z.left(ANA, T0 + timedelta(minutes=5)), z.joined(ANA, T0 + timedelta(minutes=6))):
        response = post(client, clock, body, request_id="req-1" if body["event"].endswith("left") else None)
        assert response.status_code == 200 and response.get_json() == {"status": "stored"}
    rows = inbox(db)
    assert [r.status for r in rows] == ["pending"] * 3
    assert rows[0].meeting_uuid == z.uuid and rows[0].event == "meeting.participant_joined"
    assert rows[1].request_id == "req-1"
    assert rows[0].received_at == clock.now()
    assert get_queue(INGEST, redis_conn).count == 1  # coalesced: one job for the meeting


def test_an_unknown_event_is_stored_answered_200_and_queues_nothing(client, clock, db, redis_conn):
    response = post(client, clock, {"event": "meeting.sharing_started", "event_ts": 1,
                                    "payload": {"object": {"uuid": "abc=="}}})
    assert response.status_code == 200
    [row] = inbox(db)
    assert (row.event, row.status, row.meeting_uuid) == ("meeting.sharing_started", "ignored", "abc==")
    assert get_queue(INGEST, redis_conn).count == 0


def test_a_delivery_repeated_three_times_is_stored_once_and_makes_one_segment(
        client, clock, db, redis_conn, run_jobs):
    z = ZoomEvents()
    joined = z.joined(ANA, T0)
    answers = [post(client, clock, joined, request_id=rid).get_json()["status"] for rid in ("a", "b", None)]
    assert answers == ["stored", "duplicate", "duplicate"]
    run_jobs()
    for _ in range(3):  # a retry after the ingest ran changes nothing either
        assert post(client, clock, joined).get_json() == {"status": "duplicate"}
    run_jobs()
    assert len(inbox(db)) == 1
    assert [(s.place, s.joined_at, s.left_at) for s in segments(db)] == [("main", T0, None)]
    assert read_counters(redis_conn)['zoombridge_webhooks_duplicate_total{event="meeting.participant_joined"}'] == 5


def test_the_database_down_is_a_503_so_zoom_retries(app, client, clock, tmp_path, monkeypatch):
    broken = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite3'}")
    monkeypatch.setitem(app.extensions, "zoombridge.db", broken)
    response = post(client, clock, ZoomEvents().joined(ANA, T0))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    broken.dispose()


def test_redis_stopped_during_delivery_still_answers_200_and_the_sweeper_recovers_every_row(
        app, client, clock, db, redis_conn, run_jobs, tmp_path, monkeypatch):
    doomed = EmbeddedRedis(tmp_path / "doomed" / "redis.db")
    monkeypatch.setitem(app.extensions, webhook_view.REDIS_KEY, redis.Redis.from_url(doomed.url, socket_timeout=0.5))
    z = ZoomEvents()
    assert post(client, clock, z.joined(ANA, T0)).status_code == 200  # its job is queued on the doomed server
    doomed.stop()
    for body in (z.left(ANA, T0 + timedelta(minutes=20)), z.ended(T0 + timedelta(minutes=90))):
        assert post(client, clock, body).status_code == 200
    assert [r.status for r in inbox(db)] == ["pending"] * 3

    monkeypatch.setitem(app.extensions, webhook_view.REDIS_KEY, redis_conn)
    from zoombridge.queue.queues import enqueue_once

    enqueue_once(redis_conn, "workers.jobs.ingest.sweep_inbox", job_id="sweep:now", queue=INGEST)
    run_jobs()
    assert [r.status for r in inbox(db)] == ["pending"] * 3  # younger than the sweeper's grace minute
    clock.advance(minutes=2)
    enqueue_once(redis_conn, "workers.jobs.ingest.sweep_inbox", job_id="sweep:now", queue=INGEST)
    run_jobs()
    assert [r.status for r in inbox(db)] == ["processed"] * 3
    assert [(s.joined_at, s.left_at, s.closed_by) for s in segments(db)] == [
        (T0, T0 + timedelta(minutes=20), "left")]


# --- fuzz ------------------------------------------------------------------------------------

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
EVENT_NAMES = st.sampled_from(["meeting.participant_joined", "meeting.participant_left", "meeting.ended",
                               "meeting.participant_joined_breakout_room", "endpoint.url_validation"]) | st.text()
PARTICIPANT = st.fixed_dictionaries({}, optional={
    "user_id": JSON_VALUES, "registrant_id": JSON_VALUES, "email": JSON_VALUES, "join_time": JSON_VALUES,
    "leave_time": JSON_VALUES, "user_name": JSON_VALUES, "phone_number": JSON_VALUES})
EVENT_BODIES = st.fixed_dictionaries(
    {"event": EVENT_NAMES},
    optional={"event_ts": JSON_VALUES, "payload": st.fixed_dictionaries({}, optional={
        "plainToken": JSON_VALUES,
        "object": st.fixed_dictionaries({}, optional={"uuid": JSON_VALUES, "id": JSON_VALUES,
                                                      "participant": PARTICIPANT | JSON_VALUES})})})


def _count(db) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(InboxEvent))


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=st.dictionaries(st.sampled_from(["x-zm-request-timestamp", "x-zm-signature", "x-zm-request-id",
                                                "Content-Type", "Content-Length"]), HEADER_TEXT),
       body=st.binary(max_size=600) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_fuzzed_unsigned_deliveries_are_never_a_500_and_never_stored(client, db, headers, body):
    before = _count(db)
    response = client.post("/zoom/webhook", data=body, headers=headers)
    assert response.status_code in (400, 401, 413)
    assert _count(db) == before


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=EVENT_BODIES, request_id=st.none() | HEADER_TEXT)
def test_fuzzed_signed_bodies_are_never_a_500_and_stored_at_most_once(client, clock, db, body, request_id):
    before = _count(db)
    response = post(client, clock, body, request_id=request_id)
    assert response.status_code in (200, 400)
    stored = response.status_code == 200 and response.get_json().get("status") == "stored"
    assert _count(db) == before + (1 if stored else 0)
    if stored:
        again = post(client, clock, body)
        assert again.get_json() == {"status": "duplicate"} and _count(db) == before + 1
