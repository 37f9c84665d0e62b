"""`store.sql`: the same answers on SQLite and PostgreSQL, whichever form the statement takes there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.builders import add_person
from zoombridge.store.models import AttendanceSegment, Participant, Person
from zoombridge.store.sql import insert_rows, one_of

AT = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _participant(s) -> int:
    p = Participant(meeting_uuid="m1==", participant_key="k1", display_name="Ann", created_at=AT)
    s.add(p)
    s.flush()
    return p.id


def test_rows_are_inserted_with_their_columns_bind_processing_and_defaults(db):
    with db() as s:
        pid = _participant(s)
        plus_one = timezone(timedelta(hours=1))
        insert_rows(s, AttendanceSegment.__table__, [
            {"participant_id": pid, "meeting_uuid": "m1==", "place": "main", "room": None,
             "joined_at": AT.astimezone(plus_one), "left_at": None},  # `source` left out: its default
            {"participant_id": pid, "meeting_uuid": "m1==", "place": "breakout", "room": "Room 1 — Zoë's",
             "joined_at": AT + timedelta(minutes=5), "left_at": AT + timedelta(minutes=9)},
        ])
    with db() as s:
        rows = s.execute(select(AttendanceSegment.place, AttendanceSegment.room, AttendanceSegment.joined_at,
                                AttendanceSegment.left_at, AttendanceSegment.source)
                         .order_by(AttendanceSegment.joined_at)).all()
    assert [tuple(r) for r in rows] == [
        ("main", None, AT, None, "webhook"),
        ("breakout", "Room 1 — Zoë's", AT + timedelta(minutes=5), AT + timedelta(minutes=9), "webhook"),
    ]


def test_a_naive_time_is_refused_as_an_insert_would_refuse_it_and_nothing_is_written(db):
    with pytest.raises(Exception, match="naive datetime"):
        with db() as s:
            pid = _participant(s)
            insert_rows(s, AttendanceSegment.__table__, [
                {"participant_id": pid, "meeting_uuid": "m1==", "place": "main", "room": None,
                 "joined_at": datetime(2026, 11, 24, 10), "left_at": None}])
    with db() as s:
        assert s.scalars(select(AttendanceSegment.id)).all() == []
        assert s.scalars(select(Participant.id)).all() == []


def test_one_of_matches_exactly_the_listed_values_and_nothing_for_an_empty_list(db):
    with db() as s:
        people = [add_person(s, name, email=f"{name.lower()}@example.org") for name in ("Ann", "Bob", "Cat")]
        s.flush()
        ids = [p.id for p in people]
    with db() as s:
        named = lambda values: sorted(s.scalars(select(Person.first_name).where(one_of(s, Person.id, values))))  # noqa: E731
        assert named([ids[0], ids[2], 999_999]) == ["Ann", "Cat"]
        assert named([]) == []
        by_email = s.scalars(select(Person.first_name).where(one_of(s, Person.email, ["bob@example.org"]))).all()
        assert by_email == ["Bob"]
