"""Interval algebra for attended time: pure, on half-open `[start, end)` datetime intervals.

mod_zoom folds rows with a running envelope that is only right for sorted input and subtracts a
row's reported duration on containment; mod_zoomattendance's merger is cleaner but never ran.
Here each step is one small function with one contract, so rejoins, two devices and breakout
moves neither double count nor split, whatever order the segments arrive in:

    normalise  close open-ended intervals at a given end, drop zero/negative ones, sort
    union      merge overlapping *or adjacent* intervals (idempotent, order-free)
    subtract   remove time spent elsewhere (the waiting room)
    clip       keep only what falls inside a window
    total_seconds

Half-open intervals make "adjacent" exact: leaving the main room at 10:30:00 and arriving in a
breakout room at 10:30:00 is one unbroken stretch, and no instant is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]
OpenInterval = tuple[datetime, datetime | None]


def normalise(intervals: Iterable[OpenInterval], open_end: datetime | None = None) -> list[Interval]:
    """Close open-ended intervals at `open_end`, drop empty or backwards ones, sort by start.

    An interval with no end (a `participant_left` that never came) is closed at `open_end`, the
    end of the meeting; without one it cannot be counted and is dropped.
    """
    closed: list[Interval] = []
    for start, end in intervals:
        if end is None:
            if open_end is None:
                continue
            end = open_end
        if end > start:
            closed.append((start, end))
    closed.sort()
    return closed


def union(intervals: Iterable[OpenInterval], open_end: datetime | None = None) -> list[Interval]:
    """The smallest sorted list of disjoint, non-touching intervals covering the same time."""
    merged: list[Interval] = []
    for start, end in normalise(intervals, open_end):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Iterable[OpenInterval], removed: Iterable[OpenInterval],
             open_end: datetime | None = None) -> list[Interval]:
    """Time in `intervals` that is not in `removed` (a sweep over both unions)."""
    kept: list[Interval] = []
    cuts = union(removed, open_end)
    i = 0
    for start, end in union(intervals, open_end):
        while i < len(cuts) and cuts[i][1] <= start:
            i += 1
        cursor = start
        j = i
        while j < len(cuts) and cuts[j][0] < end:
            cut_start, cut_end = cuts[j]
            if cut_start > cursor:
                kept.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
            j += 1
        if cursor < end:
            kept.append((cursor, end))
    return kept


def clip(intervals: Iterable[OpenInterval], window_start: datetime, window_end: datetime,
         open_end: datetime | None = None) -> list[Interval]:
    """The parts of the union of `intervals` that fall inside `[window_start, window_end)`."""
    clipped: list[Interval] = []
    for start, end in union(intervals, open_end):
        start, end = max(start, window_start), min(end, window_end)
        if end > start:
            clipped.append((start, end))
    return clipped


def total(intervals: Iterable[Interval]) -> timedelta:
    """Summed length; callers pass a union, or overlapping time is counted twice."""
    return sum((end - start for start, end in intervals), timedelta())


def total_seconds(intervals: Iterable[Interval]) -> int:
    """Summed length in whole seconds, rounded down (a part-second is never paid for)."""
    return int(total(intervals).total_seconds())


def intersect(a: Iterable[OpenInterval], b: Iterable[OpenInterval],
              open_end: datetime | None = None) -> list[Interval]:
    """Time that is in both `a` and `b`."""
    left, right = union(a, open_end), union(b, open_end)
    both: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if end > start:
            both.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return both
