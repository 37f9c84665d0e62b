"""Zoom's rate limits: when to try again, and a breaker for daily limits shared in Redis.

Zoom answers 429 for two different reasons. A per-second limit clears in a moment: wait
(`Retry-After` when given, else an exponential backoff with jitter) and retry. A daily limit does
not clear until `Retry-After` or the next 00:00 UTC, and every further call only earns another
429 and counts against the app's error ratio; so the first worker to see one opens a breaker in
Redis, and every process refuses calls in that scope, without sending them, until it resets.

Breakers are scoped as Zoom scopes its limits (docs/zoom.md §2), so one person's limit never
stops everyone:

| scope                                 | Zoom's limit                                          |
|---------------------------------------|-------------------------------------------------------|
| `host:<host>:meeting-writes`          | 100 meeting creates/updates a day per host user       |
| `registration:<meeting>:<person>`     | 3 registrations a day for one registrant on a meeting |
| `registrant-status:<meeting>:<person>`| 10 status changes a day for one registrant on a meeting |
| `category:<light|medium|heavy>`       | the account's daily cap for that category (Free plans) |

A call checks its own narrow scope (if it has one) and its category. Zoom's answer does not say
reliably which limit a daily 429 hit, so a call that has a narrow scope opens that one only: a
wrong narrow guess costs one more 429 per other scope, a wrong wide guess would stop every call
of the category for a day. Hosts and people appear in keys as fingerprints, never in clear.

`Retry-After` arrives as seconds, as an HTTP date, or (on daily limits) as an ISO date-time
(docs/zoom.md §2); all three are understood.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import redis

from zoombridge.clock import Clock
from zoombridge.privacy import fingerprint

BREAKER_KEY_PREFIX = "zoombridge:zoom:breaker:"


@dataclass(frozen=True)
class LimitScope:
    """A daily limit as Zoom scopes it: the breaker's key and what staff are told it is."""

    key: str
    label: str


def host_meeting_writes(host: str) -> LimitScope:
    return LimitScope(f"host:{fingerprint(host.lower())}:meeting-writes",
                      "the host's daily limit of 100 meeting creates and updates")


def registrations(meeting_id: int | str, email: str) -> LimitScope:
    return LimitScope(f"registration:{meeting_id}:{fingerprint(email.lower())}",
                      "Zoom's limit of 3 registrations a day for one person on one meeting")


def registrant_status(meeting_id: int | str, registrant: str) -> LimitScope:
    return LimitScope(f"registrant-status:{meeting_id}:{fingerprint(registrant.lower())}",
                      "Zoom's limit of 10 registration changes a day for one person on one meeting")


def category(name: str) -> LimitScope:
    name = name.lower()
    return LimitScope(f"category:{name}", f"the account's daily limit for {name.capitalize()} calls")


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

    @staticmethod
    def _key(scope: LimitScope) -> str:
        return BREAKER_KEY_PREFIX + scope.key

    def open_until(self, scope: LimitScope) -> datetime | None:
        """When the breaker for `scope` closes again, or None when it is closed."""
        raw = self.connection.get(self._key(scope))
        if raw is None:
            return None
        until = datetime.fromisoformat(json.loads(raw)["until"])
        if until <= self.clock.now():
            return None
        return until

    def trip(self, scope: LimitScope, until: datetime) -> None:
        seconds = max(1, int((until - self.clock.now()).total_seconds()) + 1)
        value = json.dumps({"until": until.astimezone(UTC).isoformat(), "label": scope.label})
        self.connection.set(self._key(scope), value, ex=seconds)

    def reset(self, scope: LimitScope) -> None:
        self.connection.delete(self._key(scope))
