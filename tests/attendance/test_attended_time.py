import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import minutes_from
from zoombridge.attendance.attended_time import PresentTime, Segment, Window, attended

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window.for_session(START, duration_minutes=120, grace_minutes=10, actual_end=START + timedelta(minutes=125))


at = minutes_from(START)


def seg(place, a, b, source="webhook", id=None):
    return Segment(place=place, joined_at=at(a), left_at=at(b), source=source, id=id)


CASES = [
    ("one stay in the main room", [seg("main", 0, 60)], 60),
    ("a rejoin does not double count", [seg("main", 0, 60), seg("main", 60, 90)], 90),
    ("two devices at once count once", [seg("main", 0, 60), seg("main", 5, 70)], 70),
    ("a breakout move neither doubles nor splits",
     [seg("main", 0, 120), seg("breakout", 20, 50), seg("breakout", 50, 80)], 120),
    ("breakout time while the main segment was closed counts",
     [seg("main", 0, 20), seg("breakout", 20, 50), seg("main", 50, 120)], 120),
    ("waiting room time is taken off", [seg("waiting", 0, 15), seg("main", 0, 60)], 45),
    ("joining long before the grace period counts from the window start", [seg("main", -60, 30)], 40),
    ("time after the actual end does not count", [seg("main", 100, 200)], 25),
    ("a segment still open is closed at the actual end", [seg("main", 60, None)], 65),
    ("only waiting counts nothing", [seg("waiting", 0, 60)], 0),
    ("nothing counts nothing", [], 0),
]


@pytest.mark.parametrize(("case", "segments", "minutes"), CASES, ids=[c[0] for c in CASES])
def test_attended_minutes(case, segments, minutes):
    assert attended(segments, WINDOW).seconds == minutes * 60


def test_the_window_runs_from_scheduled_start_minus_grace_to_the_actual_end():
    assert WINDOW.start == at(-10)
    assert WINDOW.end == at(125)
    assert WINDOW.scheduled_seconds == 7200


def test_without_an_actual_end_the_window_ends_at_the_scheduled_end():
    assert Window.for_session(START, 90, 5, None).end == at(90)


def test_attendance_names_the_sources_and_segments_that_counted():
    result = attended([seg("main", 0, 30, id=1), seg("main", 40, 50, source="report", id=2),
                       seg("main", 200, 210, id=3), seg("waiting", -5, 0, id=4)], WINDOW)
    assert result.sources == ("report", "webhook")
    assert result.segment_ids == (1, 2)
    assert result.minutes == 40.0


# --- the per-person summary the reads use gives the same answer --------------------------------

SUMMARY_SEGMENTS = st.lists(st.builds(
    lambda place, a, length, open_, source: seg(place, a, None if open_ else a + length, source),
    st.sampled_from(["main", "breakout", "waiting", "elsewhere"]), st.integers(-90, 200),
    st.integers(-5, 120) | st.floats(0, 60).map(lambda m: round(m, 4)), st.booleans(),
    st.sampled_from(["webhook", "report"])), max_size=8)
WINDOWS = st.builds(lambda start, minutes, grace, end: Window.for_session(
    START + timedelta(minutes=start), minutes, grace, None if end is None else START + timedelta(minutes=end)),
    st.integers(-60, 60), st.integers(1, 180), st.integers(0, 30), st.none() | st.integers(-30, 250))


@given(SUMMARY_SEGMENTS, WINDOWS)
def test_present_time_kept_per_person_gives_what_attended_gives_for_any_window(segments, window):
    kept = PresentTime.from_json(json.loads(json.dumps(PresentTime.of(segments).as_json())))
    summary, direct = kept.attendance(window), attended(segments, window)
    assert (summary.seconds, summary.sources, summary.intervals) == (direct.seconds, direct.sources, direct.intervals)


def test_a_stay_still_open_counts_to_whatever_end_the_window_has_when_it_is_read():
    kept = PresentTime.of([seg("main", 0, None), seg("waiting", 0, 5)])
    before_the_end = Window.for_session(START, 120, 10, None)
    after_it_ended = Window.for_session(START, 120, 10, START + timedelta(minutes=90))
    assert (kept.attendance(before_the_end).seconds, kept.attendance(after_it_ended).seconds) == (115 * 60, 85 * 60)
