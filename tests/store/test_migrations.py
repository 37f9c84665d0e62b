import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from zoombridge.store.migrate import current_heads, downgrade, upgrade
from zoombridge.store.models import Base


def _tables(url):
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrations_form_one_line_of_history():
    assert len(current_heads()) == 1


def test_migration_upgrades_and_downgrades_cleanly(empty_database_url):
    upgrade(empty_database_url)
    assert _tables(empty_database_url) == set(Base.metadata.tables)
    downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == set()
    upgrade(empty_database_url)  # and back up again: the downgrade left nothing behind
    assert _tables(empty_database_url) == set(Base.metadata.tables)


def test_migrated_schema_matches_the_models(empty_database_url):
    upgrade(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_sessions_ingested_before_the_summaries_read_the_same_after_the_migration(empty_database_url):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from tests.builders import add_person, add_session
    from zoombridge.attendance import session_attendance
    from zoombridge.store.models import AttendanceSegment, Participant
    from zoombridge.store.models import Session as SessionRow

    start = datetime(2026, 11, 24, 10, tzinfo=UTC)
    upgrade(empty_database_url, "0012_payment_choices")  # the revision before 0013 (summaries)
    engine = sa.create_engine(empty_database_url)
    try:
        with Session(engine) as s, s.begin():
            session = add_session(s, kind="cuppa", starts_at=start, minutes=90, zoom_meeting_id=86431910364,
                                  meeting_uuid="old-meeting==", ended_at=start + timedelta(minutes=80))
            ana = add_person(s, "Ana", "ana@example.org")
            for key, person, spans in (("registrant:a", ana, [(0, 30, "webhook"), (20, 50, "report")]),
                                       ("zoom:phone", ana, [(40, 70, "webhook")]),
                                       ("zoom:guest", None, [(5, None, "webhook")])):
                p = Participant(meeting_uuid="old-meeting==", session_id=session.id, participant_key=key,
                                display_name=key, person_id=person.id if person else None, created_at=start)
                s.add(p)
                s.flush()
                for a, b, source in spans:
                    s.add(AttendanceSegment(participant_id=p.id, meeting_uuid="old-meeting==", place="main",
                                            joined_at=start + timedelta(minutes=a), source=source,
                                            left_at=None if b is None else start + timedelta(minutes=b)))
            session_id, ana_id = session.id, ana.id
        upgrade(empty_database_url)
        with Session(engine) as s:
            session = s.get(SessionRow, session_id)
            read = session_attendance.read(s, session, 10)
            computed = session_attendance.compute(s, session, 10)
            [guest] = computed.unmatched
            assert [(p.person_id, p.attendance.seconds, p.attendance.sources) for p in read.people] == [
                (ana_id, computed.by_person[ana_id].seconds, computed.by_person[ana_id].sources)]
            assert read.people[0].attendance.seconds == 70 * 60
            assert [(u.participant_id, u.seconds) for u in read.unmatched] == [
                (guest.id, session_attendance.participant_seconds(s, guest, computed.window))]
    finally:
        engine.dispose()
