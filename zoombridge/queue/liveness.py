"""Heartbeats: each worker and the scheduler say "still here" in Redis; `/healthz` reads them.

A worker beats whenever RQ's own heartbeat runs (while it waits for work, every
`WORKER_TTL_SECONDS - 15` s, and every 30 s while a forked job runs); the scheduler beats on each
of its rounds (at most a minute apart). Each beat is the time by the app's clock under the
process's name, in one hash per role; a process that stops cleanly removes its name, one that
dies stops beating. A role is missing when its newest beat is older than the allowed silence
(`ZOOMBRIDGE_LIVENESS_SILENCE_SECONDS`), or when it has none.

Beats older than a day are tidied away when read, so names of long-dead processes do not pile up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

WORKER, SCHEDULER = "worker", "scheduler"
ROLES = (WORKER, SCHEDULER)
KEY = "zoombridge:heartbeats:{}"
# RQ's worker TTL; an idle worker's heartbeat comes every TTL - 15 s (rq/worker/base.py dequeue_timeout).
WORKER_TTL_SECONDS = 60
FORGOTTEN_AFTER = timedelta(days=1)


def beat(connection, role: str, name: str, now: datetime) -> None:
    """`connection` may be a pipeline: the beat goes with RQ's own heartbeat."""
    connection.hset(KEY.format(role), name, now.isoformat())


def gone(connection, role: str, name: str) -> None:
    connection.hdel(KEY.format(role), name)


@dataclass(frozen=True)
class Liveness:
    role: str
    last_beat: datetime | None  # the newest beat of any process of this role
    silence: timedelta

    def age(self, now: datetime) -> float | None:
        return None if self.last_beat is None else max(0.0, (now - self.last_beat).total_seconds())

    def alive(self, now: datetime) -> bool:
        age = self.age(now)
        return age is not None and age <= self.silence.total_seconds()

    def describe(self, now: datetime) -> str:
        """"ok", or what is missing, in words an operator acts on."""
        if self.alive(now):
            return "ok"
        if self.last_beat is None:
            return f"missing: no {self.role} heartbeat (none in the last day)"
        return f"missing: no {self.role} heartbeat for {int(self.age(now))} s (allowed {int(self.silence.total_seconds())} s)"


def read(connection: redis.Redis, role: str, now: datetime, silence: timedelta) -> Liveness:
    key = KEY.format(role)
    newest = None
    stale = []
    for name, raw in connection.hgetall(key).items():
        try:
            when = datetime.fromisoformat(raw.decode())
        except ValueError:
            stale.append(name)
            continue
        if now - when > FORGOTTEN_AFTER:
            stale.append(name)
        elif newest is None or when > newest:
            newest = when
    if stale:
        connection.hdel(key, *stale)
    return Liveness(role, newest, silence)
