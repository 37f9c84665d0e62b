"""Query pieces whose best form differs between SQLite and PostgreSQL.

`one_of`: "this column is one of these values". SQLAlchemy writes `IN (...)` with one parameter
per value; on PostgreSQL psycopg then parses that statement in Python on every execution (its
cache holds only short statements), which costs tens of microseconds per value — more than the
database's own work for a chunk of 500 ids (measured in `bench/RESULTS.md`, issue 17). On
PostgreSQL the list is sent as one array parameter instead (`= ANY(%s)`), a short statement
psycopg parses once; SQLite keeps `IN`.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def one_of(s: Session, column, values: Collection) -> ColumnElement[bool]:
    if s.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
