"""A real SMTP server (aiosmtpd) on a free loopback port, collecting what it accepts.

aiosmtpd's Controller cannot take port 0 (it connects to the port it was given to check it
started), so a free port is found first. Accepted bodies have CRLF line endings; `messages`
parses them back into email objects.
"""

from __future__ import annotations

import threading
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from tests.builders import free_port


class CollectingHandler:
    def __init__(self):
        self.accepted: list[tuple[str, list[str], bytes]] = []
        self.refuse_next = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.handler = CollectingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(content) for _from, _to, content in self.handler.accepted]

    def messages_to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()
