"""Emailing a person their participant statement for one session, once.

The intent `statement:{session}:{person}` is the email's key in `email_messages`, so the job
can run any number of times (RQ retries, staff asking twice) and the person gets one email.
The statement is built when the job runs, from the decision as it stands then.
"""

from __future__ import annotations

from workers.jobs.mail import deliver
from zoombridge import runtime
from zoombridge.notify import messages
from zoombridge.store import db_session
from zoombridge.store.models import Person
from zoombridge.store.statements import build_statement


def send_statement(session_id: int, person_id: int) -> str:
    with db_session() as s:
        person = s.get(Person, person_id)
        if person is None or not person.email:
            return "no email address"
        statement = build_statement(s, person_id, [session_id], runtime.settings().timezone)
        if not statement.lines:
            return "no payment decision for this session"
        outgoing = messages.participant_statement(statement, session_id, person.email)
    return f"statement: {deliver([(outgoing, None)])}"
