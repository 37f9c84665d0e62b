"""The webhook inbox: every verified delivery, stored once, before it is answered.

Deliveries that arrive together are stored together (group commit): one
`INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key` for the group and one
commit, so a burst pays one commit (one fsync on PostgreSQL, one turn at SQLite's write lock)
instead of one per delivery. Each delivery is still answered only after the commit that holds
its row: if the process dies first, no request of the group has had its 200.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import InboxEvent
from zoombridge.zoom.webhooks import InboxRecord

PENDING, PROCESSED, FAILED, IGNORED = "pending", "processed", "failed", "ignored"

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
_COLUMNS = ("dedupe_key", "event", "meeting_uuid", "event_ts", "body", "status", "received_at", "request_id")
# A group larger than this waits for the next commit (a bound on one statement's size).
MAX_GROUP = 256
# How long a group waits for deliveries of this process still being verified: a bound on what
# group commit adds to a webhook's answer time (it waits only when others are on their way).
GATHER_SECONDS = 0.001


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


def _insert_new(conn: Connection, deliveries: list[Delivery]) -> list[bool]:
    first_of_key: dict[str, int] = {}
    for i, delivery in enumerate(deliveries):
        first_of_key.setdefault(delivery.record.dedupe_key, i)
    rows = [deliveries[i].row() for i in first_of_key.values()]
    inserted = set(conn.scalars(_insert_unless_known(conn.dialect.name), rows))
    return [first_of_key[d.record.dedupe_key] == i and d.record.dedupe_key in inserted
            for i, d in enumerate(deliveries)]


def store_many(engine: Engine, deliveries: list[Delivery]) -> list[bool]:
    """Insert the deliveries whose dedupe key is not there yet, in one statement; for each
    delivery, True when it is new.

    The statement runs on its own (autocommit): one statement is one transaction, committed
    (on PostgreSQL, flushed to the WAL on disk) before the database answers, so a group costs one
    round trip instead of BEGIN, INSERT and COMMIT. `ON CONFLICT DO NOTHING` makes the duplicate
    check and the insert one atomic step, so the same event racing in from two web processes is
    stored once. Within the group the first delivery of a key is the new one and a repeat of it
    is a duplicate. (RETURNING rather than rowcount: psycopg reports -1 for this statement.)
    """
    with engine.connect() as conn:
        return _insert_new(conn.execution_options(isolation_level="AUTOCOMMIT"), deliveries)


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


Committed = list[tuple[Delivery, bool]]  # a group's deliveries that are now stored, each with "was new"


class Arrival:
    """A delivery on its way to `InboxWriter.store` (being verified and parsed)."""

    def __init__(self, writer: InboxWriter):
        self._writer = writer
        self.pending = True

    def store(self, delivery: Delivery) -> bool:
        """Store the delivery with its group; True when it is new (see `InboxWriter.store`)."""
        return self._writer.store(delivery, arrival=self)

    def __enter__(self) -> Arrival:
        return self

    def __exit__(self, *_exc) -> None:
        if self.pending:  # refused or failed before it was handed over: a group need not wait for it
            self._writer._settle(self)


class InboxWriter:
    """Group commit for one process: `store` blocks until the commit that holds the delivery.

    No thread of its own. A delivery handed over while no group is being written leads: it waits
    for the deliveries of this process still on their way in (`arriving`: their bodies read, being
    verified and parsed; never a client still sending) for at most `gather_seconds`, then writes
    them all as one group. Deliveries handed over during that write wait; once it commits they
    are answered, the first of those waiting leads the next group with all that arrived meanwhile,
    and the leader runs `after_commit` for its group (the ingest nudge) while the next one is
    written. On a quiet server a group is one delivery, written at once; under load the groups
    grow with it, and so does what each commit and each nudge is shared by.
    """

    def __init__(self, engine: Engine, after_commit: Callable[[Committed], None] | None = None,
                 max_group: int = MAX_GROUP, gather_seconds: float = GATHER_SECONDS):
        self._engine = engine
        self._after_commit = after_commit
        self._max_group = max_group
        self._gather_seconds = gather_seconds
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: list[_Waiting] = []
        self._arriving = 0
        self._writing = False

    @property
    def waiting(self) -> int:
        """Deliveries handed over and not yet in a group being written."""
        with self._lock:
            return len(self._queue)

    def arriving(self) -> Arrival:
        """Announce a delivery on its way in: `with writer.arriving() as arrival: ... arrival.store(d)`."""
        arrival = Arrival(self)
        with self._lock:
            self._arriving += 1
        return arrival

    def _settle(self, arrival: Arrival) -> None:
        with self._lock:
            if arrival.pending:
                arrival.pending = False
                self._arriving -= 1
                self._changed.notify_all()

    def store(self, delivery: Delivery, arrival: Arrival | None = None) -> bool:
        """Store the delivery with whatever else is waiting; True when it is new. Raises the
        database's error (for this delivery's group, or for this delivery alone)."""
        waiting = _Waiting(delivery)
        with self._lock:
            if arrival is not None and arrival.pending:
                arrival.pending = False
                self._arriving -= 1
            self._queue.append(waiting)
            leads = not self._writing
            self._writing = True
            self._changed.notify_all()
        if not leads:
            waiting.done.wait()
            leads = waiting.leads
        if leads:
            self._lead()
        if waiting.error is not None:
            raise waiting.error
        return bool(waiting.is_new)

    def _lead(self) -> None:
        with self._lock:
            deadline = time.monotonic() + self._gather_seconds
            while self._arriving and len(self._queue) < self._max_group:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            group, self._queue = self._queue[:self._max_group], self._queue[self._max_group:]
        try:
            self._write(group)
        finally:
            for waiting in group:
                waiting.done.set()  # answered now
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._writing = successor is not None
            if successor is not None:  # the next group is written while this thread nudges
                successor.leads = True
                successor.done.set()
        committed = [(w.delivery, bool(w.is_new)) for w in group if w.error is None]
        if committed and self._after_commit is not None:
            self._after_commit(committed)

    def _write(self, group: list[_Waiting]) -> None:
        """Store the group, setting each delivery's outcome or error (never raises)."""
        try:
            outcomes = store_many(self._engine, [w.delivery for w in group])
        except DBAPIError as exc:
            if len(group) == 1 or isinstance(exc, OperationalError) or exc.connection_invalidated:
                for waiting in group:  # the database is unreachable: every delivery gets its 503
                    waiting.error = exc
                return
            # One delivery the database refused must not cost the others their 200: each on its own.
            for waiting in group:
                try:
                    waiting.is_new = store_many(self._engine, [waiting.delivery])[0]
                except DBAPIError as one:
                    waiting.error = one
            return
        except BaseException as exc:
            for waiting in group:
                waiting.error = exc
            return
        for waiting, is_new in zip(group, outcomes, strict=True):
            waiting.is_new = is_new


def meetings_with_pending_rows(s: DbSession, received_before: datetime) -> list[str]:
    """Meeting instances with rows still waiting since before `received_before` (for the sweeper)."""
    return list(s.scalars(
        select(InboxEvent.meeting_uuid)
        .where(InboxEvent.status == PENDING, InboxEvent.received_at < received_before,
               InboxEvent.meeting_uuid.is_not(None))
        .distinct()
    ))
