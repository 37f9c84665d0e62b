"""`/healthz` for load balancers (open: it says only up or down) and `/metrics` for Prometheus
(behind a token: see `zoombridge.web.deployment`)."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from zoombridge import metrics
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import all_queues
from zoombridge.store import current_database
from zoombridge.store.models import InboxEvent
from zoombridge.web.deployment import require_metrics_token

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    try:
        current_database().ping()
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        current_redis().ping()
        checks["redis"] = "ok"
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ok" if not down else "unavailable", "checks": checks, "down": down}
    return jsonify(body), (200 if not down else 503)


@blueprint.get("/metrics")
def metrics_endpoint():
    require_metrics_token()
    counters: dict[str, int] = {}
    gauges: dict[str, float] = {}
    try:
        conn = current_redis()
        counters = metrics.read_counters(conn)
        for queue in all_queues(conn):
            gauges[f'zoombridge_queue_jobs{{queue="{queue.name}"}}'] = queue.count
        gauges["zoombridge_redis_up"] = 1
    except (redis.RedisError, OSError):
        gauges["zoombridge_redis_up"] = 0
    try:
        with current_database().session() as s:
            rows = s.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()
        for status, n in rows:
            gauges[f'zoombridge_inbox_events{{status="{status}"}}'] = n
        gauges["zoombridge_database_up"] = 1
    except SQLAlchemyError:
        gauges["zoombridge_database_up"] = 0
    return Response(metrics.render(counters, gauges), mimetype="text/plain; version=0.0.4")
