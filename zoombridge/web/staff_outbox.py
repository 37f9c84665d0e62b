"""The development outbox: emails that would have been sent, read from `settings.outbox_dir`.

Without SMTP, the email sender writes each message as an `.eml` file there; this page lets
staff rehearsing a session (and the browser tests) read them. Production has no outbox page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, abort, render_template

from zoombridge import runtime
from zoombridge.web import csrf, layout, staff_sign_in

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_outbox", __name__, url_prefix="/staff/outbox")))
staff_sign_in.guard_blueprint(blueprint)

MESSAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,200}\.eml$")
MOST_SHOWN = 500


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    to: str
    subject: str
    sent: datetime | None
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    @property
    def attachments(self) -> list[str]:
        return [part.get_filename() or part.get_content_type() for part in self.message.iter_attachments()]


def _read(path: Path) -> OutboxMessage:
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    try:
        sent = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        sent = None
    if sent is None:
        sent = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return OutboxMessage(path.name, str(message["To"] or ""), str(message["Subject"] or ""), sent, message)


def _folder() -> Path:
    settings = runtime.settings()
    if settings.is_production:
        abort(404)
    return Path(settings.outbox_dir)


def list_messages(folder: Path) -> list[OutboxMessage]:
    """Newest first, at most MOST_SHOWN of them."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:MOST_SHOWN]
    return sorted((_read(p) for p in paths), key=lambda m: (m.sent, m.name), reverse=True)


@blueprint.get("/")
def outbox():
    folder = _folder()
    return render_template("staff/outbox.html", messages=list_messages(folder), folder=folder)


@blueprint.get("/<name>")
def outbox_message(name: str):
    folder = _folder()
    if not MESSAGE_NAME.match(name):
        abort(404)
    path = folder / name
    if not path.is_file():
        abort(404)
    return render_template("staff/outbox_message.html", message=_read(path))
