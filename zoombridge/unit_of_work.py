"""How a change is carried out: one unit of work, then the jobs it asked for.

A service function takes the open unit of work (a database session), a command and the actor,
changes what it must and returns `Done(result, intents)`; it never commits and never enqueues.
`carry_out` is what views and jobs use: it opens the unit of work, commits when the service
returns (rolls back when it raises, a `Refused` included, so a refusal writes nothing), and only
then enqueues the intents, so no job ever runs against a change that was not saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session as DbSession

from zoombridge.queue.intents import Intent, after_commit
from zoombridge.store import db_session

Command = TypeVar("Command")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Done(Generic[Result]):
    """What a service call did: its result, and the jobs to enqueue once it is committed."""

    result: Result
    intents: tuple[Intent, ...] = ()


def carry_out(action: Callable[[DbSession, Command, str], Done[Result]], command: Command, actor: str) -> Result:
    """Run `action(uow, command, actor)` in its own unit of work; enqueue its intents after the commit."""
    with db_session() as s:
        done = action(s, command, actor)
    after_commit(done.intents)
    return done.result
