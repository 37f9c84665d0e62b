from email.message import EmailMessage
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound

from zoombridge.app import create_app
from zoombridge.web import staff_outbox


def _write(folder: Path, name: str, to: str, subject: str, body: str, date: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["From"] = "Community sessions <sessions@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = date
    message.set_content(body)
    message.add_attachment(b"BEGIN:VCALENDAR", maintype="text", subtype="calendar", filename="session.ics")
    (folder / name).write_bytes(bytes(message))


def test_the_outbox_lists_written_emails_newest_first_and_shows_one(staff_client, settings):
    _write(settings.outbox_dir, "a.eml", "ada@example.org", "Your link for the Cuppa", "Hello Ada",
           "Tue, 24 Nov 2026 09:00:00 +0000")
    _write(settings.outbox_dir, "b.eml", "bo@example.org", "Reminder: Cuppa today", "Hello Bo",
           "Tue, 24 Nov 2026 10:00:00 +0000")
    page = staff_client.get("/staff/outbox/").data.decode()
    assert page.index("Reminder: Cuppa today") < page.index("Your link for the Cuppa")
    assert "ada@example.org" in page and "2 emails" in page
    one = staff_client.get("/staff/outbox/a.eml").data.decode()
    assert "Hello Ada" in one and "session.ics" in one


def test_the_outbox_is_empty_before_any_email(staff_client):
    assert b"No emails yet" in staff_client.get("/staff/outbox/").data


def test_the_outbox_refuses_names_outside_its_folder(staff_client, settings):
    _write(settings.outbox_dir.parent, "secret.eml", "x@example.org", "s", "s", "Tue, 24 Nov 2026 09:00:00 +0000")
    assert staff_client.get("/staff/outbox/..%2Fsecret.eml").status_code == 404
    assert staff_client.get("/staff/outbox/.hidden.eml").status_code == 404


def test_the_outbox_needs_a_staff_sign_in(client):
    assert client.get("/staff/outbox/").status_code == 302


def test_production_has_no_outbox(settings, clock, redis_conn):
    production = settings.with_changes(
        env="production", zoom_account_id="a", zoom_client_id="c", zoom_client_secret="s", smtp_url="smtp://m")
    app = create_app(production, clock=clock)
    with app.test_request_context(), pytest.raises(NotFound):
        staff_outbox._folder()
    app.extensions["zoombridge.db"].dispose()
