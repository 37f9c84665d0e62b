"""Fixtures shared by the fault tests."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import insert, select

from tests.conftest import WEBHOOK_SECRET, JobRunner
from tests.faults.processes import process_env
from zoombridge.store.inbox import IGNORED, PENDING
from zoombridge.store.models import AttendanceSegment, InboxEvent, Participant
from zoombridge.zoom.webhooks import inbox_record


def fill_inbox(engine, bodies: list[dict], received_at: datetime) -> None:
    """Store deliveries as the receiver would, in one bulk insert (a big batch in well under a
    second instead of one commit per row)."""
    rows = []
    for body in bodies:
        record = inbox_record(body)
        rows.append(dict(dedupe_key=record.dedupe_key, event=record.event, meeting_uuid=record.meeting_uuid,
                         event_ts=record.event_ts, body=json.dumps(body, separators=(",", ":")),
                         status=PENDING if record.for_attendance else IGNORED, received_at=received_at))
    with engine.begin() as conn:
        conn.execute(insert(InboxEvent), rows)


def status_counts(db, meeting_uuid: str | None = None) -> dict[str, int]:
    query = select(InboxEvent.status)
    if meeting_uuid is not None:
        query = query.where(InboxEvent.meeting_uuid == meeting_uuid)
    counts: dict[str, int] = {}
    with db() as s:
        for status in s.scalars(query):
            counts[status] = counts.get(status, 0) + 1
    return counts


def attendance_of(db, meeting_uuid: str) -> list[tuple]:
    """The meeting's segments as comparable tuples, sorted (duplicates stay visible)."""
    with db() as s:
        rows = s.execute(
            select(Participant.participant_key, AttendanceSegment.place, AttendanceSegment.room,
                   AttendanceSegment.joined_at, AttendanceSegment.left_at, AttendanceSegment.closed_by)
            .join(Participant, Participant.id == AttendanceSegment.participant_id)
            .where(AttendanceSegment.meeting_uuid == meeting_uuid)).all()
    return sorted((tuple(r) for r in rows), key=repr)


@pytest.fixture
def subprocess_env(database_url, redis_url, tmp_path):
    return process_env(database_url, redis_url, tmp_path / "worker-instance", WEBHOOK_SECRET)


@pytest.fixture
def job_runner():
    """Build a burst runner for any app/Redis pair (the conftest's `run_jobs` is bound to the
    default app)."""
    return JobRunner


def post_concurrently(url: str, bodies: list[dict], signed_at: datetime, threads: int = 4) -> list[int]:
    """Deliver signed bodies to `url` from a few threads at once, as Zoom does; the answers'
    status codes, in the order of `bodies`."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from zoombridge.zoom.signature import signed_headers, webhook_bytes

    http = requests.Session()

    def send(body: dict) -> int:
        raw = webhook_bytes(body)
        return http.post(url, data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, signed_at), timeout=10).status_code

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send, bodies))
