"""`POST /zoom/webhook`: verify, store, answer. Nothing slow happens here.

Zoom wants a 2xx within 3 seconds and retries only 5xx and network failures (at +5, +20 and
+60 minutes); it never retries a 4xx. So the request does the least that makes the delivery
safe: check the signature over the raw bytes, store the event in the inbox (deduplicated) and
commit, then nudge the ingest job. The database being down is a 503 (Zoom will retry); Redis
being down is not (the row is safe and the sweeper queues it). Zoom and SMTP are never called.

Concurrent deliveries share one commit (`InboxWriter`, group commit; the web server runs
threads for this, see `gunicorn_config.py`), and each is answered only once that commit is
done. The Redis nudge is off the critical path: the thread that wrote a group nudges for all of
it after the others have their answer, in one round trip, before the next group is written
(which, under load, makes the next group larger rather than adding a round trip). A nudge lost to a crash in between
costs nothing but time: the row is committed and the sweeper queues its meeting within minutes.

Timestamp window: `settings.webhook_timestamp_tolerance_seconds`, two hours by default. Zoom
documents no tolerance and not whether a retry is signed afresh. If retries were re-signed a
few minutes would do; if they keep the first delivery's timestamp, the last retry arrives 85
minutes after it (5 + 20 + 60). Two hours admits both cases with room for clock skew, and a
wide window costs nothing here: a replay within it carries the same content, so it lands on
the same inbox dedupe key and changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter

import redis
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from zoombridge import logs, metrics, runtime
from zoombridge.privacy import fingerprint
from zoombridge.queue import ingest
from zoombridge.queue.connection import connect, redis_url_for
from zoombridge.store import current_database
from zoombridge.store.inbox import Arrival, Committed, Delivery, InboxWriter
from zoombridge.web.errors import error_response
from zoombridge.zoom import webhooks
from zoombridge.zoom.signature import is_valid, url_validation_answer

blueprint = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)

REDIS_KEY = "zoombridge.redis.webhook"
WRITER_KEY = "zoombridge.inbox_writer"
# Short: a Redis that hangs must not hold the answer past Zoom's 3-second deadline.
REDIS_TIMEOUT_SECONDS = 0.5


def _redis() -> redis.Redis:
    conn = current_app.extensions.get(REDIS_KEY)
    if conn is None:
        conn = connect(redis_url_for(runtime.settings()), timeout=REDIS_TIMEOUT_SECONDS)
        current_app.extensions[REDIS_KEY] = conn
    return conn


def _writer() -> InboxWriter:
    writer = current_app.extensions.get(WRITER_KEY)
    if writer is None:  # setdefault: two first requests at once still share one writer
        writer = current_app.extensions.setdefault(
            WRITER_KEY, InboxWriter(current_database().engine, after_commit=_nudge_ingest))
    return writer


def _refuse(reason: str, timestamp: str | None, signature: str | None):
    """401 with an empty body: a caller without the secret learns nothing from it."""
    metrics.count(_redis(), "zoombridge_webhooks_rejected_total", {"reason": reason})
    logs.event(log, "webhook_rejected", logging.WARNING, reason=reason, remote=request.remote_addr or "-",
               has_signature=bool(signature), has_timestamp=bool(timestamp), bytes=request.content_length or 0,
               secret=fingerprint(runtime.settings().webhook_secret))
    return "", 401


def _within_window(timestamp: str) -> bool:
    sent = webhooks.request_time(timestamp)
    if sent is None:
        return False
    skew = abs((runtime.now() - sent).total_seconds())
    return skew <= runtime.settings().webhook_timestamp_tolerance_seconds


@blueprint.post("/zoom/webhook")
def receive():
    # The whole body first (over MAX_CONTENT_LENGTH, 1 MiB: 413 before this returns), then the
    # arrival is announced: a group being written waits a moment for deliveries being verified,
    # never for a client still sending its body.
    raw = request.get_data(cache=False)
    with _writer().arriving() as arrival:
        return _receive(arrival, raw)


def _receive(arrival: Arrival, raw: bytes):
    timestamp = request.headers.get("x-zm-request-timestamp")
    signature = request.headers.get("x-zm-signature")
    if not is_valid(runtime.settings().webhook_secret, timestamp, raw, signature):
        return _refuse("bad_signature", timestamp, signature)
    if not _within_window(timestamp):
        return _refuse("stale_timestamp", timestamp, signature)
    try:
        body = webhooks.parse_body(raw)
    except webhooks.InvalidEvent as exc:
        return error_response(400, "invalid", str(exc), exc.field)

    if body["event"] == webhooks.URL_VALIDATION:
        plain_token = webhooks.plain_token_of(body)
        if plain_token is None:
            return error_response(400, "invalid", "The validation request has no plainToken.", "payload.plainToken")
        return jsonify(url_validation_answer(runtime.settings().webhook_secret, plain_token))

    record = webhooks.inbox_record(body)
    request_id = (request.headers.get("x-zm-request-id") or "")[:64] or None
    try:
        is_new = arrival.store(Delivery(record, raw.decode("utf-8"), request_id, runtime.now()))
    except SQLAlchemyError as exc:
        logs.event(log, "webhook_not_stored", logging.ERROR, webhook=record.event, error=type(exc).__name__)
        return error_response(503, "unavailable", "The event could not be stored; please retry.")
    return jsonify({"status": "stored" if is_new else "duplicate"})


def _nudge_ingest(group: Committed) -> None:
    """One Redis round trip for a committed group: count its deliveries (new and duplicate, by
    event) and set the pending flag of each meeting that got a new attendance row; a job is
    queued only for a meeting whose flag was not already set."""
    received = Counter(d.record.event for d, is_new in group if is_new)
    duplicates = Counter(d.record.event for d, is_new in group if not is_new)
    meetings = sorted({d.record.meeting_uuid for d, is_new in group if is_new and d.record.for_attendance})
    conn = _redis()
    try:
        pipe = conn.pipeline(transaction=False)
        for event, n in sorted(received.items()):
            metrics.count(None, "zoombridge_webhooks_received_total", {"event": event}, amount=n, pipeline=pipe)
        for event, n in sorted(duplicates.items()):
            metrics.count(None, "zoombridge_webhooks_duplicate_total", {"event": event}, amount=n, pipeline=pipe)
        for meeting_uuid in meetings:
            ingest.mark_pending(pipe, meeting_uuid)
        flags = pipe.execute()[len(received) + len(duplicates):]
    except (redis.RedisError, OSError) as exc:
        _not_queued(conn, len(meetings), exc)
        return
    for meeting_uuid, newly_set in zip(meetings, flags, strict=True):
        if newly_set:
            try:
                # Each on its own: a failed enqueue clears its own flag, and must not leave the
                # other meetings' flags set with no job behind them.
                ingest.enqueue_ingest(conn, meeting_uuid)
            except (redis.RedisError, OSError) as exc:
                _not_queued(conn, 1, exc)


def _not_queued(conn: redis.Redis, meetings: int, exc: Exception) -> None:
    metrics.count(conn, "zoombridge_inbox_enqueue_failed_total")
    logs.event(log, "ingest_not_queued", logging.WARNING, meetings=meetings, error=type(exc).__name__)
