"""Migrations 0011 (erasure marker, retention marks) and 0012 (payment choices) keep the data
they find, and 0012's downgrade never leaves a choice the older code would pay more on."""

from __future__ import annotations

import sqlalchemy as sa

from zoombridge.store.migrate import downgrade, upgrade


def _rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _run(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


NOW = "'2026-11-24 09:00:00'"


def test_people_and_registrations_come_through_both_migrations_and_back(empty_database_url):
    url = empty_database_url
    upgrade(url, "0008_issue14")
    _run(url,
         f"INSERT INTO sessions (id, kind, title, starts_at, duration_minutes, status, overrides, zoom_meeting_state, "
         f"zoom_details, captions_state, preparation_minutes, revision, created_at, updated_at) VALUES "
         f"(1, 'co-production', 'S', {NOW}, 120, 'scheduled', '{{}}', 'none', '{{}}', 'unknown', 0, 0, {NOW}, {NOW})",
         f"INSERT INTO people (id, first_name, email, is_staff, created_at) VALUES (1, 'Ann', 'ann@example.org', "
         f"false, {NOW}), (2, 'Bo', 'bo@example.org', false, {NOW})",
         "INSERT INTO registrations (id, session_id, person_id, joins_by, access_needs, wants_payment, status, source, "
         f"payment_choice, public_sector_work_time, created_at) VALUES "
         f"(1, 1, 1, 'video', '', true, 'active', 'staff', 'voucher', false, {NOW}), "
         f"(2, 1, 2, 'video', '', true, 'active', 'staff', 'cash', false, {NOW})")
    upgrade(url)
    assert _rows(url, "SELECT id, first_name, erased_at FROM people ORDER BY id") == [(1, "Ann", None), (2, "Bo", None)]
    assert _rows(url, "SELECT id, payment_choice, lower_amount_pence, charity FROM registrations ORDER BY id") == [
        (1, "voucher", None, None), (2, "cash", None, None)]

    _run(url, "UPDATE registrations SET payment_choice = 'lower', lower_amount_pence = 1500 WHERE id = 2")
    downgrade(url, "0011_people_data")
    assert _rows(url, "SELECT id, payment_choice FROM registrations ORDER BY id") == [(1, "voucher"), (2, "declined")]
    downgrade(url, "0008_issue14")
    assert _rows(url, "SELECT id, first_name FROM people ORDER BY id") == [(1, "Ann"), (2, "Bo")]
