"""The guard on the people table: a person is written only through the one rule.

The rule (`zoombridge.people.details`) says who may change which of a person's fields, with what
proof, and writes the audit line. This guard makes it the only way in: every unit of work checks,
before it writes, that each new person and each change to a person's guarded fields was allowed
by the rule (`allowed`) in that unit of work. Anything else (a view or job that sets
`person.first_name` itself, an UPDATE statement on the table, a deleted person) raises
`UnallowedPersonWrite`, so the unit of work is rolled back and nothing about anyone changes.

Installed on every database session the app makes (`zoombridge.store.db.Database`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, sessionmaker
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import Person

# Who a person is and what they may do. Other columns (when they were made, erasure's own
# bookkeeping) are not details anyone could be misled by.
GUARDED = ("first_name", "email", "phone", "is_staff")
_ALLOWED = "zoombridge.person_writes.allowed"


class UnallowedPersonWrite(RuntimeError):
    """A person was about to be written without going through `zoombridge.people.details`."""


@contextmanager
def allowed(s: DbSession, *people: Person) -> Iterator[None]:
    """Within the block, these people may be added or changed; the changes are flushed at its end.
    Only the rule calls this (tests/people checks that nothing else does)."""
    allowances = s.info.setdefault(_ALLOWED, weakref.WeakSet())
    added = [person for person in people if person not in allowances]
    allowances.update(added)
    try:
        yield
        s.flush()
    finally:
        for person in added:
            allowances.discard(person)


def install(maker: sessionmaker) -> None:
    event.listen(maker, "before_flush", _check_flush)
    event.listen(maker, "do_orm_execute", _check_statement)


def _changed(person: Person) -> list[str]:
    state = inspect(person)
    return [name for name in GUARDED if state.attrs[name].history.has_changes()]


def _check_flush(s: DbSession, _context, _instances) -> None:
    allowances = s.info.get(_ALLOWED, ())
    for person in s.new:
        if isinstance(person, Person) and person not in allowances:
            raise UnallowedPersonWrite("a new person is added only through zoombridge.people.details")
    for person in s.dirty:
        if isinstance(person, Person) and person not in allowances:
            fields = _changed(person)
            if fields:
                raise UnallowedPersonWrite(f"person {person.id}: {', '.join(fields)} changed outside "
                                           "zoombridge.people.details")
    for person in s.deleted:
        if isinstance(person, Person):
            raise UnallowedPersonWrite(f"person {person.id} cannot be deleted")


def _check_statement(state: ORMExecuteState) -> None:
    """INSERT, UPDATE or DELETE statements on the people table: only an UPDATE that sets no
    guarded field passes (taking the row's lock by setting a column to itself, say)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) != Person.__tablename__:
        return
    if state.is_update:
        values = dict(getattr(state.statement, "_values", None) or {})
        values.update(dict(getattr(state.statement, "_ordered_values", None) or ()))
        names = {getattr(key, "key", None) or getattr(key, "name", None) or str(key) for key in values}
        if names and not names & set(GUARDED):
            return
    raise UnallowedPersonWrite("people are written through zoombridge.people.details, not by statements")
