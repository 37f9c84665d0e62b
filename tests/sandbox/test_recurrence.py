"""Occurrence dates of recurring meetings, in the meeting's timezone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zoombridge.sandbox.recurrence import nth_weekday, occurrence_starts

FIRST_TUESDAY = {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3}


def test_first_tuesday_of_each_month_keeps_london_wall_time_across_summer_time():
    starts = occurrence_starts(datetime(2027, 1, 5, 10, 0), "Europe/London", {**FIRST_TUESDAY, "end_times": 8})
    assert [s.strftime("%Y-%m-%d %H:%M %a") for s in starts] == [
        "2027-01-05 10:00 Tue", "2027-02-02 10:00 Tue", "2027-03-02 10:00 Tue", "2027-04-06 09:00 Tue",
        "2027-05-04 09:00 Tue", "2027-06-01 09:00 Tue", "2027-07-06 09:00 Tue", "2027-08-03 09:00 Tue"]
    assert all(s.tzinfo is UTC for s in starts)


def test_a_start_after_the_first_tuesday_begins_next_month():
    starts = occurrence_starts(datetime(2027, 1, 6, 10, 0), "Europe/London", {**FIRST_TUESDAY, "end_times": 2})
    assert [s.date().isoformat() for s in starts] == ["2027-02-02", "2027-03-02"]


def test_end_date_time_bounds_the_series():
    starts = occurrence_starts(datetime(2027, 1, 5, 10, tzinfo=UTC), "Europe/London",
                               {**FIRST_TUESDAY, "end_date_time": "2027-04-01T00:00:00Z"})
    assert [s.date().isoformat() for s in starts] == ["2027-01-05", "2027-02-02", "2027-03-02"]


@pytest.mark.parametrize("year, month, week, weekday, expected", [
    (2027, 1, 1, 1, "2027-01-05"),   # first Tuesday
    (2027, 2, -1, 0, "2027-02-22"),  # last Monday
    (2027, 3, 4, 4, "2027-03-26"),   # fourth Friday
    (2027, 2, 5, 0, None),           # no fifth Monday in February 2027
])
def test_nth_weekday_of_a_month(year, month, week, weekday, expected):
    found = nth_weekday(year, month, week, weekday)
    assert (found.isoformat() if found else None) == expected


def test_weekly_and_daily_recurrences():
    weekly = occurrence_starts(datetime(2027, 1, 4, 18), "Europe/London",
                               {"type": 2, "weekly_days": "2,4", "end_times": 4})
    assert [s.strftime("%a %d") for s in weekly] == ["Mon 04", "Wed 06", "Mon 11", "Wed 13"]
    daily = occurrence_starts(datetime(2027, 1, 4, 18), "Europe/London", {"type": 1, "repeat_interval": 2,
                                                                          "end_times": 3})
    assert [s.day for s in daily] == [4, 6, 8]
