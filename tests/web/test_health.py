import socket
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import utc
from zoombridge import metrics
from zoombridge.app import create_app
from zoombridge.queue import liveness
from zoombridge.store.models import InboxEvent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def alive(redis_conn, clock):
    """A worker and the scheduler that have just sent their heartbeats."""
    liveness.beat(redis_conn, liveness.WORKER, "worker-1", clock.now())
    liveness.beat(redis_conn, liveness.SCHEDULER, "zoombridge-scheduler", clock.now())


def test_healthz_is_200_when_database_redis_a_worker_and_the_scheduler_answer(client, alive):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "down": [], "inbox": {"oldest_pending_seconds": 0.0},
                         "checks": {"database": "ok", "redis": "ok", "worker": "ok", "scheduler": "ok"}}


def test_healthz_is_503_naming_the_worker_once_it_has_been_silent_too_long(client, alive, clock, redis_conn):
    clock.advance(seconds=179)
    liveness.beat(redis_conn, liveness.SCHEDULER, "zoombridge-scheduler", clock.now())
    assert client.get("/healthz").status_code == 200
    clock.advance(seconds=2)  # 181 s since the worker's last beat; the allowed silence is 180 s
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["worker"]
    assert resp.json["checks"]["worker"] == "missing: no worker heartbeat for 181 s (allowed 180 s)"
    assert resp.json["checks"]["scheduler"] == "ok"


def test_the_allowed_silence_is_a_setting(settings, clock, redis_conn):
    app = create_app(settings.with_changes(liveness_silence_seconds=30), clock=clock)
    liveness.beat(redis_conn, liveness.WORKER, "w", clock.now())
    liveness.beat(redis_conn, liveness.SCHEDULER, "s", clock.now() - timedelta(seconds=31))
    resp = app.test_client().get("/healthz")
    assert (resp.status_code, resp.json["down"]) == (503, ["scheduler"])


def test_healthz_names_both_when_no_worker_or_scheduler_ever_beat(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["scheduler", "worker"]
    assert resp.json["checks"]["scheduler"] == "missing: no scheduler heartbeat (none in the last day)"


def test_healthz_only_web_checks_what_the_web_process_needs_for_load_balancers(client):
    resp = client.get("/healthz?only=web")
    assert resp.status_code == 200
    assert resp.json["checks"] == {"database": "ok", "redis": "ok"}


def test_a_worker_that_stops_cleanly_is_missing_at_once(client, alive, redis_conn):
    liveness.gone(redis_conn, liveness.WORKER, "worker-1")
    assert client.get("/healthz").json["down"] == ["worker"]


def test_healthz_reports_the_age_of_the_oldest_pending_inbox_row(client, alive, db, clock):
    with db() as s:
        for key, received, status in [("a", clock.now() - timedelta(minutes=7), "pending"),
                                      ("b", clock.now() - timedelta(minutes=2), "pending"),
                                      ("c", clock.now() - timedelta(hours=5), "processed")]:
            s.add(InboxEvent(dedupe_key=key, event="meeting.participant_joined", meeting_uuid="u", body="{}",
                             status=status, received_at=received))
    resp = client.get("/healthz")
    assert resp.json["inbox"] == {"oldest_pending_seconds": 420.0}


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(settings, clock):
    app = create_app(settings.with_changes(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), clock=clock)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["redis"]
    assert resp.json["checks"]["database"] == "ok"


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(settings, clock, redis_conn):
    liveness.beat(redis_conn, liveness.WORKER, "w", utc(2026, 11, 24, 9))
    liveness.beat(redis_conn, liveness.SCHEDULER, "s", utc(2026, 11, 24, 9))
    broken = settings.with_changes(database_url=f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none")
    resp = create_app(broken, clock=clock).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["database"]


# --- /metrics ------------------------------------------------------------------------------

def scrape(client, headers: dict) -> dict:
    """The scrape (with a token: /metrics is not open) parsed by prometheus_client's own parser:
    {family name: family}."""
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    return {family.name: family for family in text_string_to_metric_families(resp.get_data(as_text=True))}


def value(families: dict, family: str, sample: str, **labels) -> float:
    matches = [s.value for s in families[family].samples if s.name == sample and s.labels == labels]
    assert len(matches) == 1, (sample, labels, families[family].samples)
    return matches[0]


def test_metrics_render_the_shared_counters_and_scrape_time_gauges(client, redis_conn, alive, staff_headers):
    metrics.count(redis_conn, "zoombridge_webhooks_received_total", {"event": "meeting.started"})
    metrics.count(redis_conn, "zoombridge_webhooks_received_total", {"event": "meeting.started"}, amount=2)
    families = scrape(client, staff_headers)
    assert families["zoombridge_webhooks_received"].type == "counter"
    assert value(families, "zoombridge_webhooks_received", "zoombridge_webhooks_received_total",
                 event="meeting.started") == 3
    assert value(families, "zoombridge_queue_jobs", "zoombridge_queue_jobs", queue="ingest") == 0
    assert value(families, "zoombridge_database_up", "zoombridge_database_up") == 1
    assert value(families, "zoombridge_process_alive", "zoombridge_process_alive", role="worker") == 1


def test_label_values_are_escaped_so_a_value_cannot_break_the_scrape(client, redis_conn, staff_headers):
    awkward = 'meeting."ended"\\\nzoombridge_payments_total 999'
    metrics.count(redis_conn, "zoombridge_webhooks_rejected_total", {"reason": awkward})
    families = scrape(client, staff_headers)
    assert value(families, "zoombridge_webhooks_rejected", "zoombridge_webhooks_rejected_total", reason=awkward) == 1
    assert "zoombridge_payments" not in families


@pytest.mark.parametrize(("histogram", "labels"), [
    (metrics.WEBHOOK_SECONDS, {"status": "200"}),
    (metrics.JOB_SECONDS, {"queue": "email", "outcome": "ok"}),
    (metrics.ZOOM_CALL_SECONDS, {"endpoint": "POST /meetings/{meetingId}/registrants"}),
])
def test_histograms_are_cumulative_buckets_with_sum_and_count(client, redis_conn, histogram, labels, staff_headers):
    small, large = histogram.buckets[0] / 2, histogram.buckets[-1] * 2
    for seconds in (small, small, histogram.buckets[1], large):
        metrics.observe(redis_conn, histogram, seconds, labels)
    families = scrape(client, staff_headers)
    family = families[histogram.name]
    assert family.type == "histogram"
    bucket = lambda le: value(families, histogram.name, f"{histogram.name}_bucket", **labels, le=le)  # noqa: E731
    assert bucket(repr(histogram.buckets[0])) == 2
    assert bucket(repr(histogram.buckets[1])) == 3
    assert bucket(repr(histogram.buckets[-1])) == 3
    assert bucket("+Inf") == 4
    assert value(families, histogram.name, f"{histogram.name}_count", **labels) == 4
    assert value(families, histogram.name, f"{histogram.name}_sum", **labels) == pytest.approx(
        2 * small + histogram.buckets[1] + large)


def test_a_webhook_delivery_is_timed_at_the_edge_by_its_status(client, redis_conn, staff_headers):
    client.post("/zoom/webhook", data=b"{}", headers={"Content-Type": "application/json"})
    families = scrape(client, staff_headers)
    samples = [s for s in families["zoombridge_webhook_seconds"].samples if s.name.endswith("_count")]
    assert [(s.labels, s.value) for s in samples] == [({"status": "401"}, 1)]


def _webhook_counts(redis_conn) -> dict[str, int]:
    stored = metrics.read_histogram_fields(redis_conn)
    return {k: int(v) for k, v in stored.items() if k.startswith("zoombridge_webhook_seconds_count")}


def test_webhook_timings_wait_while_other_deliveries_are_in_flight_then_are_written_together(
        app, client, redis_conn, staff_headers):
    from zoombridge.web import timing

    timings = app.extensions["zoombridge.timing"]
    timings.started()  # another delivery of this process is still being answered
    client.post("/zoom/webhook", data=b"{}", headers={"Content-Type": "application/json"})
    assert _webhook_counts(redis_conn) == {}  # kept in memory: no round trip of its own
    timings.finished()
    client.post("/zoom/webhook", data=b"{}", headers={"Content-Type": "application/json"})
    assert _webhook_counts(redis_conn) == {'zoombridge_webhook_seconds_count{status="401"}': 2}
    assert timing._timings(app).in_flight == 0


def test_a_scrape_writes_this_process_s_waiting_webhook_timings_first(app, client, redis_conn, staff_headers):
    timings = app.extensions["zoombridge.timing"]
    timings.started()
    client.post("/zoom/webhook", data=b"{}", headers={"Content-Type": "application/json"})
    families = scrape(client, staff_headers)
    samples = [s for s in families["zoombridge_webhook_seconds"].samples if s.name.endswith("_count")]
    assert [(s.labels, s.value) for s in samples] == [({"status": "401"}, 1)]
    timings.finished()


def test_a_job_is_timed_by_its_queue(client, redis_conn, run_jobs, app, staff_headers):
    from zoombridge.queue.queues import EMAIL, enqueue_once

    enqueue_once(redis_conn, "workers.jobs.statements.send_statement", 999, 999, job_id="statement:999:999",
                 queue=EMAIL)
    run_jobs()
    families = scrape(client, staff_headers)
    counts = {tuple(sorted(s.labels.items())): s.value for s in families["zoombridge_job_seconds"].samples
              if s.name.endswith("_count")}
    assert counts == {(("outcome", "ok"), ("queue", "email")): 1}


def test_metrics_say_when_redis_is_down(settings, clock, staff_headers):
    app = create_app(settings.with_changes(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), clock=clock)
    families = scrape(app.test_client(), staff_headers)
    assert value(families, "zoombridge_redis_up", "zoombridge_redis_up") == 0
