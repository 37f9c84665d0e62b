"""Persistence: SQLAlchemy 2 models, the database handle and Alembic migrations."""

from zoombridge.store.db import Database, current_database, db_session

__all__ = ["Database", "current_database", "db_session"]
