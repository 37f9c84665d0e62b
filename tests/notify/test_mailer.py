from email.message import EmailMessage

import pytest

from zoombridge.notify.mailer import (
    DeliveryRefused,
    OutboxMailer,
    SmtpMailer,
    list_outbox,
    mailer_for,
    parse_smtp_url,
    read_outbox_message,
)


def message(subject="Hello", message_id="<abc@zoombridge.test>"):
    msg = EmailMessage()
    msg["From"] = "sessions@example.org"
    msg["To"] = "amira@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["X-Zoombridge-Intent"] = "link:1"
    msg.set_content("Hello Amira,\nline two\n")
    return msg


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.local", ("mail.local", 25, "plain", None, None)),
    ("smtp://mail.local:2525", ("mail.local", 2525, "plain", None, None)),
    ("smtp+starttls://u%40x:p%3Aw@mail.local", ("mail.local", 587, "starttls", "u@x", "p:w")),
    ("smtps://u:p@mail.local", ("mail.local", 465, "tls", "u", "p")),
    ("smtp://u:p@mail.local?starttls=1", ("mail.local", 587, "starttls", "u", "p")),
    ("smtp://u:p@mail.local:2587?starttls=true", ("mail.local", 2587, "starttls", "u", "p")),
])
def test_smtp_urls(url, expected):
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.security, target.username, target.password) == expected


@pytest.mark.parametrize("url", ["http://mail.local", "smtp://", "mail.local:25"])
def test_a_wrong_smtp_url_is_refused_with_the_expected_shapes(url):
    with pytest.raises(ValueError, match="smtp://host:25"):
        parse_smtp_url(url)


def test_smtp_delivers_to_a_real_server(smtp_server):
    with SmtpMailer(smtp_server.url, timeout=5).connection() as conn:
        conn.send(message())
    (received,) = smtp_server.messages
    assert received["Subject"] == "Hello"
    assert received.get_content().replace("\r\n", "\n") == "Hello Amira,\nline two\n"


def test_a_server_that_says_try_later_is_a_certain_refusal(smtp_server):
    smtp_server.handler.refuse_next = 1
    with SmtpMailer(smtp_server.url, timeout=5).connection() as conn, pytest.raises(DeliveryRefused):
        conn.send(message())
    assert smtp_server.messages == []


def test_no_server_listening_is_a_certain_refusal():
    from tests.builders import free_port

    with pytest.raises(DeliveryRefused), SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=2).connection():
        pass


def test_the_outbox_writes_each_message_once_and_lists_it(tmp_path):
    mailer = OutboxMailer(tmp_path / "outbox")
    with mailer.connection() as conn:
        conn.send(message())
        conn.send(message())
        conn.send(message(subject="Other", message_id="<other@zoombridge.test>"))
    entries = list_outbox(tmp_path / "outbox")
    assert sorted(e.subject for e in entries) == ["Hello", "Other"]
    assert {e.intent for e in entries} == {"link:1"}
    assert read_outbox_message(entries[0].path)["To"] == "amira@example.org"
    assert not list((tmp_path / "outbox").glob(".writing-*"))


def test_without_an_smtp_url_development_uses_the_outbox(settings):
    assert isinstance(mailer_for(settings), OutboxMailer)
    assert isinstance(mailer_for(settings.with_changes(smtp_url="smtp://127.0.0.1:2525")), SmtpMailer)
