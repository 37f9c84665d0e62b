import logging

import pytest

from tests.log_scan import find_leaks


@pytest.mark.parametrize(("line", "kind"), [
    ("sent link to jo.bloggs@example.org", "email address"),
    ("caller +447700900123 joined", "phone number"),
    ("caller 07700 900123 joined", "phone number"),
    ("token zb_3q2V9nSk0qkR0bS9yQbJ7Yv1z8mYJX0aA", "staff token"),
    ("confirm zbc_WzEsIjNxMlY5blNrMHFrUjBiUzl5UWJKN1l2MXoifQ.sig", "confirmation link token"),
    ("link https://us02web.zoom.us/w/85746065432?tk=abc.def&pwd=xyz", "join link"),
    ("Authorization: Bearer eyJhbGciOiJIUzUxMiJ9.payload", "access token"),
])
def test_the_scanner_finds_each_kind_of_leak(line, kind):
    assert kind in find_leaks(line)


@pytest.mark.parametrize("line", [
    "event=link_sent registration=42 to=j***@e***",
    "event=participant_joined meeting=85746065432 phone=***123",
    "event=zoom_request status=201 duration_ms=53",
])
def test_masked_lines_pass_the_scanner(line):
    assert find_leaks(line) == []


def test_the_suite_wide_collector_sees_log_records(log_scan_collector):
    before = log_scan_collector.records
    logging.getLogger("zoombridge.test").warning("event=collector_check")
    assert log_scan_collector.records == before + 1


def test_request_lines_are_scanned_without_their_query_string_as_production_logs_them(log_scan_collector):
    before = len(log_scan_collector.leaks)
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /staff/sign-in?login_hint=sam@example.org HTTP/1.1" 302 -')
    assert len(log_scan_collector.leaks) == before
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET /people/sam@example.org HTTP/1.1" 404 -')
    assert len(log_scan_collector.leaks) == before + 1
    log_scan_collector.leaks.pop()  # planted on purpose: not a leak of the service's


def test_the_web_command_logs_request_paths_without_query_strings():
    from zoombridge.gunicorn_config import access_log_format

    assert "%(U)s" in access_log_format and "%(r)s" not in access_log_format and "%(q)s" not in access_log_format


def test_records_the_service_writes_are_scanned_as_written_masked_and_scrubbed(log_scan_collector):
    """RQ logs a failed job's exception text (Zoom's answer may name the host's email); the service's
    formatter scrubs it, and the scan reads that line, traceback included, as production writes it."""
    before = len(log_scan_collector.leaks)
    logging.getLogger("rq.worker").error("Worker w: job j: exception raised\n%s",
                                         "UserNotFound: User does not exist: host@example.org.")
    assert len(log_scan_collector.leaks) == before
    logging.getLogger("somebody.else").error("User does not exist: host@example.org.")
    assert len(log_scan_collector.leaks) == before + 1
    log_scan_collector.leaks.pop()  # planted on purpose: not a leak of the service's
