"""Emailing a participant statement through the mailer, to a real SMTP server, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.builders import CREATED, text_of
from tests.sample_session import add_held_session, add_person, join, register
from workers.jobs.statements import send_statement
from zoombridge.people import details
from zoombridge.store.models import AuditEntry, EmailMessage, Person


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(smtp_url=smtp_server.url)


@pytest.fixture
def coprod(db, client, staff_headers):
    """Ann attended all of a 120-minute co-production session, Bo half; decisions worked out."""
    with db() as s:
        session = add_held_session(s)
        ann, bo, cy = add_person(s, "Ann"), add_person(s, "Bo"), add_person(s, "Cy")
        for person in (ann, bo, cy):
            register(s, session, person)
        join(s, session, ann, segments=((0, 120),))
        join(s, session, bo, segments=((0, 60),))
        ids = {"session": session.id, "ann": ann.id, "bo": bo.id, "cy": cy.id}
    answer = client.post(f"/api/v1/sessions/{ids['session']}/attendance/recompute", headers=staff_headers)
    assert answer.status_code == 200
    return ids


def send(client, headers, session_id, person_id):
    return client.post(f"/api/v1/sessions/{session_id}/statements/{person_id}", headers=headers)


def test_a_statement_is_emailed_once_however_often_staff_ask(client, staff_headers, coprod, run_jobs, smtp_server, db):
    first = send(client, staff_headers, coprod["session"], coprod["ann"])
    assert first.status_code == 202
    assert first.get_json() == {"intent": f"statement:{coprod['session']}:{coprod['ann']}", "status": "queued"}
    assert send(client, staff_headers, coprod["session"], coprod["ann"]).status_code == 202  # still queued: one job
    run_jobs()
    (message,) = smtp_server.messages
    assert message["To"] == "ann@example.org"
    assert message["Subject"] == "Your attendance and payment statement: co-production session"
    assert message["X-Zoombridge-Intent"] == f"statement:{coprod['session']}:{coprod['ann']}"
    text = text_of(message)
    assert "Dear Ann" in text and "120 minutes" in text and "£50.00 proposed" in text and "Citizens Advice" in text
    assert "<table>" in message.get_body(preferencelist=("html",)).get_content()

    again = send(client, staff_headers, coprod["session"], coprod["ann"])
    assert again.status_code == 200 and again.get_json()["status"] == "sent"
    run_jobs()
    assert len(smtp_server.messages) == 1
    with client.application.app_context():
        assert send_statement(coprod["session"], coprod["ann"]) == "statement: {'already-sent': 1}"
    assert len(smtp_server.messages) == 1
    with db() as s:
        assert s.scalar(select(EmailMessage.status)) == "sent"
        requested = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "statement.email_requested")).all()
        assert requested == ["Test Staff", "Test Staff"]


def test_a_refused_statement_is_retried_and_arrives_once(client, staff_headers, coprod, run_jobs, smtp_server, db):
    smtp_server.handler.refuse_next = 1  # "451 try again later" the first time
    assert send(client, staff_headers, coprod["session"], coprod["bo"]).status_code == 202
    run_jobs()  # the job fails, RQ retries it, the retry sends
    with db() as s:
        assert s.scalars(select(EmailMessage.attempts)).all() == [2]
    (message,) = smtp_server.messages
    assert message["To"] == "bo@example.org"
    assert "Not paid. Attended 60 of 120 minutes" in text_of(message)


@pytest.mark.parametrize("who, status, field", [
    ("nobody", 404, "person_id"),
    ("cy_without_email", 400, "person_id"),
    ("stranger", 409, "person_id"),  # has an email, but no decision at this session
])
def test_a_statement_that_cannot_be_sent_is_refused_naming_the_field(who, status, field, client, staff_headers,
                                                                     coprod, db, run_jobs, smtp_server):
    with db() as s:
        if who == "cy_without_email":
            details.change(s, s.get(Person, coprod["cy"]), {"email": None}, details.by_staff("test"), CREATED)
            person_id = coprod["cy"]
        elif who == "stranger":
            person_id = add_person(s, "Dan").id
        else:
            person_id = 9999
    answer = send(client, staff_headers, coprod["session"], person_id)
    assert answer.status_code == status and answer.get_json()["error"]["field"] == field
    assert send(client, staff_headers, 9999, coprod["ann"]).status_code == 404
    run_jobs()
    assert smtp_server.messages == []


def test_sending_a_statement_needs_a_staff_token(client, coprod):
    assert client.post(f"/api/v1/sessions/{coprod['session']}/statements/{coprod['ann']}").status_code == 401
