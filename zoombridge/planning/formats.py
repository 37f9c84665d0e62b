"""Session formats (`config/formats.toml`): what a Cuppa, a co-production or a network session is.

A format is read once into frozen dataclasses; a session may override some of its fields
(`overrides` in the staff API). Both go through the same field parsers, so a mistake in the
TOML file and a mistake in an API call are reported the same way: `FormatError(field, message)`
naming the exact field (`formats.cuppa.agenda[2].minutes`, `overrides.reminder_time`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

from zoombridge.config import DEFAULT_CONFIG_DIR
from zoombridge.notify.addresses import normalise_email
from zoombridge.refusals import Refused

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REMINDERS = ("morning", "none")
ASSIGNMENTS = ("mixed", "random")
REPEATS = ("monthly-first-week",)

# What staff may change for one session; everything else belongs to the kind itself
# (whether it is paid, how it repeats) and changing it would be a different kind of session.
OVERRIDABLE = (
    "description",
    "duration_minutes",
    "agenda",
    "breakouts",
    "links_lead_days",
    "reminder",
    "reminder_time",
    "poll",
    "pre_reading",
    "captioner_email",
    "breakout_captions",
    "max_people",
    "ai_companion",
)
# When a captioner is booked and the session has breakout rooms, how the rooms are captioned:
# Zoom allows no automated captions anywhere once manual captions are on (docs/zoom.md §5).
BREAKOUT_CAPTIONS = ("automated", "none")


class FormatError(Refused, ValueError):
    """A format or override field is wrong; `field` is its full path, `message` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(field, message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class AgendaBlock:
    title: str
    minutes: int
    breakout: bool = False


@dataclass(frozen=True)
class BreakoutRules:
    """The rules the breakout planner follows; the planner itself lives in planning/breakout.py."""

    assignment: str  # "mixed": spread people and staff; "random": shuffle everyone
    room_size: int
    staff_per_room: int
    rounds: int
    optional_rounds: int
    round_minutes: int
    # Avoid pairing people who met in this many earlier sessions of the same kind (0: forget).
    remember_sessions: int = 3

    @property
    def all_rounds(self) -> int:
        """Rounds to plan: the set ones and the optional ones (a plan for a round not held is harmless)."""
        return self.rounds + self.optional_rounds


@dataclass(frozen=True)
class AiCompanion:
    """Zoom AI Companion features a meeting may start with; all off unless a format asks.

    Sent explicitly on every meeting, because since 15 March 2026 a field left out takes the
    host account's default (docs/zoom.md §3), which could summarise members of the public.
    """

    meeting_summary: bool = False  # settings.auto_start_meeting_summary
    questions: bool = False  # settings.auto_start_ai_companion_questions
    my_notes_transcription: bool = False  # settings.allow_participants_to_transcribe_meetings_with_my_notes


@dataclass(frozen=True)
class Poll:
    title: str
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class PreReading:
    title: str
    url: str


@dataclass(frozen=True)
class SessionFormat:
    kind: str
    name: str
    description: str
    duration_minutes: int
    paid: bool
    max_people: int
    links_lead_days: int
    reminder: str
    reminder_time: time
    agenda: tuple[AgendaBlock, ...] = ()
    breakouts: BreakoutRules | None = None
    poll: Poll | None = None
    pre_reading: tuple[PreReading, ...] = ()
    captioner_email: str | None = None
    breakout_captions: str | None = None  # one of BREAKOUT_CAPTIONS, once staff have chosen
    ai_companion: AiCompanion = AiCompanion()
    pay_rate_pence_per_hour: int | None = None
    repeats: str | None = None
    default_weekday: str | None = None
    separate_halves: bool = False

    @property
    def asks_about_payment(self) -> bool:
        """Only paid kinds ask people whether they want to be paid."""
        return self.paid

    def with_overrides(self, overrides: Mapping[str, Any], prefix: str = "overrides") -> SessionFormat:
        """This format with one session's overrides applied, or FormatError naming the field."""
        if not isinstance(overrides, Mapping):
            raise FormatError(prefix, "must be an object")
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            path = f"{prefix}.{key}"
            if key not in OVERRIDABLE:
                raise FormatError(path, f"is not something a session can override (allowed: {', '.join(OVERRIDABLE)})")
            if key == "breakouts" and value is not None:
                changes[key] = _breakouts_over(self.breakouts, value, path)
            elif key in ("poll", "captioner_email", "breakout_captions") and value is None:
                changes[key] = None
            else:
                changes[key] = _FIELDS[key](value, path)
        result = replace(self, **changes)
        result.check(prefix)
        return result

    def check(self, prefix: str) -> None:
        """Rules across fields: the agenda must fit in the session."""
        total = sum(block.minutes for block in self.agenda)
        if total > self.duration_minutes:
            raise FormatError(f"{prefix}.agenda",
                              f"adds up to {total} minutes but the session lasts {self.duration_minutes}")


# --- field parsers: (value, path) -> parsed value ------------------------------------------

Parser = Callable[[Any, str], Any]


def _integer(low: int, high: int) -> Parser:
    def parse(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FormatError(path, "must be a whole number")
        if not low <= value <= high:
            raise FormatError(path, f"must be between {low} and {high}")
        return value
    return parse


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise FormatError(path, "must be true or false")
    return value


def _text(max_length: int, allow_empty: bool = False) -> Parser:
    def parse(value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise FormatError(path, "must be text")
        value = value.strip()
        if not value and not allow_empty:
            raise FormatError(path, "must not be empty")
        if len(value) > max_length:
            raise FormatError(path, f"must be at most {max_length} characters")
        return value
    return parse


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: Any, path: str) -> str:
        if value not in options:
            raise FormatError(path, f"must be one of: {', '.join(options)}")
        return value
    return parse


def _time_of_day(value: Any, path: str) -> time:
    if isinstance(value, time):
        return value
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise FormatError(path, "must be a time of day like 08:00") from None


def _email(value: Any, path: str) -> str:
    address = normalise_email(value)
    if address is None:
        raise FormatError(path, "must be an email address")
    return address


def _url(value: Any, path: str) -> str:
    text = _text(2000)(value, path)
    if not text.startswith(("https://", "http://")):
        raise FormatError(path, "must be a web address starting with https://")
    return text


def _table(value: Any, path: str, parsers: dict[str, Parser], required: tuple[str, ...],
           defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise FormatError(path, "must be an object")
    parsed: dict[str, Any] = dict(defaults or {})
    for key, item in value.items():
        if key not in parsers:
            raise FormatError(f"{path}.{key}", f"is not a known field (known: {', '.join(parsers)})")
        parsed[key] = parsers[key](item, f"{path}.{key}")
    for key in required:
        if key not in parsed:
            raise FormatError(f"{path}.{key}", "is required")
    return parsed


def _list_of(item: Parser, max_items: int, min_items: int = 0) -> Parser:
    def parse(value: Any, path: str) -> tuple:
        if not isinstance(value, list | tuple):
            raise FormatError(path, "must be a list")
        if not min_items <= len(value) <= max_items:
            raise FormatError(path, f"must have between {min_items} and {max_items} items")
        return tuple(item(entry, f"{path}[{i}]") for i, entry in enumerate(value))
    return parse


def _agenda_block(value: Any, path: str) -> AgendaBlock:
    return AgendaBlock(**_table(value, path, {"title": _text(200), "minutes": _integer(1, 600),
                                              "breakout": _boolean}, required=("title", "minutes")))


_BREAKOUT_FIELDS: dict[str, Parser] = {
    "assignment": _choice(ASSIGNMENTS),
    "room_size": _integer(2, 50),
    "staff_per_room": _integer(0, 5),
    "rounds": _integer(1, 10),
    "optional_rounds": _integer(0, 10),
    "round_minutes": _integer(1, 240),
    "remember_sessions": _integer(0, 24),
}


def _breakouts(value: Any, path: str) -> BreakoutRules:
    parsed = _table(value, path, _BREAKOUT_FIELDS, required=("assignment", "room_size", "rounds", "round_minutes"),
                    defaults={"staff_per_room": 0, "optional_rounds": 0, "remember_sessions": 3})
    if parsed["staff_per_room"] >= parsed["room_size"]:
        raise FormatError(f"{path}.staff_per_room", "must leave room for participants (less than room_size)")
    return BreakoutRules(**parsed)


def _breakouts_over(current: BreakoutRules | None, value: Any, path: str) -> BreakoutRules:
    """An override may change some breakout rules and keep the rest of the format's."""
    base = {} if current is None else {name: getattr(current, name) for name in _BREAKOUT_FIELDS}
    if not isinstance(value, Mapping):
        raise FormatError(path, "must be an object")
    return _breakouts({**base, **value}, path)


def _ai_companion(value: Any, path: str) -> AiCompanion:
    return AiCompanion(**_table(value, path, {name: _boolean for name in AiCompanion.__dataclass_fields__},
                                required=()))


def _poll(value: Any, path: str) -> Poll:
    parsed = _table(value, path, {"title": _text(64), "question": _text(255),
                                  "answers": _list_of(_text(200), max_items=10, min_items=2)},
                    required=("title", "question", "answers"))
    return Poll(**parsed)


def _pre_reading_item(value: Any, path: str) -> PreReading:
    return PreReading(**_table(value, path, {"title": _text(200), "url": _url}, required=("title", "url")))


_FIELDS: dict[str, Parser] = {
    "name": _text(100),
    "description": _text(2000, allow_empty=True),
    "duration_minutes": _integer(15, 600),
    "paid": _boolean,
    "max_people": _integer(2, 1000),
    "links_lead_days": _integer(1, 30),
    "reminder": _choice(REMINDERS),
    "reminder_time": _time_of_day,
    "agenda": _list_of(_agenda_block, max_items=30),
    "breakouts": _breakouts,
    "poll": _poll,
    "pre_reading": _list_of(_pre_reading_item, max_items=20),
    "captioner_email": _email,
    "breakout_captions": _choice(BREAKOUT_CAPTIONS),
    "ai_companion": _ai_companion,
    "pay_rate_pence_per_hour": _integer(0, 100_000),
    "repeats": _choice(REPEATS),
    "default_weekday": _choice(WEEKDAYS),
    "separate_halves": _boolean,
}
_DEFAULTABLE = ("links_lead_days", "reminder", "reminder_time", "max_people")


@dataclass(frozen=True)
class Formats:
    """Every format by kind (`cuppa`, `co-production`, ...)."""

    by_kind: dict[str, SessionFormat] = field(default_factory=dict)

    def get(self, kind: str) -> SessionFormat | None:
        return self.by_kind.get(kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.by_kind)


def parse_formats(data: Mapping[str, Any]) -> Formats:
    """Build formats from parsed TOML; FormatError names the first wrong field."""
    for key in data:
        if key not in ("defaults", "formats"):
            raise FormatError(key, "is not a known section (known: defaults, formats)")
    defaults = _table(data.get("defaults", {}), "defaults", {k: _FIELDS[k] for k in _DEFAULTABLE}, required=())
    defaults = {"links_lead_days": 3, "reminder": "morning", "reminder_time": time(8, 0), "max_people": 40,
                **defaults}
    raw_formats = data.get("formats", {})
    if not isinstance(raw_formats, Mapping) or not raw_formats:
        raise FormatError("formats", "must define at least one format")
    by_kind: dict[str, SessionFormat] = {}
    for kind, raw in raw_formats.items():
        path = f"formats.{kind}"
        parsed = _table(raw, path, _FIELDS, required=("name", "duration_minutes", "paid"),
                        defaults={"description": "", **defaults})
        if parsed.get("repeats") and not parsed.get("default_weekday"):
            raise FormatError(f"{path}.default_weekday", "is required when the format repeats")
        if parsed.get("pay_rate_pence_per_hour") is not None and not parsed["paid"]:
            raise FormatError(f"{path}.pay_rate_pence_per_hour", "only applies to paid formats")
        fmt = SessionFormat(kind=kind, **parsed)
        fmt.check(path)
        by_kind[kind] = fmt
    return Formats(by_kind)


def formats_path() -> Path:
    return Path(os.environ.get("ZOOMBRIDGE_CONFIG_DIR", DEFAULT_CONFIG_DIR)) / "formats.toml"


_cache: dict[tuple[str, float], Formats] = {}


def load_formats(path: Path | None = None) -> Formats:
    """The formats file, read again only when it changes (staff edit it between sessions)."""
    path = path or formats_path()
    key = (str(path), path.stat().st_mtime)
    found = _cache.get(key)
    if found is None:
        with path.open("rb") as fh:
            found = parse_formats(tomllib.load(fh))
        _cache.clear()
        _cache[key] = found
    return found
