"""Log lines as events, through structlog: `logs.event(log, "link_sent", registration=42, to=email)`.

Each event passes structlog's processors, in order:

1. the masking rule (`mask_personal_data`): a value under a key that names personal data or a
   credential is masked (`email`/`to` → `j***@e***`, `phone` → `***123`, `url`/`link` → the host
   only, `token`/`secret` → a fingerprint), and every other text value is scrubbed of emails,
   links, phone numbers and tokens (`privacy.scrub`), so a caller that forgets to mask leaks
   nothing;
2. rendering: JSON lines in production, `key=value` (logfmt) in development and tests, with
   every control character in a value escaped (`\\n`, `\\r`, `\\x1b`, `\\u2028`), so a value
   holding a newline (a participant's display name) stays inside its field and cannot forge a
   line of its own.

The stdlib `logging` module carries the events to their handler (RQ's workers log through it
too): the record's message is the masked `key=value` line, which the suite's log
scan reads, and one formatter (`EventFormatter`) writes every record, the service's and other
libraries' alike, as one JSON or key=value line with the time, level and logger.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from structlog.processors import JSONRenderer, LogfmtRenderer

from zoombridge.privacy import fingerprint, mask_email, mask_phone, mask_url, scrub

EVENT_FIELDS = "zoombridge_event"  # where a record carries its event's fields for the formatter
ROOTS = ("zoombridge", "workers", "rq")  # RQ's workers log through ours (it adds no handler of its own then)
_FINGERPRINT = re.compile(r"[0-9a-f]{8}|-")  # what `privacy.fingerprint` makes
_configured = False

def _keep_fingerprint(value: str) -> str:
    return value if _FINGERPRINT.fullmatch(value) else fingerprint(value)


# Key words that say what a value is; a key holding one is masked by its kind.
_MASKS: tuple[tuple[tuple[str, ...], Callable[[str], str]], ...] = (
    (("token", "secret", "password", "authorization"), _keep_fingerprint),
    (("email", "to"), mask_email),
    (("phone", "caller"), mask_phone),
    (("url", "link"), mask_url),
)


def _mask_for(key: str) -> Callable[[str], str]:
    words = set(key.lower().split("_"))
    for names, mask in _MASKS:
        if words & set(names):
            return mask
    return scrub


def mask_personal_data(_logger, _method: str, event_dict: dict) -> dict:
    """The masking rule, as a processor: what each value is decides how it is masked."""
    for key, value in event_dict.items():
        if isinstance(value, str) and not key.startswith("_"):
            event_dict[key] = _mask_for(key)(value)
    return event_dict


def escape_control_characters(text: str) -> str:
    """`\\n`, `\\r`, `\\t`, other control characters and Unicode line/paragraph separators as
    escapes: nothing in a value can start a new line in the log."""
    if text.isprintable():
        return text
    return "".join(_ESCAPES.get(char) or (char if char.isprintable() or char == " " else
                                          f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
                   for char in text)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


_logfmt = LogfmtRenderer(key_order=["event"], bool_as_flag=False)
_line_logfmt = LogfmtRenderer(key_order=["time", "level", "logger", "event"], bool_as_flag=False)
_json = JSONRenderer(sort_keys=False)


def as_key_values(renderer: LogfmtRenderer, fields: dict) -> str:
    """`key=value ...`: structlog quotes values and escapes newlines and quotes; every other
    control character is escaped here (keys hold none, so the whole line can be escaped)."""
    return escape_control_characters(renderer(None, "", dict(fields)))  # the renderer pops ordered keys


def _hand_to_logging(logger, method: str, event_dict: dict) -> tuple[tuple, dict]:
    """The last processor: the masked, escaped `key=value` line becomes the record's message, and
    the fields ride along for the formatter (JSON in production)."""
    message = as_key_values(_logfmt, event_dict)
    return (message,), {"extra": {EVENT_FIELDS: event_dict}}


structlog.configure(
    processors=[mask_personal_data, _hand_to_logging],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
_bound: dict[str, Any] = {}


def event(logger: logging.Logger, name: str, /, level: int = logging.INFO, **fields) -> None:
    """Log one event: `name` says what happened, `fields` the facts (masked by the rule above)."""
    if not logger.isEnabledFor(level):
        return
    bound = _bound.get(logger.name)
    if bound is None:
        bound = _bound.setdefault(logger.name, structlog.get_logger(logger.name))
    if "event" in fields:  # the event's own key: keep the field under another name
        fields["event_field"] = fields.pop("event")
    bound.log(level, name, **fields)


class EventFormatter(logging.Formatter):
    """One line per record, JSON or `key=value`: the time, level and logger, then the event's
    fields (a record from another library is an event of its message, scrubbed)."""

    def __init__(self, as_json: bool):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, EVENT_FIELDS, None)
        if fields is None:
            fields = {"event": scrub(record.getMessage())}
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "event": fields.get("event"), **fields}
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        if self.as_json:
            return _json(None, "", line)
        return as_key_values(_line_logfmt, line)


def configure(production: bool = False, level: str = "INFO") -> None:
    """Send the service's logs to stderr, one line each: JSON in production, key=value otherwise."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EventFormatter(as_json=production))
    for name in ROOTS:
        root = logging.getLogger(name)
        root.addHandler(handler)
        root.setLevel(level)
    _configured = True
