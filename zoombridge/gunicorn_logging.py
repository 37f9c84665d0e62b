"""gunicorn's access log, one line a request whatever the request holds.

gunicorn writes the request's path decoded, so `GET /zoom/webhook%0Aforged` put a line break,
and a forged line after it, into the access log. Every value of the line is escaped the way the
service's own log lines are (`zoombridge.logs.escape_control_characters`). `gunicorn_config.py`
names this class (`logger_class`).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from zoombridge.logs import escape_control_characters


class EscapingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {key: escape_control_characters(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
