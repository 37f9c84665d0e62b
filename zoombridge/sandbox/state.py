"""What the stand-in remembers: meetings, registrants, polls, user settings, played meetings.

In memory, behind one lock (the stand-in serves a few threads, and a rehearsal fits in memory).
Methods take and return plain dicts shaped as Zoom's answers, and raise `StandinError` with
Zoom's status and error code where Zoom would refuse.
"""

from __future__ import annotations

import base64
import copy
import random
import secrets
import string
import threading
from datetime import UTC, datetime, timedelta

from zoombridge.clock import Clock, SystemClock
from zoombridge.sandbox.recurrence import occurrence_starts

TOKEN_LIFETIME_SECONDS = 3600
PAGE_SIZE_DEFAULT = 30
PAGE_SIZE_MAX = 300

DIAL_IN_NUMBERS = [
    {"city": "London", "country": "GB", "country_name": "United Kingdom", "number": "+44 20 3481 5237",
     "type": "toll"},
    {"city": "Manchester", "country": "GB", "country_name": "United Kingdom", "number": "+44 161 250 7000",
     "type": "toll"},
    {"country": "GB", "country_name": "United Kingdom", "number": "+44 800 031 5717", "type": "tollfree"},
]

DEFAULT_USER_SETTINGS = {
    "schedule_meeting": {"host_video": False, "participants_video": False, "join_before_host": False,
                         "use_pmi_for_scheduled_meetings": False},
    "in_meeting": {
        "closed_caption": False,
        "closed_captioning": {"enable": False, "auto_transcribing": False, "save_caption": False,
                              "third_party_captioning_service": False, "view_full_transcript": False},
        "manual_captioning": {"allow_to_type": False, "auto_generated_captions": False, "full_transcript": False,
                              "manual_captions": False, "save_captions": False,
                              "third_party_captioning_service": False},
        "breakout_room": True, "breakout_room_schedule": True, "polling": True,
        "meeting_polling": {"enable": True, "advanced_polls": False},
        "waiting_room": True,
    },
    "feature": {"meeting_capacity": 300, "large_meeting": False},
}

# The stand-in's host account has AI Companion on by default, the case Zoom's March 2026 change makes
# dangerous: a field left out of Create a Meeting takes the account default (docs/zoom.md §3).
ACCOUNT_AI_DEFAULTS = {"auto_start_meeting_summary": True, "auto_start_ai_companion_questions": True,
                       "allow_participants_to_transcribe_meetings_with_my_notes": True}
# Zoom's user-level daily limits (docs/zoom.md §2), counted per UTC day as Zoom counts them.
MEETING_WRITES_PER_HOST = 100
REGISTRATIONS_PER_REGISTRANT = 3
MAX_REGISTRANTS = 4999  # per meeting; Zoom answers 3043 beyond it (docs/zoom.md §4)
HOST_DAILY_MESSAGE = ("You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
                      "permitted for this particular user. You may resume these requests at GMT 00:00:00.")
DAILY_MESSAGE = ("You have reached the maximum daily rate limit for this API. Refer to the response header for "
                 "details on when you can make another request.")

MEETING_SETTING_DEFAULTS = {
    "host_video": False, "participant_video": False, "join_before_host": False, "mute_upon_entry": False,
    "waiting_room": False, "approval_type": 2, "registration_type": 1, "audio": "both", "auto_recording": "none",
    "use_pmi": False, "watermark": False, "registrants_email_notification": True,
    "registrants_confirmation_email": True, "close_registration": False, "show_share_button": False,
    "allow_multiple_devices": False, "global_dial_in_countries": ["GB"],
}


class StandinError(Exception):
    """Zoom would refuse: HTTP `status`, Zoom error `code`, `message`; `errors` for 300 validation."""

    def __init__(self, status: int, code: int, message: str, errors: list[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def zoom_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deep_merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _parse_start(value: str | None, now: datetime) -> datetime:
    if not value:
        return now
    parsed = datetime.fromisoformat(value)
    return parsed  # naive means local time in the meeting's timezone


class StandinState:
    def __init__(self, clock: Clock | None = None, seed: int | None = None):
        self.clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.base_url = "http://127.0.0.1"
        self.users: dict[str, dict] = {}  # by id
        self.meetings: dict[int, dict] = {}
        self.registrants: dict[int, list[dict]] = {}
        self.polls: dict[int, list[dict]] = {}
        self.user_settings: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.page_tokens: dict[str, int] = {}
        self.instances: dict[int, list[dict]] = {}  # played meetings, oldest first
        self.auth_codes: dict[str, dict] = {}  # staff sign-in (zoombridge.sandbox.staff_oauth)
        # Settings sections an account admin has locked (`in_meeting`): a user-level PATCH of them
        # is accepted and changes nothing, so only reading the settings back shows it.
        self.locked_settings: set[str] = set()
        self.account_ai_defaults = dict(ACCOUNT_AI_DEFAULTS)
        self.ai_locked_on: set[str] = set()  # AI fields the account locks on: Zoom ignores an explicit off
        self.max_registrants = MAX_REGISTRANTS
        self.meeting_writes_per_host = MEETING_WRITES_PER_HOST
        self.registrations_per_registrant = REGISTRATIONS_PER_REGISTRANT
        self.daily_counts: dict[tuple, int] = {}  # (what, who, UTC date) -> requests today

    # --- ids and tokens ----------------------------------------------------------------------

    def _random_id(self, length: int = 22) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def new_instance_uuid(self) -> str:
        return base64.b64encode(self.rng.randbytes(16)).decode()

    def issue_token(self, kind: str, **claims) -> dict:
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = {"kind": kind, "expires_at": self.clock.now() + timedelta(
                seconds=TOKEN_LIFETIME_SECONDS), **claims}
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_SECONDS}

    def token_claims(self, token: str | None) -> dict | None:
        with self.lock:
            claims = self.tokens.get(token or "")
            if claims is None or claims["expires_at"] <= self.clock.now():
                return None
            return claims

    def revoke_tokens(self) -> None:
        """Every issued token stops working (Zoom's 401 code 124 on the next call)."""
        with self.lock:
            self.tokens.clear()

    def page(self, items: list, page_size: str | None, next_page_token: str | None) -> tuple[list, dict]:
        """One page of `items` and the paging fields, as Zoom pages (opaque next_page_token)."""
        try:
            size = min(PAGE_SIZE_MAX, max(1, int(page_size))) if page_size else PAGE_SIZE_DEFAULT
        except ValueError as exc:
            raise StandinError(400, 300, "Invalid field.", [{"field": "page_size", "message": "not a number"}]) from exc
        with self.lock:
            start = self.page_tokens.get(next_page_token, 0) if next_page_token else 0
            chunk = items[start:start + size]
            fields = {"page_size": size, "total_records": len(items),
                      "page_count": max(1, -(-len(items) // size)), "next_page_token": ""}
            if start + size < len(items):
                token = secrets.token_urlsafe(24)
                self.page_tokens[token] = start + size
                fields["next_page_token"] = token
        return chunk, fields

    # --- users ---------------------------------------------------------------------------------

    def user(self, user_id: str, create: bool = True) -> dict:
        """A host user by id or email; any email is a user of the stand-in's account."""
        with self.lock:
            for user in self.users.values():
                if user_id in (user["id"], user["email"]):
                    return user
            if not create or "@" not in user_id:
                raise StandinError(404, 1001, f"User does not exist: {user_id}.")
            first = user_id.split("@")[0].split(".")[0].capitalize() or "Host"
            user = {"id": self._random_id(), "email": user_id, "first_name": first, "last_name": "Host",
                    "display_name": f"{first} Host", "type": 2, "status": "active", "timezone": "Europe/London",
                    "account_id": "standinAccount00000000", "role_name": "Member", "pmi": 1234567890,
                    "created_at": zoom_time(self.clock.now()), "verified": 1, "language": "en-US"}
            self.users[user["id"]] = user
            return user

    def get_user_settings(self, user_id: str) -> dict:
        user = self.user(user_id)
        with self.lock:
            return copy.deepcopy(self.user_settings.get(user["id"], DEFAULT_USER_SETTINGS))

    def update_user_settings(self, user_id: str, body: dict) -> None:
        user = self.user(user_id)
        with self.lock:
            current = self.user_settings.get(user["id"], DEFAULT_USER_SETTINGS)
            changes = {section: value for section, value in body.items() if section not in self.locked_settings}
            self.user_settings[user["id"]] = deep_merge(current, changes)

    # --- Zoom's user-level daily limits --------------------------------------------------------

    def _count_daily(self, key: tuple, limit: int, message: str) -> None:
        """Count one request against a daily limit; 429 (with Retry-After at the next 00:00 UTC) past it."""
        now = self.clock.now().astimezone(UTC)
        day = now.date()
        with self.lock:
            counted = self.daily_counts.get((*key, day), 0)
            if counted >= limit:
                reset = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
                raise StandinError(429, 429, message, headers={
                    "X-RateLimit-Type": "Daily-limit", "Retry-After": zoom_time(reset)})
            self.daily_counts[(*key, day)] = counted + 1

    def _ai_settings(self, settings: dict) -> dict:
        """AI Companion fields as the account leaves them: defaults for omitted ones, locks over all."""
        out = {**self.account_ai_defaults, **settings}
        for field in self.ai_locked_on:
            out[field] = True
        return out

    # --- meetings ------------------------------------------------------------------------------

    def _occurrences(self, meeting: dict) -> list[dict]:
        start = _parse_start(meeting.get("_start_input"), self.clock.now())
        starts = occurrence_starts(start, meeting["timezone"], meeting["recurrence"])
        deleted = meeting.setdefault("_deleted_occurrences", set())
        return [{"occurrence_id": str(int(s.timestamp() * 1000)), "start_time": zoom_time(s),
                 "duration": meeting["duration"],
                 "status": "deleted" if str(int(s.timestamp() * 1000)) in deleted else "available"}
                for s in starts]

    def _meeting_start_utc(self, body: dict, timezone: str) -> datetime:
        from zoneinfo import ZoneInfo

        start = _parse_start(body.get("start_time"), self.clock.now())
        if start.tzinfo is None:
            start = start.replace(tzinfo=ZoneInfo(timezone))
        return start.astimezone(UTC)

    def create_meeting(self, user_id: str, body: dict) -> dict:
        host = self.user(user_id)
        self._count_daily(("meeting-writes", host["id"]), self.meeting_writes_per_host, HOST_DAILY_MESSAGE)
        with self.lock:
            meeting_id = self.rng.randrange(81_000_000_000, 89_999_999_999)
            timezone = body.get("timezone") or host["timezone"]
            kind = body.get("type", 2)
            settings = self._ai_settings(deep_merge(MEETING_SETTING_DEFAULTS, body.get("settings") or {}))
            settings["global_dial_in_numbers"] = copy.deepcopy(DIAL_IN_NUMBERS)
            password = body.get("password") or "".join(self.rng.choice(string.digits) for _ in range(6))
            meeting = {
                "id": meeting_id, "uuid": self.new_instance_uuid(), "host_id": host["id"],
                "host_email": host["email"], "topic": body.get("topic", "Zoom meeting"), "type": kind,
                "status": "waiting", "timezone": timezone, "duration": body.get("duration", 60),
                "agenda": body.get("agenda", ""), "created_at": zoom_time(self.clock.now()),
                "password": password, "h323_password": password, "pre_schedule": False,
                "start_url": f"{self.base_url}/s/{meeting_id}?zak={self._random_id(32)}",
                "join_url": f"{self.base_url}/j/{meeting_id}?pwd={self._random_id(20)}",
                "settings": settings, "_start_input": body.get("start_time"),
            }
            if kind in (2, 8):
                meeting["start_time"] = zoom_time(self._meeting_start_utc(body, timezone))
            if kind == 8:
                meeting["recurrence"] = copy.deepcopy(body["recurrence"])
                meeting["occurrences"] = self._occurrences(meeting)
                if meeting["occurrences"]:
                    meeting["start_time"] = meeting["occurrences"][0]["start_time"]
            if settings.get("approval_type") in (0, 1):
                meeting["registration_url"] = f"{self.base_url}/meeting/register/{self._random_id()}"
            self.meetings[meeting_id] = meeting
            self.registrants[meeting_id] = []
            return self._public(meeting)

    @staticmethod
    def _public(meeting: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in meeting.items() if not k.startswith("_")}

    def _meeting(self, meeting_id) -> dict:
        try:
            key = int(str(meeting_id))
        except ValueError:
            key = None
        with self.lock:
            meeting = self.meetings.get(key) if key is not None else None
            if meeting is None:
                raise StandinError(404, 3001, f"Meeting does not exist: {meeting_id}.")
            return meeting

    def get_meeting(self, meeting_id, occurrence_id: str | None = None) -> dict:
        with self.lock:
            meeting = self._public(self._meeting(meeting_id))
            if occurrence_id:
                match = [o for o in meeting.get("occurrences", []) if o["occurrence_id"] == occurrence_id]
                if not match:
                    raise StandinError(404, 3001, f"Meeting does not exist: {meeting_id}.")
                meeting["start_time"] = match[0]["start_time"]
                meeting["occurrences"] = match
            return meeting

    def update_meeting(self, meeting_id, body: dict, occurrence_id: str | None = None) -> None:
        self._count_daily(("meeting-writes", self._meeting(meeting_id)["host_id"]), self.meeting_writes_per_host,
                          HOST_DAILY_MESSAGE)
        with self.lock:
            meeting = self._meeting(meeting_id)
            if meeting["status"] == "started" and "start_time" in body:
                raise StandinError(400, 3000, "Cannot update a meeting that has started.")
            for key in ("topic", "agenda", "duration", "timezone", "password"):
                if key in body:
                    meeting[key] = body[key]
            if "settings" in body:
                kept_numbers = meeting["settings"].get("global_dial_in_numbers")
                meeting["settings"] = self._ai_settings(deep_merge(meeting["settings"], body["settings"]))
                meeting["settings"]["global_dial_in_numbers"] = kept_numbers
            if "type" in body:
                meeting["type"] = body["type"]
            if "recurrence" in body:
                meeting["recurrence"] = copy.deepcopy(body["recurrence"])
            if "start_time" in body:
                meeting["_start_input"] = body["start_time"]
                meeting["start_time"] = zoom_time(self._meeting_start_utc(body, meeting["timezone"]))
            if meeting["type"] == 8 and "recurrence" in meeting:
                meeting["occurrences"] = self._occurrences(meeting)

    def delete_meeting(self, meeting_id, occurrence_id: str | None = None) -> None:
        with self.lock:
            meeting = self._meeting(meeting_id)
            if occurrence_id:
                if occurrence_id not in {o["occurrence_id"] for o in meeting.get("occurrences", [])}:
                    raise StandinError(404, 3001, f"Meeting does not exist: {meeting_id}.")
                meeting.setdefault("_deleted_occurrences", set()).add(occurrence_id)
                meeting["occurrences"] = self._occurrences(meeting)
                return
            del self.meetings[meeting["id"]]

    def list_meetings(self, user_id: str, kind: str) -> list[dict]:
        host = self.user(user_id)
        now = self.clock.now()
        with self.lock:
            out = []
            for meeting in self.meetings.values():
                if meeting["host_id"] != host["id"]:
                    continue
                start = meeting.get("start_time")
                if kind in ("upcoming", "upcoming_meetings", "scheduled") and start and \
                        datetime.fromisoformat(start) + timedelta(minutes=meeting["duration"]) < now and \
                        meeting["type"] != 8:
                    continue
                row = {k: meeting[k] for k in ("id", "uuid", "host_id", "topic", "type", "duration", "timezone",
                                               "created_at", "join_url", "agenda") if k in meeting}
                if start:
                    row["start_time"] = start
                out.append(row)
            return out

    # --- registrants -------------------------------------------------------------------------

    def add_registrant(self, meeting_id, body: dict, occurrence_ids: list[str] | None = None) -> dict:
        meeting = self._meeting(meeting_id)
        self._count_daily(("registration", meeting["id"], body["email"].lower()), self.registrations_per_registrant,
                          DAILY_MESSAGE)
        with self.lock:
            approval = meeting["settings"].get("approval_type", 2)
            if approval == 2:
                raise StandinError(400, 3000, "Registration has not been enabled for this meeting: "
                                              f"{meeting['id']}.")
            approved = approval == 0 or body.get("auto_approve") is True
            existing = [r for r in self.registrants[meeting["id"]] if r["email"].lower() == body["email"].lower()]
            if not existing and len(self.registrants[meeting["id"]]) >= self.max_registrants:
                raise StandinError(400, 3043, "Meeting has reached maximum attendee capacity.")
            if existing:
                registrant = existing[0]
                if approved and registrant["status"] != "approved":
                    registrant["status"] = "approved"
            else:
                registrant = {
                    "id": self._random_id(), "email": body["email"], "first_name": body["first_name"],
                    "last_name": body.get("last_name", ""), "status": "approved" if approved else "pending",
                    "create_time": zoom_time(self.clock.now()),
                    "participant_pin_code": self.rng.randrange(100_000, 999_999),
                    "_tk": self._random_id(40),
                }
                for key in ("phone", "comments", "country", "city", "org", "custom_questions", "language"):
                    if key in body:
                        registrant[key] = copy.deepcopy(body[key])
                self.registrants[meeting["id"]].append(registrant)
            answer = {"id": meeting["id"], "registrant_id": registrant["id"], "topic": meeting["topic"],
                      "participant_pin_code": registrant["participant_pin_code"]}
            if meeting.get("start_time"):
                answer["start_time"] = meeting["start_time"]
            if meeting.get("occurrences"):
                wanted = set(occurrence_ids or [])
                answer["occurrences"] = [o for o in meeting["occurrences"]
                                         if not wanted or o["occurrence_id"] in wanted]
            if registrant["status"] == "approved":
                answer["join_url"] = self._join_url(meeting, registrant)
            return answer

    def _join_url(self, meeting: dict, registrant: dict) -> str:
        return f"{self.base_url}/w/{meeting['id']}?tk={registrant['_tk']}"

    def _registrant_view(self, meeting: dict, registrant: dict) -> dict:
        view = self._public(registrant)
        if registrant["status"] == "approved":
            view["join_url"] = self._join_url(meeting, registrant)
        return view

    def get_registrant(self, meeting_id, registrant_id: str) -> dict:
        with self.lock:
            meeting = self._meeting(meeting_id)
            for registrant in self.registrants[meeting["id"]]:
                if registrant["id"] == registrant_id:
                    return self._registrant_view(meeting, registrant)
            raise StandinError(404, 404, f"Registrant does not exist: {registrant_id}.")

    def list_registrants(self, meeting_id, status: str = "approved") -> list[dict]:
        with self.lock:
            meeting = self._meeting(meeting_id)
            return [self._registrant_view(meeting, r) for r in self.registrants[meeting["id"]]
                    if r["status"] == status]

    def registrant_by_token(self, meeting_id, tk: str) -> tuple[dict, dict] | None:
        with self.lock:
            meeting = self._meeting(meeting_id)
            for registrant in self.registrants[meeting["id"]]:
                if registrant["_tk"] == tk:
                    return self._public(meeting), self._registrant_view(meeting, registrant)
        return None

    def update_registrant_status(self, meeting_id, action: str, registrants: list[dict]) -> None:
        target = {"approve": "approved", "cancel": "denied", "deny": "denied"}[action]
        allowed_from = {"approve": {"pending", "denied"}, "cancel": {"approved"}, "deny": {"pending"}}[action]
        with self.lock:
            meeting = self._meeting(meeting_id)
            for wanted in registrants:
                for registrant in self.registrants[meeting["id"]]:
                    if wanted.get("id") == registrant["id"] or (
                            wanted.get("email") and wanted["email"].lower() == registrant["email"].lower()):
                        if registrant["status"] in allowed_from:
                            registrant["status"] = target

    # --- polls, captions ---------------------------------------------------------------------

    def create_poll(self, meeting_id, body: dict) -> dict:
        with self.lock:
            meeting = self._meeting(meeting_id)
            poll = {"id": self._random_id(), "status": "notstart", "title": body.get("title", ""),
                    "anonymous": body.get("anonymous", False), "poll_type": body.get("poll_type", 1),
                    "questions": copy.deepcopy(body.get("questions", []))}
            self.polls.setdefault(meeting["id"], []).append(poll)
            return copy.deepcopy(poll)

    def list_polls(self, meeting_id) -> list[dict]:
        with self.lock:
            meeting = self._meeting(meeting_id)
            return copy.deepcopy(self.polls.get(meeting["id"], []))

    def caption_token_url(self, meeting_id) -> str:
        meeting = self._meeting(meeting_id)
        return (f"{self.base_url}/closedcaption?id={meeting['id']}&ns={self._random_id(12)}&expire=86400"
                f"&spparams=id%2Cns%2Cexpire&signature={self._random_id(43)}")

    # --- played meetings (the player records them; reports read them) ------------------------

    def record_instance(self, meeting_id, instance: dict) -> None:
        with self.lock:
            meeting = self._meeting(meeting_id)
            self.instances.setdefault(meeting["id"], []).append(copy.deepcopy(instance))

    def set_status(self, meeting_id, status: str) -> None:
        with self.lock:
            self._meeting(meeting_id)["status"] = status

    def past_instances(self, meeting_id) -> list[dict]:
        with self.lock:
            meeting = self._meeting(meeting_id)
            return [{"uuid": i["uuid"], "start_time": i["start_time"]} for i in self.instances.get(meeting["id"], [])]

    def report_rows(self, meeting_id_or_uuid: str) -> list[dict]:
        """The participant rows of one played instance: by UUID, or the latest one by meeting id."""
        with self.lock:
            for instances in self.instances.values():
                for instance in instances:
                    if instance["uuid"] == meeting_id_or_uuid:
                        return copy.deepcopy(instance["participants"])
            try:
                meeting = self._meeting(meeting_id_or_uuid)
            except StandinError:
                raise StandinError(404, 3001, f"Meeting does not exist: {meeting_id_or_uuid}.") from None
            played = self.instances.get(meeting["id"])
            if not played:
                raise StandinError(404, 3001, "This meeting has not ended yet, or has no report.")
            return copy.deepcopy(played[-1]["participants"])
