from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from zoombridge.notify.delivery import (
    EmailNotSent,
    allow_resend,
    mark_stuck_unconfirmed,
    message_id_for,
    send_once,
)
from zoombridge.notify.mailer import DeliveryUncertain, SmtpMailer
from zoombridge.notify.messages import Outgoing
from zoombridge.store.models import EmailMessage

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def outgoing(intent="link:1", to="amira@example.org"):
    return Outgoing(intent, to, "Your link", "Hello Amira\n", "<p>Hello Amira</p>")


def send(app, smtp_url, out, now=NOW):
    with app.app_context(), SmtpMailer(smtp_url, timeout=5).connection() as conn:
        return send_once(out, conn, sender="sessions@example.org", domain="zoombridge.test", now=now)


def row(db, intent):
    with db() as s:
        return s.scalar(select(EmailMessage).where(EmailMessage.intent == intent))


def test_an_email_is_sent_once_however_often_it_is_asked_for(app, db, smtp_server):
    assert send(app, smtp_server.url, outgoing()).status == "sent"
    assert send(app, smtp_server.url, outgoing()).status == "already-sent"
    assert len(smtp_server.messages) == 1
    sent = row(db, "link:1")
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, NOW)
    assert smtp_server.messages[0]["Message-ID"] == message_id_for("link:1", "zoombridge.test")


def test_a_refused_send_is_retried_and_arrives_once(app, db, smtp_server):
    smtp_server.handler.refuse_next = 1
    with pytest.raises(EmailNotSent):
        send(app, smtp_server.url, outgoing())
    failed = row(db, "link:1")
    assert failed.status == "failed" and "451" in failed.last_error
    assert send(app, smtp_server.url, outgoing(), now=NOW + timedelta(minutes=1)).status == "sent"
    assert send(app, smtp_server.url, outgoing()).status == "already-sent"
    assert len(smtp_server.messages) == 1
    assert row(db, "link:1").attempts == 2


class BrokenMidway:
    """A connection that drops while the message is being handed over."""

    def __init__(self):
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise DeliveryUncertain("SMTPServerDisconnected")


def test_an_uncertain_handover_is_not_sent_again(app, db):
    connection = BrokenMidway()
    with app.app_context():
        first = send_once(outgoing(), connection, sender="s@example.org", domain="d", now=NOW)
        second = send_once(outgoing(), connection, sender="s@example.org", domain="d", now=NOW)
    assert (first.status, second.status, connection.calls) == ("unconfirmed", "unconfirmed", 1)


def test_a_worker_that_died_mid_send_leaves_a_row_the_sweeper_marks_unconfirmed(app, db, smtp_server):
    with db() as s:
        s.add(EmailMessage(intent="link:9", to_address="x@example.org", subject="s", status="sending",
                           attempts=1, created_at=NOW, attempted_at=NOW))
    with app.app_context():
        assert send(app, smtp_server.url, outgoing("link:9")).status == "sending"
        with db() as s:
            assert mark_stuck_unconfirmed(s, NOW + timedelta(minutes=5)) == 0
        with db() as s:
            assert mark_stuck_unconfirmed(s, NOW + timedelta(minutes=20)) == 1
    assert row(db, "link:9").status == "unconfirmed"
    assert smtp_server.messages == []


def test_staff_can_release_an_unconfirmed_email_for_resending(app, db, smtp_server):
    with db() as s:
        s.add(EmailMessage(intent="link:9", to_address="x@example.org", subject="s", status="unconfirmed",
                           attempts=1, created_at=NOW, attempted_at=NOW))
    with db() as s:
        assert allow_resend(s, "link:9") is True
    assert send(app, smtp_server.url, outgoing("link:9")).status == "sent"
    with db() as s:
        assert allow_resend(s, "link:9") is False  # only unconfirmed rows can be released
