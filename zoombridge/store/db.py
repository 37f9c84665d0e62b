"""The database handle: one engine per process, short sessions per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from zoombridge.store import person_writes

EXTENSION_KEY = "zoombridge.db"


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


class Database:
    def __init__(self, url: str, echo: bool = False):
        self.url = url
        # hide_parameters: error messages must not carry emails or phone numbers into logs.
        kwargs: dict = {"echo": echo, "future": True, "hide_parameters": True}
        if _is_sqlite(url):
            # One SQLite file is shared by the web processes and the workers: WAL lets readers
            # carry on during a write and busy_timeout queues writers instead of failing them.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 3})
        self.engine: Engine = create_engine(url, **kwargs)
        if _is_sqlite(url):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        person_writes.install(self.sessionmaker)  # a person changes only through the one rule

    @property
    def is_sqlite(self) -> bool:
        return _is_sqlite(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def current_database() -> Database:
    return current_app.extensions[EXTENSION_KEY]


@contextmanager
def db_session() -> Iterator[Session]:
    with current_database().session() as session:
        yield session
