"""When things happen: series dates, when links go out, when the reminder goes out.

Staff think in Europe/London wall-clock time ("first Tuesday, 10:30"); the database and Zoom's
`start_time` with a `Z` are UTC. Everything here takes and returns aware UTC datetimes, and does
the local arithmetic in the organisation's time zone so that a 10:30 session stays at 10:30
across the clocks changing (a series from January to June crosses the end of March).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from zoombridge.planning.formats import WEEKDAYS

LONDON = "Europe/London"
# A reminder later than this before the start is no use to someone who needs to get ready.
REMINDER_MIN_NOTICE = timedelta(hours=1)
MAX_SERIES = 50  # Zoom's recurrence reference allows 1-50 occurrences (the spec says 60; stay inside both)


class ScheduleError(ValueError):
    """A time that cannot be used; the message says why in staff's terms."""


def weekday_number(name: str) -> int:
    """Monday is 0, as in `date.weekday()`."""
    try:
        return WEEKDAYS.index(name.strip().lower())
    except (ValueError, AttributeError):
        raise ScheduleError(f"{name!r} is not a day of the week") from None


def zoom_weekday(name: str) -> int:
    """Zoom's `monthly_week_day`: 1 is Sunday, 2 Monday ... 7 Saturday."""
    return (weekday_number(name) + 1) % 7 + 1


def first_weekday_of_month(year: int, month: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def to_utc(local: datetime, tz: str = LONDON) -> datetime:
    """A wall-clock time in `tz` as aware UTC; refuses times the clocks skip over.

    An aware input is simply converted. For the hour that happens twice in autumn the first
    one (British Summer Time) is taken, as Zoom and calendar apps do.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    zone = ZoneInfo(tz)
    aware = local.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise ScheduleError(f"{local:%Y-%m-%d %H:%M} does not exist in {tz}: the clocks go forward then")
    return aware.astimezone(UTC)


def to_local(moment: datetime, tz: str = LONDON) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _add_local_days(moment: datetime, days: int, tz: str) -> datetime:
    """The same wall-clock time `days` later (negative: earlier), whatever the clocks did."""
    local = to_local(moment, tz).replace(tzinfo=None) + timedelta(days=days)
    return to_utc(local, tz) if _exists(local, tz) else to_utc(local + timedelta(hours=1), tz)


def _exists(local: datetime, tz: str) -> bool:
    try:
        to_utc(local, tz)
    except ScheduleError:
        return False
    return True


def monthly_first_weekday_starts(first_start: datetime, weekday: str, count: int, tz: str = LONDON) -> list[datetime]:
    """Start times (UTC) of a series on the first <weekday> of `count` months from `first_start`.

    `first_start` is wall-clock time in `tz` (naive) and must itself be such a day, because
    Zoom's recurring meeting starts on it; the error suggests the right date otherwise.
    """
    if not 2 <= count <= MAX_SERIES:
        raise ScheduleError(f"a series has between 2 and {MAX_SERIES} sessions")
    day = weekday_number(weekday)
    expected = first_weekday_of_month(first_start.year, first_start.month, day)
    if first_start.date() != expected:
        raise ScheduleError(
            f"{first_start:%Y-%m-%d} is not the first {WEEKDAYS[day].capitalize()} of "
            f"{first_start:%B %Y}; did you mean {expected:%Y-%m-%d}?")
    starts = []
    year, month = first_start.year, first_start.month
    for _ in range(count):
        starts.append(to_utc(datetime.combine(first_weekday_of_month(year, month, day), first_start.time()), tz))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def links_due_at(starts_at: datetime, lead_days: int, tz: str = LONDON) -> datetime:
    """Personal links go out `lead_days` before the start, at the same wall-clock time."""
    return _add_local_days(starts_at, -lead_days, tz)


def reminder_due_at(starts_at: datetime, reminder_time: time, tz: str = LONDON) -> datetime:
    """The morning reminder: `reminder_time` on the day, but at least an hour before the start."""
    local_start = to_local(starts_at, tz)
    wanted = datetime.combine(local_start.date(), reminder_time)
    wanted_utc = to_utc(wanted, tz) if _exists(wanted, tz) else to_utc(wanted + timedelta(hours=1), tz)
    return min(wanted_utc, starts_at - REMINDER_MIN_NOTICE)


def day_before(starts_at: datetime, tz: str = LONDON) -> datetime:
    """The same time the day before: when captions are checked again and the captioner is sent the URL."""
    return _add_local_days(starts_at, -1, tz)


def halves(starts_at: datetime, duration_minutes: int) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The two halves of a session people may join separately (the Cuppa's 45 + 45 minutes)."""
    middle = starts_at + timedelta(minutes=duration_minutes // 2)
    return (starts_at, middle), (middle, starts_at + timedelta(minutes=duration_minutes))


def parse_local(value: str, tz: str = LONDON) -> datetime:
    """An API start time: `2027-01-05T10:30` (London wall clock) or with an explicit offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ScheduleError("must be a date and time like 2027-01-05T10:30 (Europe/London)") from None
    return parsed
