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
