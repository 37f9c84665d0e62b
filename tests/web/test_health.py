import socket

from zoombridge.app import create_app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_is_200_when_database_and_redis_answer(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}, "down": []}


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(settings, clock):
    app = create_app(settings.with_changes(redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), clock=clock)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["redis"]
    assert resp.json["checks"]["database"] == "ok"


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(settings, clock):
    broken = settings.with_changes(database_url=f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none")
    resp = create_app(broken, clock=clock).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.json["down"] == ["database"]


def test_metrics_are_prometheus_text_with_queue_gauges(client, app, redis_conn, staff_headers):
    from zoombridge import metrics

    metrics.count(redis_conn, "zoombridge_webhooks_received_total", {"event": "meeting.started"})
    resp = client.get("/metrics", headers=staff_headers)
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert '# TYPE zoombridge_webhooks_received_total counter' in text
    assert 'zoombridge_webhooks_received_total{event="meeting.started"} 1' in text
    assert 'zoombridge_queue_jobs{queue="ingest"} 0' in text
    assert "zoombridge_database_up 1" in text
