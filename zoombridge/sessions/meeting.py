"""What we ask Zoom for, and what we keep from its answers (pure: no I/O).

Meeting settings follow the issue and DESIGN "Registration and identity":

- registration on, `approval_type: 1` (manual) and our own registrant POSTs with
  `auto_approve: true` (Indico vc_zoom #322): a leaked public registration link only makes
  *pending* registrations, while everyone we register gets a personal `join_url`;
- Zoom's own registration emails off (we send ours);
- waiting room, a passcode, no join-before-host, mute on entry, recording off, breakout rooms
  enabled, audio `both` with UK dial-in numbers;
- every AI Companion field sent explicitly (off unless the format asks): a field left out takes
  the host account's default since March 2026 (docs/zoom.md §3, `sessions/ai_settings.py`).

Finding a meeting again. Zoom's create call has no idempotency key, so the agenda starts with a
marker line, `zoombridge ref <install> session <id>` (or `series <id>`). `install` is a short
fingerprint of the public URL, so a staging and a production install sharing one Zoom host
cannot adopt each other's meetings. Zoom truncates agendas to 250 characters in the meeting
list, which is why the marker comes first. A topic marker would show in every participant's
Zoom window; tracking fields must be set up by an account admin first.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import UTC, datetime

from zoombridge.planning.formats import AiCompanion, Poll, SessionFormat
from zoombridge.planning.schedule import LONDON, to_local, zoom_weekday
from zoombridge.privacy import fingerprint
from zoombridge.sessions.ai_settings import wanted_settings

MARKER_PREFIX = "zoombridge ref"
AGENDA_LIMIT = 2000
TOPIC_LIMIT = 200
DIAL_IN_COUNTRIES = ("GB",)


def install_tag(public_base_url: str) -> str:
    return fingerprint(public_base_url.rstrip("/"))


def meeting_marker(install: str, *, session_id: int | None = None, series_id: int | None = None,
                   part: int = 0) -> str:
    """`… session 4`, `… series 2`, or `… series 2 part 1` for the second meeting of a series
    whose first one filled up with Zoom's 4,999 registrants."""
    if (session_id is None) == (series_id is None):
        raise ValueError("a marker names a session or a series")
    subject = f"session {session_id}" if session_id is not None else f"series {series_id}"
    if part:
        subject += f" part {part}"
    return f"{MARKER_PREFIX} {install} {subject}"


def find_marked(meetings: Iterable[dict], marker: str) -> list[dict]:
    """Meetings whose agenda starts with our marker line (exactly: `session 4` is not `session 42`)."""
    return [m for m in meetings if (m.get("agenda") or "").split("\n", 1)[0].strip() == marker]


def new_passcode() -> str:
    """Ten digits (Zoom's maximum length). Digits, because people joining by phone type it on a
    keypad; the web passcode is only ever carried inside personal links."""
    return "".join(secrets.choice(string.digits) for _ in range(10))


def agenda_text(marker: str, fmt: SessionFormat) -> str:
    lines = [marker] + [f"{block.minutes} min: {block.title}" for block in fmt.agenda]
    return "\n".join(lines)[:AGENDA_LIMIT]


def meeting_settings(series: bool, ai: AiCompanion) -> dict:
    settings = {
        "host_video": True,
        "participant_video": True,
        "join_before_host": False,
        "waiting_room": True,
        "mute_upon_entry": True,
        "approval_type": 1,
        "registrants_email_notification": False,
        "registrants_confirmation_email": False,
        "allow_multiple_devices": True,
        "show_share_button": False,
        "audio": "both",
        "global_dial_in_countries": list(DIAL_IN_COUNTRIES),
        "auto_recording": "none",
        "breakout_room": {"enable": True},
        **wanted_settings(ai),
    }
    if series:
        # Register once and choose occurrences: each registration is for one session of the
        # series (POST registrants?occurrence_ids=<that session's occurrence>), and cancelling
        # it cancels that occurrence only.
        settings["registration_type"] = 3
    return settings


def one_off_body(*, topic: str, agenda: str, starts_at: datetime, duration_minutes: int, passcode: str,
                 ai: AiCompanion, tz: str = LONDON) -> dict:
    return {
        "topic": topic[:TOPIC_LIMIT],
        "type": 2,
        "start_time": starts_at.astimezone(UTC),
        "duration": duration_minutes,
        "timezone": tz,
        "agenda": agenda,
        "password": passcode,
        "settings": meeting_settings(series=False, ai=ai),
    }


def series_body(*, topic: str, agenda: str, first_start: datetime, duration_minutes: int, weekday: str,
                count: int, passcode: str, ai: AiCompanion, tz: str = LONDON) -> dict:
    """A recurring meeting with fixed times (type 8) on the first <weekday> of each month.

    The start is sent as wall-clock time in `tz` (no `Z`) so that Zoom keeps the occurrences
    at the same London time when the clocks change.
    """
    return {
        "topic": topic[:TOPIC_LIMIT],
        "type": 8,
        "start_time": to_local(first_start, tz).strftime("%Y-%m-%dT%H:%M:%S"),
        "duration": duration_minutes,
        "timezone": tz,
        "agenda": agenda,
        "password": passcode,
        "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1,
                       "monthly_week_day": zoom_weekday(weekday), "end_times": count},
        "settings": meeting_settings(series=True, ai=ai),
    }


def reschedule_body(starts_at: datetime, duration_minutes: int, topic: str | None = None) -> dict:
    body: dict = {"start_time": starts_at.astimezone(UTC), "duration": duration_minutes, "timezone": LONDON}
    if topic is not None:
        body["topic"] = topic[:TOPIC_LIMIT]
    return body


def registrant_body(first_name: str, email: str) -> dict:
    """First name only, so Zoom shows people by their first name; approved by us at once."""
    return {"first_name": first_name[:64], "email": email[:128], "auto_approve": True}


def poll_body(poll: Poll) -> dict:
    return {"title": poll.title[:64], "poll_type": 1, "anonymous": False,
            "questions": [{"name": poll.question[:255], "type": "single", "answers": list(poll.answers),
                           "answer_required": False}]}


def find_poll(polls: list[dict], title: str) -> dict | None:
    """The meeting's poll with this title, if an earlier attempt already made it.

    Zoom gives polls no marker field, and a format has one poll, so the title (as sent, cut to
    Zoom's 64 characters) is what identifies ours among the host's own.
    """
    return next((p for p in polls if p.get("title") == title), None)


def _phone_passcode(meeting: dict) -> str | None:
    """The numeric passcode Zoom asks phone callers for (`pstn_password`, the H.323 one, or the
    passcode itself, which we make numeric)."""
    for key in ("pstn_password", "h323_password", "password"):
        value = meeting.get(key)
        if value and str(value).isdigit():
            return str(value)
    return None


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def join_details(meeting: dict) -> dict:
    """What we keep from a meeting: never its generic `join_url`, web passcode or `start_url`."""
    dial_ins = [
        {"number": item.get("number", ""), "label": item.get("city") or item.get("country_name") or ""}
        for item in (meeting.get("settings") or {}).get("global_dial_in_numbers") or []
        if item.get("country") in DIAL_IN_COUNTRIES and item.get("number")
    ]
    occurrences = [
        {"occurrence_id": str(o["occurrence_id"]), "start_time": o["start_time"], "status": o.get("status", "")}
        for o in meeting.get("occurrences") or [] if o.get("occurrence_id") and o.get("start_time")
    ]
    return {
        "meeting_id": int(meeting["id"]),
        "host_email": meeting.get("host_email"),
        "phone_passcode": _phone_passcode(meeting),
        "dial_in_numbers": dial_ins,
        "occurrences": occurrences,
    }


def match_occurrences(session_starts: dict[int, datetime], occurrences: list[dict]) -> tuple[dict[int, str], list[int]]:
    """Occurrence id for each session by start time; and the sessions Zoom has no occurrence for."""
    by_start = {_parse_time(o["start_time"]): o["occurrence_id"] for o in occurrences
                if o.get("status") != "deleted"}
    matched, missing = {}, []
    for session_id, starts_at in session_starts.items():
        occurrence = by_start.get(starts_at.astimezone(UTC))
        if occurrence is None:
            missing.append(session_id)
        else:
            matched[session_id] = occurrence
    return matched, missing
