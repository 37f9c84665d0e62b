"""Counters kept in Redis so every web and worker process adds to the same numbers.

`/metrics` renders them, with a few gauges read at scrape time, in Prometheus' text format.
Counting must never break the thing being counted, so a Redis error here is swallowed.
"""

from __future__ import annotations

import redis

COUNTERS_KEY = "zoombridge:metrics:counters"

HELP = {
    "zoombridge_webhooks_received_total": "Webhook deliveries accepted, by event.",
    "zoombridge_webhooks_duplicate_total": "Webhook deliveries already in the inbox.",
    "zoombridge_webhooks_rejected_total": "Webhook deliveries refused, by reason.",
    "zoombridge_inbox_enqueue_failed_total": "Inbox rows stored while Redis was unreachable (the sweeper picks them up).",
    "zoombridge_zoom_requests_total": "Calls to the Zoom API, by outcome.",
    "zoombridge_emails_total": "Emails handled, by outcome.",
}


def _field(name: str, labels: dict[str, str] | None) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def count(connection: redis.Redis | None, name: str, labels: dict[str, str] | None = None, amount: int = 1,
          pipeline=None) -> None:
    target = pipeline if pipeline is not None else connection
    if target is None:
        return
    try:
        target.hincrby(COUNTERS_KEY, _field(name, labels), amount)
    except redis.RedisError:
        pass


def read_counters(connection: redis.Redis) -> dict[str, int]:
    raw = connection.hgetall(COUNTERS_KEY)
    return {k.decode(): int(v) for k, v in raw.items()}


def render(counters: dict[str, int], gauges: dict[str, float]) -> str:
    lines: list[str] = []
    names: dict[str, list[tuple[str, float]]] = {}
    for series, value in {**counters, **gauges}.items():
        base = series.split("{", 1)[0]
        names.setdefault(base, []).append((series, value))
    for base in sorted(names):
        kind = "counter" if base.endswith("_total") else "gauge"
        lines.append(f"# HELP {base} {HELP.get(base, base.replace('_', ' '))}")
        lines.append(f"# TYPE {base} {kind}")
        for series, value in sorted(names[base]):
            lines.append(f"{series} {value:g}")
    return "\n".join(lines) + "\n"
