"""The webhook inbox: every verified delivery, stored once, before it is answered.

Deliveries that arrive together are stored together (group commit): one
`INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key` for the group and one
commit, so a burst pays one commit (one fsync on PostgreSQL, one turn at SQLite's write lock)
instead of one per delivery. Each delivery is still answered only after the commit that holds
its row: if the process dies first, no request of the group has had its 200.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import InboxEvent
from zoombridge.zoom.webhooks import InboxRecord

PENDING, PROCESSED, FAILED, IGNORED = "pending", "processed", "failed", "ignored"

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
_COLUMNS = ("dedupe_key", "event", "meeting_uuid", "event_ts", "body", "status", "received_at", "request_id")
# A group larger than this waits for the next commit (a bound on one statement's size).
MAX_GROUP = 256


@dataclass(frozen=True)
class Delivery:
    """One verified webhook, as it goes into the inbox."""

    record: InboxRecord
    body: str
    request_id: str | None
    received_at: datetime

    def row(self) -> dict:
        record = self.record
        return {"dedupe_key": record.dedupe_key, "event": record.event, "meeting_uuid": record.meeting_uuid,
                "event_ts": record.event_ts, "body": self.body,
                "status": PENDING if record.for_attendance else IGNORED, "received_at": self.received_at,
                "request_id": self.request_id}


@cache
def _insert_unless_known(dialect: str):
    """`INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`, built once per dialect
    with bound parameters; SQLAlchemy sends a list of rows as one multi-row statement."""
    table = InboxEvent.__table__
    return (_INSERTS[dialect](table).values({name: bindparam(name, type_=table.c[name].type) for name in _COLUMNS})
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key))


def store_many(engine: Engine, deliveries: list[Delivery]) -> list[bool]:
    """Insert the deliveries whose dedupe key is not there yet, in one statement and one commit;
    for each delivery, True when it is new.

    `ON CONFLICT DO NOTHING` makes the duplicate check and the insert one atomic step, so the same
    event racing in from two web processes is stored once. Within the group the first delivery of
    a key is the new one and a repeat of it is a duplicate. (RETURNING rather than rowcount:
    psycopg reports -1 for this statement.)
    """
    first_of_key: dict[str, int] = {}
    for i, delivery in enumerate(deliveries):
        first_of_key.setdefault(delivery.record.dedupe_key, i)
    rows = [deliveries[i].row() for i in first_of_key.values()]
    with engine.begin() as conn:
        inserted = set(conn.scalars(_insert_unless_known(engine.dialect.name), rows))
    return [first_of_key[d.record.dedupe_key] == i and d.record.dedupe_key in inserted
            for i, d in enumerate(deliveries)]


def store(engine: Engine, record: InboxRecord, body: str, request_id: str | None, received_at: datetime) -> bool:
    """One delivery on its own (its own commit); True when it is new."""
    return store_many(engine, [Delivery(record, body, request_id, received_at)])[0]


@dataclass
class _Waiting:
    delivery: Delivery
    done: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # woken to write the next group rather than with a result
    is_new: bool | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class Stored:
    is_new: bool
    # Filled for the thread that wrote the group (every delivery of it, with whether it was new),
    # so what follows the commit (the ingest nudge) is done once per group; empty for the others.
    group: list[tuple[Delivery, bool]]


class InboxWriter:
    """Group commit for one process: `store` blocks until the commit that holds the delivery.

    No thread of its own. A delivery arriving while no group is being written writes at once (a
    group of one when the server is quiet). Deliveries arriving during that write wait; when it
    commits, the first of them writes the next group: all that arrived meanwhile. So a group
    forms only from requests that would otherwise have queued for the database.
    """

    def __init__(self, engine: Engine, max_group: int = MAX_GROUP):
        self._engine = engine
        self._max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """Deliveries waiting for the group being written to commit (they go in the next one)."""
        with self._lock:
            return len(self._queue)

    def store(self, delivery: Delivery) -> Stored:
        waiting = _Waiting(delivery)
        with self._lock:
            self._queue.append(waiting)
            leads = not self._writing
            self._writing = True
        if not leads:
            waiting.done.wait()
            leads = waiting.leads
        group = self._write_next_group() if leads else []
        if waiting.error is not None:
            raise waiting.error
        return Stored(is_new=bool(waiting.is_new), group=group)

    def _write_next_group(self) -> list[tuple[Delivery, bool]]:
        with self._lock:
            group, self._queue = self._queue[:self._max_group], self._queue[self._max_group:]
        try:
            outcomes = self._write(group)
        except BaseException as exc:
            for waiting in group:
                waiting.error = exc
        else:
            for waiting, is_new in zip(group, outcomes, strict=True):
                waiting.is_new = is_new
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._writing = successor is not None
            for waiting in group:
                waiting.done.set()
            if successor is not None:
                successor.leads = True
                successor.done.set()
        return [(w.delivery, bool(w.is_new)) for w in group if w.error is None]

    def _write(self, group: list[_Waiting]) -> list[bool]:
        deliveries = [w.delivery for w in group]
        try:
            return store_many(self._engine, deliveries)
        except DBAPIError as exc:
            if len(group) == 1 or isinstance(exc, OperationalError) or exc.connection_invalidated:
                raise  # the database is unreachable: every delivery of the group gets its 503
        # One delivery the database refused must not cost the others their 200: each on its own.
        outcomes = []
        for waiting in group:
            try:
                outcomes.append(store_many(self._engine, [waiting.delivery])[0])
            except DBAPIError as exc:
                waiting.error = exc
                outcomes.append(False)
        return outcomes


def meetings_with_pending_rows(s: DbSession, received_before: datetime) -> list[str]:
    """Meeting instances with rows still waiting since before `received_before` (for the sweeper)."""
    return list(s.scalars(
        select(InboxEvent.meeting_uuid)
        .where(InboxEvent.status == PENDING, InboxEvent.received_at < received_before,
               InboxEvent.meeting_uuid.is_not(None))
        .distinct()
    ))
