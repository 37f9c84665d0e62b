"""A small in-memory Zoom behind `responses`, for job and API tests.

It answers the REST paths the session jobs use, shaped as the official spec says (see
../shared/zoom-spec), refuses request bodies the spec refuses (issue 3's spec subset, as Zoom
would with a 400), and keeps what it was asked so tests can check what reached Zoom.
Recurring occurrences are computed here independently of zoombridge's own schedule code.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests
import responses

from zoombridge.sandbox.spec import zoom_spec

API = "https://api.zoom.test/v2"
OAUTH = "https://zoom.test"
GB_NUMBERS = [
    {"country": "GB", "country_name": "United Kingdom", "city": "London", "number": "+44 203 481 5237", "type": "toll"},
    {"country": "GB", "country_name": "United Kingdom", "city": "Edinburgh", "number": "+44 131 460 1196",
     "type": "toll"},
]
US_NUMBER = {"country": "US", "country_name": "US", "city": "New York", "number": "+1 646 558 8656", "type": "toll"}


def _occurrences(meeting: dict, occurrence_id: str) -> list[dict]:
    """The meeting's occurrences with this id (a PATCH or DELETE with `occurrence_id` acts on these)."""
    return [item for item in meeting.get("occurrences", []) if item["occurrence_id"] == occurrence_id]


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeZoom:
    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock
        self.meetings: dict[int, dict] = {}
        self.registrants: dict[int, list[dict]] = {}
        self.user_settings: dict = {"in_meeting": {"closed_caption": False, "closed_captioning": {"enable": False}}}
        self.calls: list[tuple[str, str, dict, dict | None]] = []  # (method, path, query, body)
        self.problems: list[str] = []  # requests the spec says Zoom would refuse
        self.create_timeouts = 0  # the next N creates store the meeting and then time out
        self.poll_timeouts = 0  # the next N poll creates store the poll and then time out
        self.polls: dict[int, list[dict]] = {}
        self.captions_locked = False  # the account has captions locked off: PATCH is ignored
        self.captions_forbidden = False  # PATCH is refused outright
        self.create_error: tuple[int, dict] | None = None  # the next creates are refused with this
        self._ids = itertools.count(85746065101)
        self._registrant_ids = itertools.count(1)
        self._install()

    # --- what tests look at ------------------------------------------------------------

    def calls_to(self, method: str, pattern: str) -> list[tuple[str, str, dict, dict | None]]:
        return [c for c in self.calls if c[0] == method and re.fullmatch(pattern, c[1])]

    def live_meetings(self) -> list[dict]:
        return list(self.meetings.values())

    # --- routing -------------------------------------------------------------------------

    def _install(self) -> None:
        self.mock.add(responses.POST, f"{OAUTH}/oauth/token", json={
            "access_token": "fake-token", "token_type": "bearer", "expires_in": 3600, "scope": "meeting:write:admin"})
        routes = [
            ("POST", r"/users/([^/]+)/meetings", self._create),
            ("GET", r"/users/([^/]+)/meetings", self._list),
            ("GET", r"/meetings/(\d+)", self._get),
            ("PATCH", r"/meetings/(\d+)", self._patch),
            ("DELETE", r"/meetings/(\d+)", self._delete),
            ("POST", r"/meetings/(\d+)/registrants", self._add_registrant),
            ("GET", r"/meetings/(\d+)/registrants/([^/]+)", self._get_registrant),
            ("PUT", r"/meetings/(\d+)/registrants/status", self._registrant_status),
            ("PATCH", r"/users/([^/]+)/settings", self._patch_settings),
            ("GET", r"/users/([^/]+)/settings", self._get_settings),
            ("GET", r"/meetings/(\d+)/token", self._token),
            ("GET", r"/meetings/(\d+)/polls", self._polls),
            ("POST", r"/meetings/(\d+)/polls", self._poll),
        ]
        for method, pattern, handler in routes:
            self.mock.add_callback(method, re.compile(re.escape(API) + pattern + r"(\?.*)?$"),
                                   callback=self._wrap(method, pattern, handler))

    def _wrap(self, method, pattern, handler):
        def callback(request):
            parts = urlsplit(request.url)
            path = parts.path[len(urlsplit(API).path):]
            match = re.fullmatch(pattern, path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = json.loads(request.body) if request.body else None
            self.calls.append((method, path, query, body))
            spec = zoom_spec()
            template, _operation = spec.find_operation(method, path)
            problems = spec.request_errors(method, template, body, query)
            if problems:
                self.problems.append(f"{method} {template}: {problems}")
                return self._json(400, {"code": 300, "message": "; ".join(problems)})
            return handler(*match.groups(), query=query, body=body)
        return callback

    @staticmethod
    def _json(status: int, payload=None):
        return status, {"Content-Type": "application/json"}, json.dumps(payload) if payload is not None else ""

    def _not_found(self, meeting_id):
        return self._json(404, {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."})

    # --- meetings ------------------------------------------------------------------------

    def _occurrences(self, body: dict) -> list[dict]:
        recurrence = body["recurrence"]
        zone = ZoneInfo(body["timezone"])
        local = datetime.fromisoformat(body["start_time"])
        zoom_day = recurrence["monthly_week_day"]  # 1 = Sunday
        python_day = (zoom_day - 2) % 7  # Monday = 0
        found, year, month = [], local.year, local.month
        for _ in range(recurrence["end_times"]):
            first = date(year, month, 1)
            day = first + timedelta(days=(python_day - first.weekday()) % 7)
            start = datetime.combine(day, local.time(), tzinfo=zone)
            found.append({"occurrence_id": str(int(start.timestamp() * 1000)), "start_time": _zulu(start),
                          "duration": body["duration"], "status": "available"})
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def _create(self, user, query, body):
        if self.create_error is not None:
            return self._json(*self.create_error)
        meeting_id = next(self._ids)
        if body.get("type") == 8:
            occurrences = self._occurrences(body)
            start_time = occurrences[0]["start_time"]
        else:
            occurrences = []
            start_time = body["start_time"]
        meeting = {
            "id": meeting_id, "uuid": f"uuid-{meeting_id}==", "host_email": user, "topic": body["topic"],
            "type": body["type"], "start_time": start_time, "duration": body["duration"],
            "timezone": body.get("timezone"), "agenda": body.get("agenda", ""), "password": body.get("password"),
            "h323_password": "123456", "pstn_password": "123456",
            "join_url": f"https://zoom.test/j/{meeting_id}?pwd=GENERIC",
            "registration_url": f"https://zoom.test/meeting/register/{meeting_id}",
            "start_url": f"https://zoom.test/s/{meeting_id}?zak=secret",
            "occurrences": occurrences,
            "settings": {**body.get("settings", {}), "global_dial_in_numbers": GB_NUMBERS + [US_NUMBER]},
        }
        if "recurrence" in body:
            meeting["recurrence"] = body["recurrence"]
        self.meetings[meeting_id] = meeting
        self.registrants[meeting_id] = []
        if self.create_timeouts > 0:
            self.create_timeouts -= 1
            raise requests.ReadTimeout("read timed out (fake: Zoom made the meeting)")
        return self._json(201, meeting)

    def _list(self, user, query, body):
        listed = [{"id": m["id"], "uuid": m["uuid"], "topic": m["topic"], "type": m["type"],
                   "start_time": m["start_time"], "duration": m["duration"], "agenda": m["agenda"][:250],
                   "join_url": m["join_url"]} for m in self.meetings.values()]
        return self._json(200, {"page_size": 300, "total_records": len(listed), "next_page_token": "",
                                "meetings": listed})

    def _get(self, meeting_id, query, body):
        meeting = self.meetings.get(int(meeting_id))
        return self._json(200, meeting) if meeting else self._not_found(meeting_id)

    def _patch(self, meeting_id, query, body):
        meeting = self.meetings.get(int(meeting_id))
        if meeting is None:
            return self._not_found(meeting_id)
        occurrence = query.get("occurrence_id")
        if occurrence:
            for item in _occurrences(meeting, occurrence):
                item["start_time"] = body.get("start_time", item["start_time"])
                item["duration"] = body.get("duration", item["duration"])
        else:
            meeting.update({k: v for k, v in body.items() if k != "settings"})
        return self._json(204)

    def _delete(self, meeting_id, query, body):
        meeting = self.meetings.get(int(meeting_id))
        if meeting is None:
            return self._not_found(meeting_id)
        occurrence = query.get("occurrence_id")
        if occurrence:
            for item in _occurrences(meeting, occurrence):
                item["status"] = "deleted"
        else:
            del self.meetings[int(meeting_id)]
        return self._json(204)

    # --- registrants ---------------------------------------------------------------------

    def _add_registrant(self, meeting_id, query, body):
        meeting = self.meetings.get(int(meeting_id))
        if meeting is None:
            return self._not_found(meeting_id)
        for existing in self.registrants[int(meeting_id)]:
            if existing["email"] == body["email"]:
                return self._json(201, existing["answer"])
        number = next(self._registrant_ids)
        approved = meeting["settings"].get("approval_type") == 0 or body.get("auto_approve")
        answer = {"id": int(meeting_id), "registrant_id": f"reg{number:04d}", "topic": meeting["topic"],
                  "start_time": meeting["start_time"], "participant_pin_code": 100000 + number,
                  "occurrences": meeting["occurrences"]}
        if approved:
            answer["join_url"] = f"https://zoom.test/w/{meeting_id}?tk=personal{number:04d}"
        self.registrants[int(meeting_id)].append({"email": body["email"], "first_name": body["first_name"],
                                                  "occurrence_ids": query.get("occurrence_ids"),
                                                  "status": "approved" if approved else "pending",
                                                  "answer": answer})
        return self._json(201, answer)

    def _get_registrant(self, meeting_id, registrant_id, query, body):
        for item in self.registrants.get(int(meeting_id), []):
            if item["answer"]["registrant_id"] == registrant_id:
                return self._json(200, {"id": registrant_id, "email": item["email"], "status": item["status"],
                                        "join_url": item["answer"].get("join_url")})
        return self._json(404, {"code": 3027, "message": "Registrant not found"})

    def _registrant_status(self, meeting_id, query, body):
        for item in self.registrants.get(int(meeting_id), []):
            if any(r.get("id") == item["answer"]["registrant_id"] for r in body["registrants"]):
                item["status"] = {"cancel": "cancelled", "approve": "approved", "deny": "denied"}[body["action"]]
        return self._json(204)

    # --- user settings, captions, polls ----------------------------------------------------

    def _patch_settings(self, user, query, body):
        if self.captions_forbidden:
            return self._json(400, {"code": 200, "message": "No permission to change closed captioning."})
        if not self.captions_locked:
            in_meeting = self.user_settings.setdefault("in_meeting", {})
            for key, value in (body.get("in_meeting") or {}).items():
                in_meeting[key] = {**in_meeting.get(key, {}), **value} if isinstance(value, dict) else value
        return self._json(204)

    def _get_settings(self, user, query, body):
        return self._json(200, self.user_settings)

    def _token(self, meeting_id, query, body):
        return self._json(200, {"token": f"https://wmcc.zoom.test/closedcaption?id={meeting_id}&ns=R1pIa0VBPT0&expire=86400"
                                          "&spparams=id%2Cns%2Cexpire&signature=s3cret"})

    def _polls(self, meeting_id, query, body):
        polls = self.polls.get(int(meeting_id), [])
        return self._json(200, {"total_records": len(polls), "polls": polls})

    def _poll(self, meeting_id, query, body):
        polls = self.polls.setdefault(int(meeting_id), [])
        poll = {"id": f"poll-{meeting_id}-{len(polls) + 1}", "status": "notstart", **body}
        polls.append(poll)
        if self.poll_timeouts > 0:
            self.poll_timeouts -= 1
            raise requests.ReadTimeout("read timed out (fake: Zoom made the poll)")
        return self._json(201, poll)
