"""`/healthz` for monitors and load balancers (open: it says what is up, never whose data), and
`/metrics` for Prometheus (behind a token: see `zoombridge.web.deployment`).

`/healthz` answers 200 when the database and Redis answer and a worker and the scheduler have
sent a heartbeat within the allowed silence (`zoombridge.queue.liveness`); otherwise 503, with
`down` naming what is missing. It also says how far behind attendance is: the age of the oldest
webhook inbox row not yet ingested. `/healthz?only=web` checks only what the web process itself
needs (database and Redis): that is the check for a load balancer, which must keep sending
Zoom's webhooks to a web process that can store them even while the workers are down.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from zoombridge import metrics, runtime
from zoombridge.queue import liveness
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import all_queues
from zoombridge.store import current_database
from zoombridge.store.models import InboxEvent
from zoombridge.web import timing
from zoombridge.web.deployment import require_metrics_token

blueprint = Blueprint("health", __name__)


def _silence() -> timedelta:
    return timedelta(seconds=runtime.settings().liveness_silence_seconds)


def _oldest_pending_seconds(s) -> float:
    oldest = s.scalar(select(func.min(InboxEvent.received_at)).where(InboxEvent.status == "pending"))
    return 0.0 if oldest is None else max(0.0, (runtime.now() - oldest).total_seconds())


@blueprint.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    inbox: dict[str, float] = {}
    try:
        database = current_database()
        database.ping()
        checks["database"] = "ok"
        with database.session() as s:
            inbox["oldest_pending_seconds"] = round(_oldest_pending_seconds(s), 1)
    except SQLAlchemyError as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        conn = current_redis()
        conn.ping()
        checks["redis"] = "ok"
        if request.args.get("only") != "web":
            now = runtime.now()
            for role in liveness.ROLES:
                checks[role] = liveness.read(conn, role, now, _silence()).describe(now)
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ok" if not down else "unavailable", "checks": checks, "down": down, "inbox": inbox}
    return jsonify(body), (200 if not down else 503)


def _snapshot() -> metrics.Snapshot:
    """What one scrape shows: the shared counters and histograms, and gauges read now."""
    snapshot = metrics.Snapshot()
    gauges = snapshot.gauges
    now = runtime.now()
    try:
        conn = current_redis()
        timing.flush()  # this process's webhook timings not yet written
        metrics.read_stored(conn, snapshot)
        for queue in all_queues(conn):
            gauges.append(("zoombridge_queue_jobs", {"queue": queue.name}, queue.count))
        for role in liveness.ROLES:
            seen = liveness.read(conn, role, now, _silence())
            gauges.append(("zoombridge_process_alive", {"role": role}, 1 if seen.alive(now) else 0))
            if seen.last_beat is not None:
                gauges.append(("zoombridge_heartbeat_age_seconds", {"role": role}, seen.age(now)))
        gauges.append(("zoombridge_redis_up", {}, 1))
    except (redis.RedisError, OSError):
        gauges.append(("zoombridge_redis_up", {}, 0))
    try:
        with current_database().session() as s:
            rows = s.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()
            gauges.extend(("zoombridge_inbox_events", {"status": status}, n) for status, n in rows)
            gauges.append(("zoombridge_inbox_oldest_pending_seconds", {}, _oldest_pending_seconds(s)))
        gauges.append(("zoombridge_database_up", {}, 1))
    except SQLAlchemyError:
        gauges.append(("zoombridge_database_up", {}, 0))
    return snapshot


@blueprint.get("/metrics")
def metrics_endpoint():
    require_metrics_token()
    return Response(metrics.render(_snapshot), content_type=CONTENT_TYPE_LATEST)
