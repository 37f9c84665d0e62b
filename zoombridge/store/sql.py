"""Query pieces whose best form differs between SQLite and PostgreSQL (`one_of`, `insert_rows`).

`one_of`: "this column is one of these values". SQLAlchemy writes `IN (...)` with one parameter
per value; on PostgreSQL psycopg then parses that statement in Python on every execution (its
cache holds only short statements), which costs tens of microseconds per value — more than the
database's own work for a chunk of 500 ids (measured in `bench/RESULTS.md`, issue 17). On
PostgreSQL the list is sent as one array parameter instead (`= ANY(%s)`), a short statement
psycopg parses once; SQLite keeps `IN`.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def one_of(s: Session, column, values: Collection) -> ColumnElement[bool]:
    if s.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(s: Session, table: Table, rows: list[dict]) -> None:
    """Insert many rows of `table` (no ids back) inside the session's transaction.

    PostgreSQL: one `COPY ... FROM STDIN`. psycopg's executemany sends one INSERT per row (in a
    pipeline: the server still plans and runs each), which was most of a whole-meeting ingest
    (issue 17, `bench/RESULTS.md`); COPY streams the rows into the table in one statement. Values go
    through each column's own bind processing (so `UTCDateTime` still checks and normalises), and
    a column a row leaves out gets its scalar default, as the INSERT would. Elsewhere: an executemany.
    """
    if not rows:
        return
    dialect = s.get_bind().dialect
    if dialect.name != "postgresql":
        s.execute(insert(table), rows)
        return
    names = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
    columns = [table.c[name] for name in [*names, *defaults]]
    processors = [column.type.bind_processor(dialect) or _same for column in columns]
    fixed = list(defaults.values())
    s.flush()  # the ORM's pending rows first, as an INSERT through the session would
    cursor = s.connection().connection.driver_connection.cursor()
    column_list = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    with cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            values = [row[name] for name in names] + fixed
            copy.write_row([process(value) for process, value in zip(processors, values, strict=True)])


def _same(value):
    return value
