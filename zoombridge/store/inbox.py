"""The webhook inbox: every verified delivery, stored once, before it is answered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import InboxEvent
from zoombridge.zoom.webhooks import InboxRecord

PENDING, PROCESSED, FAILED, IGNORED = "pending", "processed", "failed", "ignored"

_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def store(engine: Engine, record: InboxRecord, body: str, request_id: str | None, received_at: datetime) -> bool:
    """Insert the delivery unless its dedupe key is already there; True when it is new.

    One statement and a commit on a bare connection, no ORM: this is the webhook's hot path.
    `ON CONFLICT DO NOTHING` makes the duplicate check and the insert one atomic step, so two
    deliveries of the same event racing in two web processes still store one row.
    """
    insert = _INSERTS[engine.dialect.name]
    statement = insert(InboxEvent).values(
        dedupe_key=record.dedupe_key,
        event=record.event,
        meeting_uuid=record.meeting_uuid,
        event_ts=record.event_ts,
        body=body,
        status=PENDING if record.for_attendance else IGNORED,
        received_at=received_at,
        request_id=request_id,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(InboxEvent.id)
    with engine.begin() as conn:
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
        return conn.execute(statement).first() is not None


def meetings_with_pending_rows(s: DbSession, received_before: datetime) -> list[str]:
    """Meeting instances with rows still waiting since before `received_before` (for the sweeper)."""
    return list(s.scalars(
        select(InboxEvent.meeting_uuid)
        .where(InboxEvent.status == PENDING, InboxEvent.received_at < received_before,
               InboxEvent.meeting_uuid.is_not(None))
        .distinct()
    ))
