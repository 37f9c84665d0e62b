from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zoombridge.planning.schedule import (
    ScheduleError,
    day_before,
    first_weekday_of_month,
    halves,
    links_due_at,
    monthly_first_weekday_starts,
    reminder_due_at,
    to_local,
    to_utc,
    zoom_weekday,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_six_month_cuppa_series_falls_on_first_tuesdays_at_the_same_london_time():
    starts = monthly_first_weekday_starts(datetime(2027, 1, 5, 10, 30), "tuesday", 6)
    assert starts == [
        utc(2027, 1, 5, 10, 30),   # GMT
        utc(2027, 2, 2, 10, 30),
        utc(2027, 3, 2, 10, 30),
        utc(2027, 4, 6, 9, 30),    # BST from 28 March: 10:30 in London is 09:30 UTC
        utc(2027, 5, 4, 9, 30),
        utc(2027, 6, 1, 9, 30),
    ]
    assert {to_local(s).strftime("%A %H:%M") for s in starts} == {"Tuesday 10:30"}


def test_a_series_crosses_the_new_year():
    starts = monthly_first_weekday_starts(datetime(2026, 11, 3, 18, 0), "tuesday", 3)
    assert [s.date().isoformat() for s in starts] == ["2026-11-03", "2026-12-01", "2027-01-05"]


def test_a_series_must_start_on_the_first_weekday_and_says_which_date_was_meant():
    with pytest.raises(ScheduleError, match="did you mean 2027-01-05"):
        monthly_first_weekday_starts(datetime(2027, 1, 12, 10, 30), "tuesday", 6)


@pytest.mark.parametrize("count", [0, 1, 51])
def test_a_series_has_between_two_and_fifty_sessions(count):
    with pytest.raises(ScheduleError):
        monthly_first_weekday_starts(datetime(2027, 1, 5, 10, 30), "tuesday", count)


@pytest.mark.parametrize("year, month, weekday, expected", [
    (2027, 1, 1, "2027-01-05"),   # Tuesday
    (2027, 2, 0, "2027-02-01"),   # Monday, the 1st itself
    (2027, 5, 5, "2027-05-01"),   # Saturday the 1st
    (2027, 5, 4, "2027-05-07"),   # Friday
    (2026, 12, 6, "2026-12-06"),  # Sunday
])
def test_first_weekday_of_month(year, month, weekday, expected):
    assert first_weekday_of_month(year, month, weekday).isoformat() == expected


@pytest.mark.parametrize("name, number", [("sunday", 1), ("monday", 2), ("tuesday", 3), ("saturday", 7)])
def test_zoom_counts_weekdays_from_sunday(name, number):
    assert zoom_weekday(name) == number


@pytest.mark.parametrize("starts_at, lead, expected", [
    (utc(2026, 12, 8, 10, 0), 3, utc(2026, 12, 5, 10, 0)),
    (utc(2027, 3, 30, 9, 0), 3, utc(2027, 3, 27, 10, 0)),    # 10:00 BST after the change, 10:00 GMT before
    (utc(2027, 11, 2, 11, 0), 7, utc(2027, 10, 26, 10, 0)),  # 11:00 GMT; a week earlier it is 11:00 BST
])
def test_links_go_out_lead_days_before_at_the_same_london_time(starts_at, lead, expected):
    got = links_due_at(starts_at, lead)
    assert to_local(got).time() == to_local(starts_at).time()
    assert (starts_at.date() - got.date()).days == lead
    assert got == expected


@pytest.mark.parametrize("starts_at, expected", [
    (utc(2026, 12, 8, 10, 0), utc(2026, 12, 8, 8, 0)),      # GMT: 08:00 London
    (utc(2027, 6, 1, 9, 30), utc(2027, 6, 1, 7, 0)),        # BST: 08:00 London is 07:00 UTC
    (utc(2026, 12, 8, 8, 30), utc(2026, 12, 8, 7, 30)),     # an early start: an hour before instead
    (utc(2026, 12, 8, 18, 0), utc(2026, 12, 8, 8, 0)),      # an evening session: still the morning
])
def test_the_reminder_is_on_the_morning_and_at_least_an_hour_ahead(starts_at, expected):
    assert reminder_due_at(starts_at, time(8, 0)) == expected


def test_the_day_before_keeps_the_wall_clock_time_across_the_clocks_changing():
    starts_at = utc(2027, 3, 29, 9, 30)  # Monday 10:30 BST
    assert to_local(day_before(starts_at)).strftime("%Y-%m-%d %H:%M") == "2027-03-28 10:30"


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ScheduleError, match="clocks go forward"):
        to_utc(datetime(2027, 3, 28, 1, 30))


def test_the_repeated_autumn_hour_is_read_as_summer_time():
    assert to_utc(datetime(2027, 10, 31, 1, 30)) == utc(2027, 10, 31, 0, 30)


def test_halves_split_a_ninety_minute_cuppa_into_two_45_minute_parts():
    first, second = halves(utc(2027, 1, 5, 10, 30), 90)
    assert first == (utc(2027, 1, 5, 10, 30), utc(2027, 1, 5, 11, 15))
    assert second == (utc(2027, 1, 5, 11, 15), utc(2027, 1, 5, 12, 0))


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31)),
       st.integers(min_value=1, max_value=30))
def test_links_always_go_out_before_the_reminder_and_the_start(naive, lead):
    starts_at = naive.replace(tzinfo=UTC)
    assert links_due_at(starts_at, lead) < reminder_due_at(starts_at, time(8, 0)) < starts_at
