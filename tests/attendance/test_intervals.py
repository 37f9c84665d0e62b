from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import minutes_from
from zoombridge.attendance.intervals import clip, intersect, normalise, subtract, total_seconds, union

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


at = minutes_from(T0)


def iv(*pairs):
    return [(at(a), None if b is None else at(b)) for a, b in pairs]


UNION_TABLE = [
    ("adjacent intervals join into one", iv((0, 10), (10, 20)), iv((0, 20))),
    ("overlapping intervals join", iv((0, 15), (10, 20)), iv((0, 20))),
    ("a contained interval adds nothing", iv((0, 30), (5, 10)), iv((0, 30))),
    ("out of order input is sorted", iv((40, 50), (0, 10), (20, 30)), iv((0, 10), (20, 30), (40, 50))),
    ("a duplicate counts once", iv((0, 10), (0, 10)), iv((0, 10))),
    ("zero-length intervals are dropped", iv((5, 5), (0, 1)), iv((0, 1))),
    ("backwards intervals are dropped", iv((10, 5)), []),
    ("separate intervals stay separate", iv((0, 10), (11, 20)), iv((0, 10), (11, 20))),
    ("nothing in, nothing out", [], []),
]


@pytest.mark.parametrize(("case", "given_", "expected"), UNION_TABLE, ids=[c[0] for c in UNION_TABLE])
def test_union(case, given_, expected):
    assert union(given_) == expected


def test_an_open_interval_is_closed_at_the_given_end():
    assert union(iv((0, None), (5, 10)), open_end=at(60)) == iv((0, 60))


def test_an_open_interval_without_an_end_to_close_it_is_dropped():
    assert normalise(iv((0, None), (5, 10))) == iv((5, 10))


def test_an_open_interval_starting_after_the_end_counts_nothing():
    assert union(iv((70, None)), open_end=at(60)) == []


SUBTRACT_TABLE = [
    ("waiting before joining removes nothing", iv((10, 60)), iv((0, 10)), iv((10, 60))),
    ("waiting inside the stay cuts a hole", iv((0, 60)), iv((20, 30)), iv((0, 20), (30, 60))),
    ("waiting covering the stay removes it", iv((10, 20)), iv((0, 30)), []),
    ("waiting overlapping the start trims it", iv((10, 60)), iv((0, 15)), iv((15, 60))),
    ("waiting overlapping the end trims it", iv((0, 60)), iv((50, 70)), iv((0, 50))),
    ("several holes across several stays", iv((0, 20), (30, 60)), iv((5, 10), (15, 35), (59, 61)),
     iv((0, 5), (10, 15), (35, 59))),
    ("nothing to remove", iv((0, 10)), [], iv((0, 10))),
]


@pytest.mark.parametrize(("case", "kept", "removed", "expected"), SUBTRACT_TABLE, ids=[c[0] for c in SUBTRACT_TABLE])
def test_subtract(case, kept, removed, expected):
    assert subtract(kept, removed) == expected


CLIP_TABLE = [
    ("inside the window is kept", iv((10, 20)), iv((10, 20))),
    ("before the window is dropped", iv((-30, -20)), []),
    ("straddling the start is trimmed", iv((-10, 20)), iv((-5, 20))),
    ("straddling the end is trimmed", iv((80, 100)), iv((80, 90))),
    ("touching the end counts nothing", iv((90, 100)), []),
]


@pytest.mark.parametrize(("case", "given_", "expected"), CLIP_TABLE, ids=[c[0] for c in CLIP_TABLE])
def test_clip_to_window(case, given_, expected):
    assert clip(given_, at(-5), at(90)) == expected


def test_total_seconds_rounds_part_seconds_down():
    assert total_seconds([(T0, T0 + timedelta(seconds=59, milliseconds=999))]) == 59
    assert total_seconds(iv((0, 10), (20, 30))) == 1200


def test_intersect_keeps_only_shared_time():
    assert intersect(iv((0, 10), (20, 30)), iv((5, 25))) == iv((5, 10), (20, 25))


# --- properties ----------------------------------------------------------------------------

minutes = st.integers(min_value=-120, max_value=300)
segment = st.tuples(minutes, st.one_of(st.none(), minutes)).map(lambda p: (at(p[0]), None if p[1] is None else at(p[1])))
segments = st.lists(segment, max_size=25)
WINDOW = (at(-10), at(120))


def attended(present, waiting=()):
    return total_seconds(clip(subtract(present, waiting, open_end=WINDOW[1]), *WINDOW))


@given(segments, segments)
def test_attended_time_never_exceeds_the_window(present, waiting):
    assert 0 <= attended(present, waiting) <= (WINDOW[1] - WINDOW[0]).total_seconds()


@given(segments, segment, segments)
def test_adding_a_segment_never_decreases_attended_time(present, extra, waiting):
    assert attended(present + [extra], waiting) >= attended(present, waiting)


@given(segments)
def test_union_is_idempotent(present):
    once = union(present, open_end=at(100))
    assert union(once) == once


@given(segments, segments)
def test_union_is_commutative(a, b):
    assert union(a + b, open_end=at(100)) == union(b + a, open_end=at(100))


@given(segments)
def test_union_is_disjoint_sorted_and_never_touching(present):
    merged = union(present, open_end=at(100))
    assert all(start < end for start, end in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))


@given(segments, segments)
def test_subtracting_and_intersecting_split_the_time_exactly(present, waiting):
    kept = subtract(present, waiting, open_end=at(100))
    cut = intersect(present, waiting, open_end=at(100))
    assert total_seconds(kept) + total_seconds(cut) == total_seconds(union(present, open_end=at(100)))
