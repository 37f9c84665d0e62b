"""Handing messages over: SMTP (`ZOOMBRIDGE_SMTP_URL`) or, in development, an outbox folder.

Delivery can fail in two ways that must be told apart, because the caller promises to send
each email once:

- `DeliveryRefused`: certainly not delivered (could not connect or log in, or the server
  answered with an error code). Safe to try again later.
- `DeliveryUncertain`: the connection broke while the message was being handed over; the
  server may or may not have accepted it. Trying again could send it twice.

SMTP URLs: `smtp://host:port` (plain), `smtp://user:pass@host:587?starttls=1` or
`smtp+starttls://user:pass@host:587` (STARTTLS required), `smtps://user:pass@host:465` (TLS
from the start).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from hashlib import sha256
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from zoombridge.config import Settings

DEFAULT_TIMEOUT = 30.0


class DeliveryRefused(Exception):
    """Not delivered, for certain: try again later."""


class DeliveryUncertain(Exception):
    """Perhaps delivered: do not try again automatically."""


class MailConnection(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Mailer(Protocol):
    def connection(self) -> AbstractContextManager[MailConnection]: ...


# --- SMTP ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    schemes = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError("ZOOMBRIDGE_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
                         "or smtps://user:pass@host:465")
    security, default_port = schemes[parts.scheme]
    if security == "plain" and parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes"):
        security, default_port = "starttls", 587
    return SmtpTarget(parts.hostname, parts.port or default_port, security,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


class _SmtpConnection:
    def __init__(self, smtp: smtplib.SMTP):
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:  # the server answered "no": nothing was accepted
            raise DeliveryRefused(f"SMTP {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryRefused("SMTP refused the recipient") from exc
        except (smtplib.SMTPException, OSError) as exc:  # cut off mid-conversation: maybe accepted
            raise DeliveryUncertain(type(exc).__name__) from exc


class SmtpMailer:
    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        self.target = parse_smtp_url(url)
        self.timeout = timeout

    @contextmanager
    def connection(self) -> Iterator[MailConnection]:
        """One SMTP session for a batch of messages; failing to open it delivers nothing."""
        target = self.target
        try:
            if target.security == "tls":
                smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
            smtp.ehlo()
            if target.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if target.username:
                smtp.login(target.username, target.password or "")
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryRefused(f"could not open SMTP: {type(exc).__name__}") from exc
        try:
            yield _SmtpConnection(smtp)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


# --- outbox folder (development) -----------------------------------------------------------

class _OutboxConnection:
    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        """Write `<digest>.eml` atomically; the same Message-ID writes the same file, once."""
        digest = sha256(str(message["Message-ID"]).encode()).hexdigest()[:16]
        final = self.folder / f"{digest}.eml"
        if final.exists():
            return
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.as_bytes(policy=policy.SMTP))
            os.replace(temporary, final)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise DeliveryRefused(f"could not write to the outbox: {type(exc).__name__}") from exc


class OutboxMailer:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @contextmanager
    def connection(self) -> Iterator[MailConnection]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield _OutboxConnection(self.folder)


@dataclass(frozen=True)
class OutboxEntry:
    path: Path
    to: str
    subject: str
    date: str
    intent: str


def list_outbox(folder: Path) -> list[OutboxEntry]:
    """The messages in the development outbox, newest first (the staff outbox page lists these)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries = []
    parser = BytesParser(policy=policy.default)
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        with path.open("rb") as fh:
            headers = parser.parse(fh, headersonly=True)
        entries.append(OutboxEntry(path, str(headers["To"] or ""), str(headers["Subject"] or ""),
                                   str(headers["Date"] or ""), str(headers["X-Zoombridge-Intent"] or "")))
    return entries


def drop_outbox_before(folder: Path, before: datetime) -> int:
    """Delete outbox messages dated before `before` (retention of rendered bodies); how many went."""
    dropped = 0
    for entry in list_outbox(folder):
        try:
            sent = parsedate_to_datetime(entry.date)
        except (TypeError, ValueError):
            continue  # not one of ours: left for a person to look at
        if sent.tzinfo is not None and sent < before:
            entry.path.unlink(missing_ok=True)
            dropped += 1
    return dropped


def read_outbox_message(path: Path) -> EmailMessage:
    with Path(path).open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def mailer_for(settings: Settings) -> SmtpMailer | OutboxMailer:
    """SMTP when a URL is configured; otherwise the outbox folder (development and tests)."""
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url)
    return OutboxMailer(settings.outbox_dir)
