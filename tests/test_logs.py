"""Log lines: one event a line, masked by the rule, JSON in production and key=value otherwise.

A value that holds a newline (a Zoom display name is whatever the participant typed) must stay
inside its field: a log line that can be forged can hide or invent what happened.
"""

from __future__ import annotations

import json
import logging
import shlex

import pytest

from zoombridge import logs

FORGED = "Ana\nlevel=error logger=zoombridge.web.staff_pages event=payment_approved amount_pence=99999"


class Capture(logging.Handler):
    """What the service's own handler would write, formatted by its formatter."""

    def __init__(self, as_json: bool):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logs.EventFormatter(as_json=as_json))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(params=[False, True], ids=["key=value", "json"])
def captured(request):
    handler = Capture(as_json=request.param)
    logger = logging.getLogger("zoombridge.test_logs")
    logger.addHandler(handler)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


def parse(line: str, as_json: bool) -> dict:
    """A written line back into its fields, as a log shipper would read it."""
    if as_json:
        return json.loads(line)
    return dict(pair.split("=", 1) for pair in shlex.split(line))


def test_a_name_with_a_newline_cannot_forge_a_line(captured):
    logger, handler = captured
    logs.event(logger, "participant_joined", meeting=85746065432, name=FORGED)
    (line,) = handler.lines
    assert line.splitlines() == [line]
    fields = parse(line, handler.formatter.as_json)
    assert (fields["event"], fields["level"], fields["logger"]) == ("participant_joined", "info", "zoombridge.test_logs")
    assert "amount_pence" not in fields
    assert fields["name"].startswith("Ana") and "payment_approved" in fields["name"]


@pytest.mark.parametrize("sneaky", ["\r", "\x1b[2K\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x00"])
def test_no_character_that_ends_a_line_survives_in_a_value(captured, sneaky):
    logger, handler = captured
    logs.event(logger, "participant_joined", name=f"Ana{sneaky}event=forged")
    (line,) = handler.lines
    assert line.splitlines() == [line]
    assert sneaky not in line
    assert parse(line, handler.formatter.as_json)["event"] == "participant_joined"


def test_production_lines_are_json_objects_with_the_value_intact():
    line = logs.EventFormatter(as_json=True).format(_record("participant_joined", name=FORGED, meeting=857))
    parsed = json.loads(line)
    assert list(parsed)[:4] == ["time", "level", "logger", "event"]
    assert parsed["event"] == "participant_joined" and parsed["meeting"] == 857
    assert parsed["name"] == FORGED  # escaped on the way out, exact on the way back in


def test_development_lines_are_key_value_pairs_in_a_fixed_order():
    line = logs.EventFormatter(as_json=False).format(_record("link_sent", registration=42))
    assert [pair.split("=")[0] for pair in shlex.split(line)] == ["time", "level", "logger", "event", "registration"]
    assert line.endswith("level=info logger=zoombridge.test_logs event=link_sent registration=42")


def test_a_message_from_another_library_is_escaped_too(captured):
    logger, handler = captured
    logging.getLogger("zoombridge.test_logs.rq").warning("Job %s failed", "x\nevent=forged")
    (line,) = handler.lines
    assert line.splitlines() == [line]
    as_json = handler.formatter.as_json
    assert parse(line, as_json)["event"] == ("Job x\nevent=forged failed" if as_json else "Job x\\nevent=forged failed")


@pytest.mark.parametrize(("key", "value", "shown", "hidden"), [
    ("email", "jo.bloggs@example.org", "j***@e***", "bloggs"),
    ("to", "jo.bloggs@example.org", "j***@e***", "bloggs"),
    ("phone", "+447700900123", "***123", "7700900"),
    ("caller", "07700 900123", "***123", "7700 900"),
    ("join_url", "https://us02web.zoom.us/w/857?tk=secret&pwd=abc", "https://us02web.zoom.us/***", "pwd"),
    ("token", "zb_3q2V9nSk0qkR0bS9yQbJ7Yv1z8mYJX0aA", "", "zb_3q2V"),
    ("reason", "could not reach jo.bloggs@example.org at 07700 900123", "j***@e***", "bloggs"),
])
def test_the_masking_rule_is_a_processor_every_event_passes(key, value, shown, hidden):
    record = _record("something_happened", **{key: value})
    line = logs.EventFormatter(as_json=False).format(record)
    assert shown in line and hidden not in line
    assert hidden not in record.getMessage()  # what the suite's log scan reads


def test_an_already_masked_value_is_left_as_it_was():
    from zoombridge.privacy import fingerprint, mask_email

    record = _record("zoom_token_fetched", token=fingerprint("secret-token"), to=mask_email("jo@example.org"))
    assert f"token={fingerprint('secret-token')}" in record.getMessage()
    assert "to=j***@e***" in record.getMessage()


def _record(event_name: str, **fields) -> logging.LogRecord:
    """The record `logs.event` hands to logging."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("zoombridge.test_logs")
    keep = Keep()
    logger.addHandler(keep)
    try:
        logs.event(logger, event_name, **fields)
    finally:
        logger.removeHandler(keep)
    (record,) = records
    return record
