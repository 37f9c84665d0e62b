"""Occurrence dates of a recurring Zoom meeting (type 8), as Zoom computes them.

Pure: a start time, a timezone and Zoom's `recurrence` object in; occurrence start times (UTC)
out. The wall-clock time is kept in the meeting's timezone, so the first Tuesday at 10:00 in
London is 10:00 GMT in January and 09:00 UTC in July.

`monthly_week_day` counts 1 = Sunday ... 7 = Saturday; `monthly_week` is 1..4 or -1 (last).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

MAX_OCCURRENCES = 60  # the spec's maximum for end_times
DEFAULT_END_TIMES = 7  # Zoom's default when neither end_times nor end_date_time is given


def _zoom_weekday_to_python(day: int) -> int:
    return (day - 2) % 7  # Zoom 1=Sunday..7=Saturday -> Python 0=Monday..6=Sunday


def nth_weekday(year: int, month: int, week: int, weekday: int) -> date | None:
    """The `week`-th (or last, for -1) `weekday` (Python numbering) of a month."""
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() == weekday]
    if week == -1:
        return date(year, month, days[-1])
    return date(year, month, days[week - 1]) if 1 <= week <= len(days) else None


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _candidate_days(first: date, recurrence: dict):
    """Local dates on or after `first` in the order Zoom repeats them (unbounded)."""
    kind = recurrence.get("type")
    interval = max(1, int(recurrence.get("repeat_interval") or 1))
    if kind == 1:
        day = first
        while True:
            yield day
            day += timedelta(days=interval)
    elif kind == 2:
        weekdays = sorted(_zoom_weekday_to_python(int(d)) for d in str(recurrence.get("weekly_days", "")).split(",")
                          if d.strip())
        if not weekdays:
            raise ValueError("a weekly recurrence needs weekly_days")
        week_start = first - timedelta(days=first.weekday())
        while True:
            for weekday in weekdays:
                day = week_start + timedelta(days=weekday)
                if day >= first:
                    yield day
            week_start += timedelta(weeks=interval)
    elif kind == 3:
        year, month = first.year, first.month
        while True:
            if "monthly_day" in recurrence:
                last = calendar.monthrange(year, month)[1]
                day = date(year, month, min(int(recurrence["monthly_day"]), last))
            else:
                day = nth_weekday(year, month, int(recurrence["monthly_week"]),
                                  _zoom_weekday_to_python(int(recurrence["monthly_week_day"])))
            if day is not None and day >= first:
                yield day
            year, month = _add_months(year, month, interval)
    else:
        raise ValueError(f"unknown recurrence type {kind!r}")


def occurrence_starts(start: datetime, timezone: str, recurrence: dict) -> list[datetime]:
    """UTC start times of every occurrence. `start` is aware, or naive local time in `timezone`."""
    zone = ZoneInfo(timezone)
    local_start = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
    wall = time(local_start.hour, local_start.minute, local_start.second)
    end_times = recurrence.get("end_times")
    end_at = recurrence.get("end_date_time")
    end_at = datetime.fromisoformat(end_at) if isinstance(end_at, str) else None
    limit = min(int(end_times), MAX_OCCURRENCES) if end_times else (MAX_OCCURRENCES if end_at else DEFAULT_END_TIMES)
    starts: list[datetime] = []
    for day in islice(_candidate_days(local_start.date(), recurrence), 100 * MAX_OCCURRENCES):
        when = datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
        if end_at is not None and when > end_at:
            break
        starts.append(when)
        if len(starts) >= limit:
            break
    return starts
