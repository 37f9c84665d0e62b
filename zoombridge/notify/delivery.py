"""Sending each email once, however often the job that sends it runs.

Every email has an intent (`link:42`, `cancelled:42`, `host-pack:7:0`) that is unique in the
`email_messages` table. Sending is:

1. render the message (before touching the row, so a template error changes nothing);
2. claim the row: `pending`/`failed` -> `sending` in one conditional UPDATE, committed. Only
   one worker can win the claim, so two copies of a job cannot both send;
3. hand the message to SMTP (or the outbox folder);
4. record the outcome: `sent`; or `failed` when delivery certainly did not happen (the job
   raises and RQ retries it later); or `unconfirmed` when the connection broke mid-handover.

The crash window. If the process dies after SMTP accepted the message but before step 4
commits, the row stays `sending`; the same happens if the connection drops mid-handover. We
cannot know whether the person got the email, and the issue asks that nothing is sent twice,
so such rows are NOT retried automatically: the sweeper turns a `sending` row older than
`STUCK_AFTER` into `unconfirmed`, counts it (`zoombridge_emails_total{outcome="unconfirmed"}`)
and staff decide (`allow_resend`). The window is the few milliseconds between the server's
"250 OK" and our commit; a refused or failed connection, which is the common failure, is
always retried. Each message also carries a Message-ID derived from its intent, so if staff do
resend, mail systems that drop duplicate Message-IDs show it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from zoombridge import logs, metrics
from zoombridge.notify.mailer import DeliveryRefused, DeliveryUncertain, MailConnection
from zoombridge.notify.messages import Outgoing
from zoombridge.privacy import mask_email
from zoombridge.queue.connection import current_redis
from zoombridge.store import db_session
from zoombridge.store.models import EmailMessage

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=15)
CLAIMABLE = ("pending", "failed")


class EmailNotSent(Exception):
    """Delivery certainly failed; the row is `failed` and the job should be retried."""


@dataclass(frozen=True)
class Outcome:
    intent: str
    status: str  # sent | already-sent | sending | unconfirmed

    @property
    def delivered_now(self) -> bool:
        return self.status == "sent"


def message_id_for(intent: str, domain: str) -> str:
    return f"<{sha256(intent.encode()).hexdigest()[:32]}@{domain}>"


def _row_for(s: DbSession, outgoing: Outgoing, now: datetime) -> EmailMessage:
    row = s.scalar(select(EmailMessage).where(EmailMessage.intent == outgoing.intent))
    if row is not None:
        return row
    try:
        with s.begin_nested():
            row = EmailMessage(intent=outgoing.intent, session_id=outgoing.session_id,
                               registration_id=outgoing.registration_id, to_address=outgoing.to,
                               subject=outgoing.subject[:300], status="pending", attempts=0, created_at=now)
            s.add(row)
    except IntegrityError:  # another worker inserted it first
        row = s.scalar(select(EmailMessage).where(EmailMessage.intent == outgoing.intent))
    return row


def _claim(outgoing: Outgoing, now: datetime) -> tuple[int, str]:
    """(row id, status before): status is "claimed" when this caller may send."""
    with db_session() as s:
        row = _row_for(s, outgoing, now)
        claimed = s.execute(
            update(EmailMessage)
            .where(EmailMessage.id == row.id, EmailMessage.status.in_(CLAIMABLE))
            .values(status="sending", attempts=EmailMessage.attempts + 1, attempted_at=now,
                    to_address=outgoing.to, subject=outgoing.subject[:300])
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed == 1:
            return row.id, "claimed"
        s.refresh(row)
        return row.id, row.status


def _record(row_id: int, status: str, now: datetime, error: str | None = None) -> None:
    with db_session() as s:
        row = s.get(EmailMessage, row_id)
        row.status = status
        row.last_error = error
        if status == "sent":
            row.sent_at = now


def send_once(outgoing: Outgoing, connection: MailConnection, *, sender: str, domain: str,
              now: datetime) -> Outcome:
    """Send `outgoing` unless its intent was already sent (or may have been)."""
    message = outgoing.to_message(sender, message_id_for(outgoing.intent, domain), now)
    row_id, before = _claim(outgoing, now)
    if before != "claimed":
        return Outcome(outgoing.intent, "already-sent" if before == "sent" else before)
    try:
        connection.send(message)
    except DeliveryRefused as exc:
        _record(row_id, "failed", now, str(exc))
        _count("failed")
        logs.event(log, "email_failed", logging.WARNING, intent=outgoing.intent, to=mask_email(outgoing.to),
                   error=str(exc))
        raise EmailNotSent(f"{outgoing.intent}: {exc}") from exc
    except DeliveryUncertain as exc:
        _record(row_id, "unconfirmed", now, f"connection lost while sending: {exc}")
        _count("unconfirmed")
        logs.event(log, "email_unconfirmed", logging.ERROR, intent=outgoing.intent, to=mask_email(outgoing.to))
        return Outcome(outgoing.intent, "unconfirmed")
    _record(row_id, "sent", now)
    _count("sent")
    logs.event(log, "email_sent", intent=outgoing.intent, to=mask_email(outgoing.to))
    return Outcome(outgoing.intent, "sent")


def _count(outcome: str, amount: int = 1) -> None:
    metrics.count(current_redis(), "zoombridge_emails_total", {"outcome": outcome}, amount=amount)


def mark_stuck_unconfirmed(s: DbSession, now: datetime) -> int:
    """`sending` rows older than STUCK_AFTER belong to a worker that died mid-send."""
    stuck = s.execute(
        update(EmailMessage)
        .where(EmailMessage.status == "sending", EmailMessage.attempted_at < now - STUCK_AFTER)
        .values(status="unconfirmed", last_error="the sending worker stopped before recording the result")
        .execution_options(synchronize_session=False)
    ).rowcount
    if stuck:
        _count("unconfirmed", stuck)
    return stuck


def allow_resend(s: DbSession, intent: str) -> bool:
    """Staff have checked an unconfirmed email did not arrive: let the next run send it."""
    return s.execute(
        update(EmailMessage)
        .where(EmailMessage.intent == intent, EmailMessage.status == "unconfirmed")
        .values(status="failed", last_error="released for resending by staff")
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def was_sent(s: DbSession, intent: str) -> bool:
    return s.scalar(select(EmailMessage.status).where(EmailMessage.intent == intent)) == "sent"
