"""Every log record the suite produces is scanned for personal data and secrets.

The service holds personal data of members of the public, so "log no emails, phone numbers,
join links or tokens in full" is checked over the whole run, not hoped for: a handler on the
root logger keeps every record at INFO and above (what production emits), and the run fails
if any of them carries an email address, a phone number, a staff token, a join link with its
credential or the webhook secret.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pytest

LEAK_PATTERNS = {
    "email address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"(?<![\w.])(?:\+44\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3}(?!\d)|\+\d{10,14}(?!\d)"),
    "staff token": re.compile(r"zb_[A-Za-z0-9_-]{20,}"),
    "confirmation link token": re.compile(r"zbc_[A-Za-z0-9._-]{20,}"),
    "join link": re.compile(r"https?://[^\s/]*zoom[^\s/]*/(?:w|j|s)/\d+\?\S+"),
    "access token": re.compile(r"Bearer\s+[A-Za-z0-9._-]{16,}"),
}


@dataclass
class Leak:
    kind: str
    logger: str
    excerpt: str


def find_leaks(message: str, secrets: tuple[str, ...] = ()) -> list[str]:
    kinds = [kind for kind, pattern in LEAK_PATTERNS.items() if pattern.search(message)]
    kinds += ["secret" for secret in secrets if secret and secret in message]
    return kinds


# Loggers of the test doubles themselves, not of zoombridge: aiosmtpd (the SMTP server standing in
# for the organisation's mail server) logs each recipient, as a real mail server would.
NOT_OURS = ("mail.log",)
# Request lines of the in-test HTTP servers are scanned as production logs them: `zoombridge web`
# writes gunicorn's access log without query strings (`%(U)s`), so the query is dropped here too.
QUERY_STRING = re.compile(r"\?[^\s\"]*")


def _written_by_the_service(name: str) -> bool:
    """Loggers whose records the service's own handler writes (`zoombridge.logs`: its packages and
    RQ's worker), masked and scrubbed by its formatter: they are scanned as that line, exception
    text included, since that line is what production emits."""
    from zoombridge.logs import ROOTS

    return any(name == root or name.startswith(root + ".") for root in ROOTS)


class _Collector(logging.Handler):
    def __init__(self, secrets: tuple[str, ...]):
        super().__init__(level=logging.INFO)
        self.secrets = secrets
        self.leaks: list[Leak] = []
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(NOT_OURS):
            return
        try:
            message = _production.format(record) if _written_by_the_service(record.name) else record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not our concern here
            return
        self.records += 1
        if record.name == "werkzeug":
            message = QUERY_STRING.sub("", message)
        for kind in find_leaks(message, self.secrets):
            self.leaks.append(Leak(kind, record.name, message[:160]))


_collector: _Collector | None = None
_production = None  # zoombridge.logs.EventFormatter, as configured outside production (key=value)


def pytest_configure(config):
    global _collector, _production
    from tests.conftest import WEBHOOK_SECRET
    from zoombridge.logs import EventFormatter

    _production = EventFormatter(as_json=False)
    _collector = _Collector(secrets=(WEBHOOK_SECRET, "test-secret-key-for-signing-cookies-in-tests"))
    root = logging.getLogger()
    root.addHandler(_collector)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)  # what production emits must be what is scanned


def pytest_sessionfinish(session, exitstatus):
    if _collector is None:
        return
    logging.getLogger().removeHandler(_collector)
    if _collector.leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"  {leak.kind} in a log line from {leak.logger!r}: {leak.excerpt[:60]!r}" for leak in _collector.leaks[:20]]
        message = (f"personal data or secrets found in {len(_collector.leaks)} of {_collector.records} "
                   "log records:\n" + "\n".join(lines))
        if reporter is not None:
            reporter.write_sep("=", "log scan FAILED", red=True)
            reporter.write_line(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def log_scan_collector():
    return _collector
