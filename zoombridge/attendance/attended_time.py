"""Attended time for one person at one session (or one occurrence of a series): pure.

Attended time = union of main-room and breakout-room segments (across all of a person's devices
and rejoins) minus waiting-room time, clipped to the session window: the scheduled start minus a
grace period, to the actual end. Segments still open are closed at the actual end.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zoombridge.attendance import intervals

PRESENT = ("main", "breakout")
WAITING = "waiting"


@dataclass(frozen=True)
class Segment:
    """A stretch in one place, as the attendance calculation sees it (`left_at` None = still there)."""

    place: str
    joined_at: datetime
    left_at: datetime | None
    source: str = "webhook"
    id: int | None = None


@dataclass(frozen=True)
class Window:
    """When attendance counts, and how long the session was meant to be."""

    start: datetime
    end: datetime
    scheduled_seconds: int

    @classmethod
    def for_session(cls, scheduled_start: datetime, duration_minutes: int, grace_minutes: int,
                    actual_end: datetime | None) -> Window:
        """Scheduled start − grace .. actual end (the scheduled end while the meeting has not ended)."""
        scheduled_end = scheduled_start + timedelta(minutes=duration_minutes)
        end = actual_end or scheduled_end
        return cls(start=scheduled_start - timedelta(minutes=grace_minutes), end=end,
                   scheduled_seconds=duration_minutes * 60)


@dataclass(frozen=True)
class Attendance:
    """How long a person attended, from which segments and sources."""

    seconds: int
    intervals: list[intervals.Interval] = field(default_factory=list)
    sources: tuple[str, ...] = ()
    segment_ids: tuple[int, ...] = ()

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)


def attended(segments: Iterable[Segment], window: Window) -> Attendance:
    """Attended time for one person; `segments` are all of theirs for this session, any order."""
    present: list[Segment] = []
    waiting: list[intervals.OpenInterval] = []
    for segment in segments:
        if segment.place == WAITING:
            waiting.append((segment.joined_at, segment.left_at))
        elif segment.place in PRESENT:
            present.append(segment)
    kept = intervals.subtract([(s.joined_at, s.left_at) for s in present], waiting, open_end=window.end)
    counted = intervals.clip(kept, window.start, window.end)
    if not counted:
        return Attendance(seconds=0)
    starts = [start for start, _ in counted]
    sources: set[str] = set()
    used: list[int] = []
    for segment in present:
        if _overlaps(counted, starts, segment.joined_at, segment.left_at or window.end):
            sources.add(segment.source)
            if segment.id is not None:
                used.append(segment.id)
    return Attendance(seconds=intervals.total_seconds(counted), intervals=counted,
                      sources=tuple(sorted(sources)), segment_ids=tuple(sorted(used)))


def _overlaps(counted: list[intervals.Interval], starts: list[datetime], start: datetime, end: datetime) -> bool:
    """Does `[start, end)` share any time with the sorted, disjoint `counted` intervals?"""
    i = bisect_right(starts, start) - 1
    for j in (i, i + 1):
        if 0 <= j < len(counted) and counted[j][0] < end and start < counted[j][1]:
            return True
    return False
