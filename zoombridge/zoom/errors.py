"""Zoom errors, typed by Zoom's own error codes, never by message text.

Zoom answers errors as JSON `{"code": <int>, "message": "..."}`; the code is stable while the
message changes between API versions and languages. Callers catch the subclass they can act on
(a deleted meeting, a missing scope) and let the rest fail the job.
"""

from __future__ import annotations

from datetime import datetime


class ZoomError(Exception):
    """Any failed Zoom call. `status` is the HTTP status (0 when there was no response)."""

    def __init__(self, status: int, code: int | None, message: str):
        super().__init__(f"Zoom {status} code={code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class MeetingNotFound(ZoomError):
    """3001: the meeting (or occurrence) does not exist, or was deleted."""


class UserNotFound(ZoomError):
    """1001: the host user is not in the account."""


class MissingScopes(ZoomError):
    """4700/4711: the app's token lacks a scope the call needs; an admin must add it."""


class InvalidToken(ZoomError):
    """124: the access token was refused even after fetching a fresh one."""


class CredentialsRejected(ZoomError):
    """The OAuth token endpoint refused the account id / client id / client secret."""


class RateLimited(ZoomError):
    """429 still answered after the allowed retries. `retry_at` says when to try again, if known."""

    def __init__(self, status: int, code: int | None, message: str, retry_at: datetime | None = None):
        super().__init__(status, code, message)
        self.retry_at = retry_at


class DailyLimitReached(RateLimited):
    """A daily limit is used up: the breaker in Redis is open until `retry_at` for every process.

    `scope` is the breaker's key (`host:…:meeting-writes`, `category:light`, …) and `limit` says
    in staff's words which of Zoom's limits it is; jobs wait until `retry_at` rather than fail.
    """

    def __init__(self, status: int, code: int | None, message: str, retry_at: datetime | None = None,
                 scope: str = "", limit: str = ""):
        super().__init__(status, code, message, retry_at=retry_at)
        self.scope = scope
        self.limit = limit or message


class MeetingFull(ZoomError):
    """3043: the meeting has its 4,999 registrants (docs/zoom.md §4)."""


class ZoomUnavailable(ZoomError):
    """5xx answers or timeouts kept happening after bounded retries."""


# Zoom error code -> the class to raise for it. 429 is classified by status, not code.
BY_CODE: dict[int, type[ZoomError]] = {
    3001: MeetingNotFound,
    3043: MeetingFull,
    1001: UserNotFound,
    4700: MissingScopes,
    4711: MissingScopes,
    124: InvalidToken,
}


def classify(status: int, code: int | None, message: str) -> ZoomError:
    """The error to raise for a non-retryable answer."""
    if code is not None and code in BY_CODE:
        return BY_CODE[code](status, code, message)
    if status == 429:
        return RateLimited(status, code, message)
    if status >= 500:
        return ZoomUnavailable(status, code, message)
    return ZoomError(status, code, message)
