"""Zoom's rate limits: when to try again, and a breaker for daily limits shared in Redis.

Zoom answers 429 for two different reasons. A per-second limit clears in a moment: wait
(`Retry-After` when given, else an exponential backoff with jitter) and retry. A daily limit
(e.g. 100 meeting create/update calls per host per UTC day) does not clear until `Retry-After`
or the next 00:00 UTC, and every further call only earns another 429 and counts against the
app's error ratio; so the first worker to see one opens a breaker in Redis, and every process
refuses calls in that scope, without sending them, until it resets.

`Retry-After` arrives as seconds, as an HTTP date, or (on daily limits) as an ISO date-time
(docs/zoom.md §2); all three are understood.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import redis

from zoombridge.clock import Clock

BREAKER_KEY_PREFIX = "zoombridge:zoom:breaker:"


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """When `Retry-After` says to try again, as an aware UTC datetime; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)  # HTTP date: "Wed, 25 Nov 2026 00:00:00 GMT"
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(value)  # ISO: "2026-11-25T00:00:00Z"
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def next_utc_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def is_daily_limit(headers, message: str) -> bool:
    """A daily limit, by header (`X-RateLimit-Type: Daily-limit`) or Zoom's documented wording."""
    kind = (headers.get("X-RateLimit-Type") or "").lower()
    return kind.startswith("daily") or "daily" in (message or "").lower()


def backoff_seconds(attempt: int, rng: random.Random, base: float = 1.0, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter: a random wait in [base/2, min(cap, base*2**attempt)]."""
    ceiling = min(cap, base * (2 ** attempt))
    return rng.uniform(min(base / 2, ceiling), ceiling)


class DailyLimitBreaker:
    """Open/closed state per scope, in Redis, shared by every process; judged by the clock."""

    def __init__(self, connection: redis.Redis, clock: Clock):
        self.connection = connection
        self.clock = clock

    def _key(self, scope: str) -> str:
        return BREAKER_KEY_PREFIX + scope

    def open_until(self, scope: str) -> datetime | None:
        """When the breaker for `scope` closes again, or None when it is closed."""
        raw = self.connection.get(self._key(scope))
        if raw is None:
            return None
        until = datetime.fromisoformat(raw.decode())
        if until <= self.clock.now():
            return None
        return until

    def trip(self, scope: str, until: datetime) -> None:
        seconds = max(1, int((until - self.clock.now()).total_seconds()) + 1)
        self.connection.set(self._key(scope), until.astimezone(UTC).isoformat(), ex=seconds)

    def reset(self, scope: str) -> None:
        self.connection.delete(self._key(scope))
