"""Counters and histograms kept in Redis, so every web and worker process adds to the same numbers;
`/metrics` renders them with prometheus_client through a custom collector (`RedisCollector`).

Why Redis and not prometheus_client's own metric objects: gunicorn runs several web processes
and RQ forks a work horse for every job, so numbers kept in a process's memory would be split
and lost with it (prometheus_client's multiprocess mode needs a shared directory and its own
clean-up); Redis is already shared by all of them.

How they are kept (each value is a field in a Redis hash, written in Prometheus' own sample
syntax, label values escaped the way the exposition format escapes them):

- counters: `zoombridge:metrics:counters`, `name_total{label="value"}` → HINCRBY;
- histograms: `zoombridge:metrics:histograms`, per observation one bucket field
  `name_bucket{label="value",le="0.25"}` (the first bucket the value fits; stored per bucket
  and made cumulative when read), `name_sum{...}` and `name_count{...}`, in one round trip.

The collector reads both hashes with prometheus_client's parser and hands counters, histograms
and the gauges read at scrape time (queue lengths, inbox rows, liveness) to prometheus_client,
which writes the text format. Counting must never break the thing being counted, so a Redis
error while counting is swallowed.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

COUNTERS_KEY = "zoombridge:metrics:counters"
HISTOGRAMS_KEY = "zoombridge:metrics:histograms"

HELP = {
    "zoombridge_webhooks_received_total": "Webhook deliveries accepted, by event.",
    "zoombridge_webhooks_duplicate_total": "Webhook deliveries already in the inbox.",
    "zoombridge_webhooks_rejected_total": "Webhook deliveries refused, by reason.",
    "zoombridge_inbox_enqueue_failed_total": "Inbox rows stored while Redis was unreachable (the sweeper picks them up).",
    "zoombridge_zoom_requests_total": "Calls to the Zoom API, by outcome.",
    "zoombridge_emails_total": "Emails handled, by outcome.",
    "zoombridge_queue_jobs": "Jobs waiting in each queue.",
    "zoombridge_inbox_events": "Webhook inbox rows, by status.",
    "zoombridge_inbox_oldest_pending_seconds": "Age of the oldest inbox row not yet ingested (0 when none waits).",
    "zoombridge_process_alive": "1 when a process of this role sent a heartbeat within the allowed silence.",
    "zoombridge_heartbeat_age_seconds": "Seconds since the newest heartbeat of a process of this role.",
    "zoombridge_redis_up": "1 when Redis answered the scrape.",
    "zoombridge_database_up": "1 when the database answered the scrape.",
}


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    buckets: tuple[float, ...]  # upper bounds, ascending; +Inf is added


WEBHOOK_SECONDS = Histogram(
    "zoombridge_webhook_seconds", "Time to answer a Zoom webhook delivery, by HTTP status.",
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
JOB_SECONDS = Histogram(
    "zoombridge_job_seconds", "Time a job ran, by queue and outcome.",
    (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0))
ZOOM_CALL_SECONDS = Histogram(
    "zoombridge_zoom_call_seconds", "Time one call to the Zoom API took, by endpoint.",
    (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
HISTOGRAMS = {h.name: h for h in (WEBHOOK_SECONDS, JOB_SECONDS, ZOOM_CALL_SECONDS)}


def escape_label_value(value: object) -> str:
    """A label value as the text format writes it: backslash, double quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series(name: str, labels: dict[str, object] | None = None) -> str:
    """`name{a="x",b="y"}`, labels sorted and escaped: one Redis hash field per series."""
    if not labels:
        return name
    inner = ",".join(f'{key}="{escape_label_value(value)}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def count(connection: redis.Redis | None, name: str, labels: dict[str, str] | None = None, amount: int = 1,
          pipeline=None) -> None:
    target = pipeline if pipeline is not None else connection
    if target is None:
        return
    try:
        target.hincrby(COUNTERS_KEY, series(name, labels), amount)
    except redis.RedisError:
        pass


def observe(connection: redis.Redis | None, histogram: Histogram, seconds: float,
            labels: dict[str, str] | None = None) -> None:
    """Record one duration: its bucket, the sum and the count, in one round trip."""
    if connection is None:
        return
    batch = HistogramBatch(histogram)
    batch.add(seconds, labels)
    batch.flush(connection)


class HistogramBatch:
    """Observations of one histogram kept in this process and written to Redis together.

    For the webhook path (issue 17), where one Redis round trip per delivery costs as much CPU as
    the delivery's own work: `add` only counts in memory; `flush` writes what was counted, summed
    per series, in one pipeline. Thread-safe. The caller decides when to flush (see
    `zoombridge.web.timing`); observations not yet flushed when a process dies are lost, which a
    latency histogram can afford and a counter of deliveries could not.
    """

    def __init__(self, histogram: Histogram):
        self.histogram = histogram
        self._lock = threading.Lock()
        self._fields: Counter[str] = Counter()
        self._sums: dict[str, float] = defaultdict(float)
        self.oldest: float | None = None  # perf_counter() of the oldest observation not yet flushed

    def add(self, seconds: float, labels: dict[str, str] | None = None, at: float = 0.0) -> None:
        if math.isnan(seconds):
            return
        labels = dict(labels or {})
        bound = next((b for b in self.histogram.buckets if seconds <= b), math.inf)
        name = self.histogram.name
        with self._lock:
            self._fields[series(f"{name}_bucket", {**labels, "le": _bound_text(bound)})] += 1
            self._fields[series(f"{name}_count", labels)] += 1
            self._sums[series(f"{name}_sum", labels)] += seconds
            if self.oldest is None:
                self.oldest = at

    def flush(self, connection: redis.Redis | None) -> None:
        """Write what was counted since the last flush, in one round trip (dropped if Redis fails)."""
        with self._lock:
            fields, sums = self._fields, self._sums
            self._fields, self._sums, self.oldest = Counter(), defaultdict(float), None
        if connection is None or not fields:
            return
        try:
            pipe = connection.pipeline(transaction=False)
            for key, n in fields.items():
                pipe.hincrby(HISTOGRAMS_KEY, key, n)
            for key, total in sums.items():
                pipe.hincrbyfloat(HISTOGRAMS_KEY, key, total)
            pipe.execute()
        except (redis.RedisError, OSError):
            pass


def _bound_text(bound: float) -> str:
    return "+Inf" if bound == math.inf else repr(float(bound))


def read_counters(connection: redis.Redis) -> dict[str, int]:
    """Every counter series (`name{labels}`) and its value."""
    raw = connection.hgetall(COUNTERS_KEY)
    return {k.decode(): int(v) for k, v in raw.items()}


def read_histogram_fields(connection: redis.Redis) -> dict[str, float]:
    """Every stored histogram field (`name_bucket{...}`, `name_sum{...}`, `name_count{...}`) and its value."""
    raw = connection.hgetall(HISTOGRAMS_KEY)
    return {k.decode(): float(v) for k, v in raw.items()}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def _samples(raw: dict[bytes, bytes]) -> Iterator[Sample]:
    """Hash fields read back with prometheus_client's own parser; a field it cannot read is skipped."""
    for key, value in raw.items():
        try:
            for family in text_string_to_metric_families(f"{key.decode()} {float(value)}\n"):
                for sample in family.samples:
                    yield Sample(sample.name, dict(sample.labels), sample.value)
        except (ValueError, UnicodeDecodeError):
            continue


@dataclass
class Snapshot:
    """What one scrape shows: the stored counters and histograms, and gauges read just now."""

    counters: dict[bytes, bytes] = field(default_factory=dict)
    histograms: dict[bytes, bytes] = field(default_factory=dict)
    gauges: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def read_stored(connection: redis.Redis, snapshot: Snapshot) -> None:
    snapshot.counters = connection.hgetall(COUNTERS_KEY)
    snapshot.histograms = connection.hgetall(HISTOGRAMS_KEY)


class RedisCollector(Collector):
    """Hands prometheus_client what `read()` found: counters, histograms and gauges."""

    def __init__(self, read: Callable[[], Snapshot]):
        self.read = read

    def collect(self) -> Iterable:
        snapshot = self.read()
        yield from _counter_families(_samples(snapshot.counters))
        yield from _histogram_families(_samples(snapshot.histograms))
        yield from _gauge_families(snapshot.gauges)


def _by_name(samples: Iterable[tuple[str, dict[str, str], float]]) -> dict[str, list[tuple[dict[str, str], float]]]:
    grouped: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for name, labels, value in samples:
        grouped[name].append((labels, value))
    return grouped


def _label_names(rows: list[tuple[dict[str, str], float]]) -> list[str]:
    return sorted({key for labels, _ in rows for key in labels})


def _counter_families(samples: Iterable[Sample]) -> Iterator[CounterMetricFamily]:
    for name, rows in sorted(_by_name((s.name, s.labels, s.value) for s in samples).items()):
        names = _label_names(rows)
        family = CounterMetricFamily(name.removesuffix("_total"), HELP.get(name, name.replace("_", " ")),
                                     labels=names)
        for labels, value in rows:
            family.add_metric([labels.get(n, "") for n in names], value)
        yield family


def _histogram_families(samples: Iterable[Sample]) -> Iterator[HistogramMetricFamily]:
    buckets: dict[str, dict[tuple, dict[float, float]]] = defaultdict(lambda: defaultdict(dict))
    sums: dict[str, dict[tuple, float]] = defaultdict(dict)
    for sample in samples:
        base, _, part = sample.name.rpartition("_")
        if base not in HISTOGRAMS:
            continue
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        key = tuple(sorted(labels.items()))
        if part == "bucket":
            bound = math.inf if sample.labels.get("le") == "+Inf" else float(sample.labels.get("le", "inf"))
            buckets[base][key][bound] = buckets[base][key].get(bound, 0) + sample.value
        elif part == "sum":
            sums[base][key] = sample.value
    for base in sorted(buckets):
        histogram = HISTOGRAMS[base]
        keys = sorted(buckets[base])
        names = sorted({name for key in keys for name, _ in key})
        family = HistogramMetricFamily(base, histogram.help, labels=names)
        for key in keys:
            stored = buckets[base][key]
            running, cumulative = 0.0, []
            for bound in (*histogram.buckets, math.inf):
                running += stored.get(bound, 0)
                cumulative.append((_bound_text(bound), running))
            labels = dict(key)
            family.add_metric([labels.get(n, "") for n in names], cumulative, sums[base].get(key, 0.0))
        yield family


def _gauge_families(gauges: list[tuple[str, dict[str, str], float]]) -> Iterator[GaugeMetricFamily]:
    for name, rows in sorted(_by_name(gauges).items()):
        names = _label_names(rows)
        family = GaugeMetricFamily(name, HELP.get(name, name.replace("_", " ")), labels=names)
        for labels, value in rows:
            family.add_metric([labels.get(n, "") for n in names], value)
        yield family


def render(read: Callable[[], Snapshot]) -> bytes:
    """The Prometheus text of one scrape (prometheus_client writes it)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(read))
    return generate_latest(registry)
