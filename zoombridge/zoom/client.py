"""The Zoom REST client: one small class, one HTTP seam, every call bounded in time.

Why our own: the Python clients around are thin, unmaintained or wrong on pagination and token
expiry (docs/zoom.md §10). This one does the few things Zoom needs done right:

- Server-to-Server OAuth through authlib, the token shared in Redis by every process and
  fetched again ~60 s before expiry and once after a 401 (`zoombridge.zoom.token`).
- Retries: 429 honouring `Retry-After` (seconds, HTTP date or ISO date), 5xx and timeouts,
  with exponential backoff and jitter, a bounded number of times. A daily limit opens a breaker
  in Redis so no process keeps hammering Zoom until it resets, scoped as Zoom scopes the limit:
  the host for meeting creates/updates, the registrant on the meeting for registrations, else
  the call's category (`zoombridge.zoom.rate_limits`).
- POSTs (create meeting, add registrant, create poll) are not idempotent on Zoom: no
  idempotency key, and a second POST makes a second meeting, registrant or poll. So a POST is
  retried only when it certainly did not reach Zoom (the table above `never_reached_zoom`); otherwise the
  error is raised at once and the job, which looks for what an earlier attempt made before
  making it again, decides. GET, PATCH, PUT and DELETE set a state, so they are retried.
- Errors typed on Zoom's error codes (`zoombridge.zoom.errors`).
- Lists as generators over `next_page_token` with `page_size=300`.
- Meeting UUIDs that start with `/` or contain `//` double-encoded, as Zoom requires.
- Datetimes in request bodies sent as UTC (`...Z`); naive datetimes refused.

The sleep function, clock and random source are injected so tests never wait.
Each public method names the spec operationId it implements (ZoomMeetingAPISpec.json).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import redis
import requests
from authlib.integrations.base_client import OAuthError
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from zoombridge import metrics
from zoombridge.clock import Clock, SystemClock
from zoombridge.logs import event
from zoombridge.zoom import errors, rate_limits
from zoombridge.zoom.rate_limits import (
    DailyLimitBreaker,
    LimitScope,
    backoff_seconds,
    is_daily_limit,
    next_utc_midnight,
    parse_retry_after,
)
from zoombridge.zoom.token import Credentials, SharedTokenCache, ZoomS2SSession

log = logging.getLogger(__name__)

PAGE_SIZE = 300  # Zoom's maximum for every list we use
MAX_PAGES = 1000  # 300,000 rows: far beyond any meeting; stops a looping next_page_token
MAX_REGISTRANTS_PER_STATUS_CALL = 30  # PUT /meetings/{id}/registrants/status takes at most 30
MAX_BREAKOUT_ROOMS = 100  # Zoom's pre-assignment limits (support KB0061353)
MAX_BREAKOUT_PARTICIPANTS = 1000
IDEMPOTENT_METHODS = frozenset({"GET", "PATCH", "PUT", "DELETE"})

# When a failed request may be sent again, for methods that are not idempotent (POST):
#
# | failure                                   | reached Zoom?            | POST retried? |
# |-------------------------------------------|--------------------------|---------------|
# | connection refused, DNS, connect timeout  | no: nothing was sent     | yes           |
# | token endpoint failed (before the call)   | no                       | yes           |
# | 401 (token refused), 429 (rate limited)   | refused before acting    | yes           |
# | read timeout, connection dropped mid-way  | maybe: Zoom may have acted | no          |
# | 5xx                                       | maybe (see below)        | no            |
#
# 429 is Zoom's rate limiter answering instead of the API, so nothing was applied. A 5xx is
# not a promise either way (a gateway timeout in front of a meeting that was created), so it
# is treated like a read timeout. 503 is the one status that usually means "not started", but
# Zoom does not document that and its load balancers answer 502/503/504 alike, so it is not
# singled out.


def never_reached_zoom(exc: requests.RequestException) -> bool:
    """True when the request certainly was not received: the connection was never made.

    `requests` wraps urllib3's errors: refused and unresolvable hosts are `NewConnectionError`
    (`NameResolutionError` is one), connect timeouts `ConnectTimeoutError`, both inside a
    `MaxRetryError`. A dropped connection (`ProtocolError`) or a read timeout may come after
    Zoom read the request, so they are not.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ReadTimeout) or not isinstance(exc, requests.ConnectionError):
        return False
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # MaxRetryError carries the underlying error
    return isinstance(cause, NewConnectionError | ConnectTimeoutError)


def encode_meeting_id(meeting_id: int | str) -> str:
    """A meeting id or instance UUID for a URL path.

    UUIDs contain `+`, `/` and `=`, so they are always percent-encoded; one that starts with `/`
    or contains `//` must be encoded twice or Zoom answers 404 (SPEC meetingId parameter).
    """
    text = str(meeting_id)
    once = quote(text, safe="")
    if text.startswith("/") or "//" in text:
        return quote(once, safe="")
    return once


def to_zoom_json(value):
    """A request body with every datetime written as UTC `yyyy-MM-ddTHH:mm:ssZ`."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a Zoom request body: give it a timezone")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: to_zoom_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_zoom_json(v) for v in value]
    return value


def _zoom_error_fields(response: requests.Response) -> tuple[int | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or response.reason or "")[:200]
    if not isinstance(body, dict):
        return None, str(body)[:200]
    code = body.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    return code, str(body.get("message") or body.get("reason") or "")[:500]


class ZoomClient:
    """Calls Zoom for one Server-to-Server OAuth app."""

    def __init__(self, *, credentials: Credentials, api_base: str, oauth_base: str, connection: redis.Redis,
                 clock: Clock | None = None, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None, timeout: tuple[float, float] = (5.0, 30.0),
                 max_attempts: int = 4, max_wait_seconds: float = 60.0):
        self.api_base = api_base.rstrip("/")
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait_seconds = max_wait_seconds
        self.redis = connection
        token_url = oauth_base.rstrip("/") + "/oauth/token"
        cache = SharedTokenCache(connection, credentials, token_url, self.clock)
        self.session = ZoomS2SSession(credentials, token_url, cache, self.clock, timeout)
        self.breaker = DailyLimitBreaker(connection, self.clock)

    # --- meetings --------------------------------------------------------------------------

    def create_meeting(self, user_id: str, body: dict) -> dict:
        """meetingCreate: POST /users/{userId}/meetings. Counts against the host's 100/day."""
        return self._call("POST", "/users/{userId}/meetings", {"userId": user_id}, json=body,
                          category="medium", limit=rate_limits.host_meeting_writes(user_id)).json()

    def get_meeting(self, meeting_id: int | str, occurrence_id: str | None = None) -> dict:
        """meeting: GET /meetings/{meetingId} (fresh `start_url`, `occurrences`, settings)."""
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        return self._call("GET", "/meetings/{meetingId}", {"meetingId": meeting_id}, params=params,
                          category="light").json()

    def update_meeting(self, meeting_id: int | str, body: dict, occurrence_id: str | None = None, *,
                       host: str) -> None:
        """meetingUpdate: PATCH /meetings/{meetingId}; one occurrence when `occurrence_id` is given.

        Counts against the host's 100 creates/updates a day, so the caller names the host.
        """
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        self._call("PATCH", "/meetings/{meetingId}", {"meetingId": meeting_id}, params=params, json=body,
                   category="light", limit=rate_limits.host_meeting_writes(host))

    def delete_meeting(self, meeting_id: int | str, occurrence_id: str | None = None,
                       notify_registrants: bool = False) -> None:
        """meetingDelete: DELETE /meetings/{meetingId}; `cancel_meeting_reminder` emails registrants."""
        params: dict = {"cancel_meeting_reminder": "true" if notify_registrants else "false"}
        if occurrence_id:
            params["occurrence_id"] = occurrence_id
        self._call("DELETE", "/meetings/{meetingId}", {"meetingId": meeting_id}, params=params, category="light")

    def list_meetings(self, user_id: str, type: str = "upcoming") -> Iterator[dict]:
        """meetings: GET /users/{userId}/meetings, every page."""
        return self._pages("/users/{userId}/meetings", {"userId": user_id}, {"type": type}, "meetings",
                           category="medium")

    # --- registrants -----------------------------------------------------------------------

    def add_registrant(self, meeting_id: int | str, body: dict, occurrence_ids: list[str] | None = None) -> dict:
        """meetingRegistrantCreate: POST /meetings/{meetingId}/registrants.

        Zoom leaves `join_url` out of the answer when the registration is not approved yet;
        then the registrant is read back once, in case it was approved meanwhile.
        """
        params = {"occurrence_ids": ",".join(occurrence_ids)} if occurrence_ids else None
        created = self._call("POST", "/meetings/{meetingId}/registrants", {"meetingId": meeting_id},
                             params=params, json=body, category="light",
                             limit=rate_limits.registrations(meeting_id, str(body.get("email", "")))).json()
        if not created.get("join_url") and created.get("registrant_id"):
            again = self.get_registrant(meeting_id, created["registrant_id"])
            if again.get("join_url"):
                created["join_url"] = again["join_url"]
        return created

    def get_registrant(self, meeting_id: int | str, registrant_id: str) -> dict:
        """meetingRegistrantGet: GET /meetings/{meetingId}/registrants/{registrantId}."""
        return self._call("GET", "/meetings/{meetingId}/registrants/{registrantId}",
                          {"meetingId": meeting_id, "registrantId": registrant_id}, category="light").json()

    def list_registrants(self, meeting_id: int | str, status: str = "approved",
                         occurrence_id: str | None = None) -> Iterator[dict]:
        """meetingRegistrants: GET /meetings/{meetingId}/registrants, every page."""
        params = {"status": status}
        if occurrence_id:
            params["occurrence_id"] = occurrence_id
        return self._pages("/meetings/{meetingId}/registrants", {"meetingId": meeting_id}, params,
                           "registrants", category="medium")

    def update_registrant_status(self, meeting_id: int | str, action: str, registrants: list[dict],
                                 occurrence_id: str | None = None) -> None:
        """meetingRegistrantStatus: PUT /meetings/{meetingId}/registrants/status, 30 registrants a call.

        `registrants` are `{"id": registrant_id}` and/or `{"email": ...}`; `action` is
        approve, cancel or deny.
        """
        params = {"occurrence_id": occurrence_id} if occurrence_id else None
        for start in range(0, len(registrants), MAX_REGISTRANTS_PER_STATUS_CALL):
            chunk = registrants[start:start + MAX_REGISTRANTS_PER_STATUS_CALL]
            # Zoom's 10-a-day limit is per registrant; a call for several has only its category.
            one = chunk[0].get("id") or chunk[0].get("email") if len(chunk) == 1 else None
            self._call("PUT", "/meetings/{meetingId}/registrants/status", {"meetingId": meeting_id},
                       params=params, json={"action": action, "registrants": chunk}, category="medium",
                       limit=rate_limits.registrant_status(meeting_id, str(one)) if one else None)

    # --- breakout rooms, polls -------------------------------------------------------------

    def set_breakout_rooms(self, meeting_id: int | str, rooms: list[dict], *, host: str) -> None:
        """meetingUpdate with `settings.breakout_room`: pre-assign people (by email) to rooms.

        Zoom applies one assignment to every occurrence of a recurring meeting, at most 100
        rooms and 1000 people; only people signed in to Zoom with that email are placed, so
        this is best effort and attendance is read from webhooks, not from the plan.
        """
        if len(rooms) > MAX_BREAKOUT_ROOMS:
            raise ValueError(f"at most {MAX_BREAKOUT_ROOMS} breakout rooms, got {len(rooms)}")
        people = sum(len(room.get("participants", [])) for room in rooms)
        if people > MAX_BREAKOUT_PARTICIPANTS:
            raise ValueError(f"at most {MAX_BREAKOUT_PARTICIPANTS} pre-assigned people, got {people}")
        body = {"settings": {"breakout_room": {
            "enable": True,
            "rooms": [{"name": room["name"], "participants": list(room.get("participants", []))}
                      for room in rooms],
        }}}
        self.update_meeting(meeting_id, body, host=host)

    def list_polls(self, meeting_id: int | str) -> list[dict]:
        """meetingPolls: GET /meetings/{meetingId}/polls (one page: Zoom does not page polls).

        Lets a job find the poll an earlier, interrupted attempt made before making another.
        """
        data = self._call("GET", "/meetings/{meetingId}/polls", {"meetingId": meeting_id}, category="light").json()
        return list(data.get("polls") or [])

    def create_poll(self, meeting_id: int | str, body: dict) -> dict:
        """meetingPollCreate: POST /meetings/{meetingId}/polls. Not retried once sent (see `list_polls`)."""
        return self._call("POST", "/meetings/{meetingId}/polls", {"meetingId": meeting_id}, json=body,
                          category="light").json()

    # --- user settings, captions ---------------------------------------------------------

    def get_user_settings(self, user_id: str) -> dict:
        """userSettings: GET /users/{userId}/settings."""
        return self._call("GET", "/users/{userId}/settings", {"userId": user_id}, category="medium").json()

    def update_user_settings(self, user_id: str, body: dict) -> None:
        """userSettingsUpdate: PATCH /users/{userId}/settings (captions live here, not on meetings)."""
        self._call("PATCH", "/users/{userId}/settings", {"userId": user_id}, json=body, category="medium")

    def get_caption_token_url(self, meeting_id: int | str) -> str:
        """meetingToken: GET /meetings/{meetingId}/token?type=closed_caption_token.

        The URL is a credential for posting captions into the meeting: never log it.
        """
        return self._call("GET", "/meetings/{meetingId}/token", {"meetingId": meeting_id},
                          params={"type": "closed_caption_token"}, category="light").json()["token"]

    # --- after the meeting -----------------------------------------------------------------

    def list_past_instances(self, meeting_id: int | str) -> list[dict]:
        """pastMeetings: GET /past_meetings/{meetingId}/instances -> [{uuid, start_time}]."""
        data = self._call("GET", "/past_meetings/{meetingId}/instances", {"meetingId": meeting_id},
                          category="medium").json()
        return list(data.get("meetings") or [])

    def report_participants(self, meeting_id_or_uuid: int | str) -> Iterator[dict]:
        """reportMeetingParticipants: GET /report/meetings/{meetingId}/participants, every page,
        with `include_fields=registrant_id` so rows can be tied to our registrations."""
        return self._pages("/report/meetings/{meetingId}/participants", {"meetingId": meeting_id_or_uuid},
                           {"include_fields": "registrant_id"}, "participants", category="heavy")

    # --- the one HTTP seam -----------------------------------------------------------------

    def _url(self, template: str, path_params: dict) -> str:
        path = template
        for name, value in path_params.items():
            encoded = encode_meeting_id(value) if name == "meetingId" else quote(str(value), safe="@")
            path = path.replace("{" + name + "}", encoded)
        return self.api_base + path

    def _pages(self, template: str, path_params: dict, params: dict, items_key: str, *,
               category: str) -> Iterator[dict]:
        params = {**params, "page_size": PAGE_SIZE}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = self._call("GET", template, path_params, params=params, category=category).json()
            yield from data.get(items_key) or []
            token = data.get("next_page_token")
            if not token:
                return
            if token in seen:
                raise errors.ZoomError(0, None, f"{template}: next_page_token repeated")
            seen.add(token)
            params["next_page_token"] = token
        raise errors.ZoomError(0, None, f"{template}: more than {MAX_PAGES} pages")

    def _refuse_if_breaker_open(self, scopes: list[LimitScope], template: str) -> None:
        for scope in scopes:
            until = self.breaker.open_until(scope)
            if until is not None:
                metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "breaker_open"})
                event(log, "zoom_breaker_refused", operation=template, scope=scope.key, until=until.isoformat())
                raise errors.DailyLimitReached(429, 429, f"{scope.label} was reached", retry_at=until,
                                               scope=scope.key, limit=scope.label)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)

    def _call(self, method: str, template: str, path_params: dict, *, params: dict | None = None,
              json: dict | None = None, category: str, limit: LimitScope | None = None) -> requests.Response:
        """One call with its retries. `limit` is the narrow daily limit the call counts against
        (a host's meeting writes, a registrant on a meeting), checked with its `category`."""
        url = self._url(template, path_params)
        body = to_zoom_json(json) if json is not None else None
        scopes = ([limit] if limit else []) + [rate_limits.category(category)]
        idempotent = method in IDEMPOTENT_METHODS
        refreshed = False
        attempt = 0
        while True:
            self._refuse_if_breaker_open(scopes, template)
            started = time.monotonic()
            response, failure, maybe_applied = self._send(method, url, params, body, idempotent)
            elapsed = time.monotonic() - started
            elapsed_ms = int(elapsed * 1000)
            metrics.observe(self.redis, metrics.ZOOM_CALL_SECONDS, elapsed, {"endpoint": f"{method} {template}"})
            if response is not None:
                status = response.status_code
                event(log, "zoom_call", method=method, operation=template, status=status, attempt=attempt + 1,
                      ms=elapsed_ms)
                if status < 400:
                    metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "ok"})
                    return response
                code, message = _zoom_error_fields(response)
                if status == 401 and not refreshed and code in (None, 124):
                    refreshed = True  # one fresh token, then a 401 is final
                    self.session.drop_token()
                    continue
                if status == 429:  # refused before acting: safe to send again, even a POST
                    self._on_rate_limited(response, code, message, limit, category, attempt, template)
                    attempt += 1
                    continue
                if status < 500:
                    metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "error"})
                    raise errors.classify(status, code, message)
                failure, maybe_applied = f"HTTP {status}", True
            else:
                event(log, "zoom_call", level=logging.WARNING, method=method, operation=template, failure=failure,
                      attempt=attempt + 1, ms=elapsed_ms)
            attempt += 1
            if attempt >= self.max_attempts or (maybe_applied and not idempotent):
                outcome = "unavailable" if idempotent or not maybe_applied else "not_retried"
                metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": outcome})
                status = response.status_code if response is not None else 0
                code, message = _zoom_error_fields(response) if response is not None else (None, failure)
                if outcome == "not_retried":
                    message = f"{message or failure} (a {method} is not sent twice: Zoom may have acted on it)"
                raise errors.ZoomUnavailable(status, code, f"{template}: {message or failure}")
            metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "retry"})
            self._wait(backoff_seconds(attempt - 1, self.rng))

    def _send(self, method: str, url: str, params: dict | None, body, idempotent: bool
              ) -> tuple[requests.Response | None, str, bool]:
        """One attempt: (response or None, failure text, whether Zoom may have acted without answering).

        For a POST the token is made ready first, so a failure of the token endpoint is told
        apart from a failure of the call itself (only the latter may have reached Zoom).
        """
        stage = "token"
        try:
            if not idempotent:
                self.session.ensure_active_token()
            stage = "call"
            return self.session.request(method, url, params=params, json=body, timeout=self.timeout), "", False
        except OAuthError as exc:
            raise errors.CredentialsRejected(401, None, f"token endpoint: {exc.error}") from exc
        except requests.HTTPError as exc:  # the token endpoint itself failed
            status = exc.response.status_code if exc.response is not None else 0
            if status < 500:
                raise errors.CredentialsRejected(status, None, "token endpoint refused") from exc
            return None, f"token endpoint {status}", False
        except (requests.Timeout, requests.ConnectionError) as exc:
            return None, type(exc).__name__, stage == "call" and not never_reached_zoom(exc)

    def _on_rate_limited(self, response: requests.Response, code: int | None, message: str,
                         limit: LimitScope | None, category: str, attempt: int, template: str) -> None:
        """Wait before the next attempt, or raise: daily limit (breaker), too long a wait, too many tries."""
        now = self.clock.now()
        retry_at = parse_retry_after(response.headers.get("Retry-After"), now)
        if is_daily_limit(response.headers, message):
            # The call's narrow limit if it has one, else its category (as Zoom's header names it).
            scope = limit or rate_limits.category(response.headers.get("X-RateLimit-Category") or category)
            until = retry_at if retry_at and retry_at > now else next_utc_midnight(now)
            self.breaker.trip(scope, until)
            metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "daily_limit"})
            event(log, "zoom_daily_limit", level=logging.WARNING, operation=template, scope=scope.key,
                  until=until.isoformat())
            raise errors.DailyLimitReached(429, code, message, retry_at=until, scope=scope.key, limit=scope.label)
        wait = (retry_at - now).total_seconds() if retry_at else backoff_seconds(attempt, self.rng)
        if attempt + 1 >= self.max_attempts or wait > self.max_wait_seconds:
            metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "rate_limited"})
            raise errors.RateLimited(429, code, message, retry_at=retry_at)
        metrics.count(self.redis, "zoombridge_zoom_requests_total", {"outcome": "retry"})
        # a little jitter on top of Retry-After, so waiting workers do not all return at once
        self._wait(max(0.0, wait) + self.rng.uniform(0, 0.5))
