"""Attended time for one person at one session (or one occurrence of a series): pure.

Attended time = union of main-room and breakout-room segments (across all of a person's devices
and rejoins) minus waiting-room time, clipped to the session window: the scheduled start minus a
grace period, to the actual end. Segments still open are closed at the actual end.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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


def _present_and_kept(segments: Iterable[Segment], open_end: datetime) -> tuple[list[Segment], list[intervals.Interval]]:
    """The segments in the meeting (main room, breakout rooms), and their union less waiting-room
    time, stays not yet over closed at `open_end`."""
    present: list[Segment] = []
    waiting: list[intervals.OpenInterval] = []
    for segment in segments:
        if segment.place == WAITING:
            waiting.append((segment.joined_at, segment.left_at))
        elif segment.place in PRESENT:
            present.append(segment)
    return present, intervals.subtract([(s.joined_at, s.left_at) for s in present], waiting, open_end=open_end)


def attended(segments: Iterable[Segment], window: Window) -> Attendance:
    """Attended time for one person; `segments` are all of theirs for this session, any order."""
    present, kept = _present_and_kept(segments, window.end)
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


# --- what is kept per person between reads ---------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_OPEN = datetime(9999, 12, 31, tzinfo=UTC)  # an end that has not come yet, while subtracting


def _us(at: datetime) -> int:
    return (at - _EPOCH) // _US


def _at(us: int) -> datetime:
    return _EPOCH + us * _US


@dataclass(frozen=True)
class PresentTime:
    """A person's time present, before any session window is applied: the union of their main-
    room and breakout segments less their waiting-room time, stays not yet over left open
    (`None`), in microseconds since 1970. Kept per person (`attendance_summaries`) so that a read
    applies the window to a few numbers instead of recomputing the union from every segment.

    `attendance(window)` gives the seconds and sources `attended()` gives for the same segments
    and window (a property test holds them equal). When the present segments come from more than
    one source, each one's span is kept too, so the sources are found exactly as `attended()`
    finds them.
    """

    kept: tuple[tuple[int, int | None], ...] = ()
    sources: tuple[str, ...] = ()
    spans: tuple[tuple[str, int, int | None], ...] = ()

    @classmethod
    def of(cls, segments: Iterable[Segment]) -> PresentTime:
        present, kept = _present_and_kept(segments, _OPEN)
        sources = tuple(sorted({s.source for s in present}))
        spans = tuple((s.source, _us(s.joined_at), None if s.left_at is None else _us(s.left_at))
                      for s in present) if len(sources) > 1 else ()
        return cls(kept=tuple((_us(start), None if end == _OPEN else _us(end)) for start, end in kept),
                   sources=sources, spans=spans)

    def attendance(self, window: Window) -> Attendance:
        """Attended time in `window` (segment ids are not kept: `attended()` gives those)."""
        start, end = _us(window.start), _us(window.end)
        counted = []
        for kept_start, kept_end in self.kept:
            clipped_start, clipped_end = max(kept_start, start), min(end if kept_end is None else kept_end, end)
            if clipped_end > clipped_start:
                counted.append((clipped_start, clipped_end))
        if not counted:
            return Attendance(seconds=0)
        if len(self.sources) > 1:
            as_times = [(_at(a), _at(b)) for a, b in counted]
            starts = [a for a, _ in as_times]
            sources = tuple(sorted({source for source, a, b in self.spans
                                    if _overlaps(as_times, starts, _at(a), window.end if b is None else _at(b))}))
        else:
            sources = self.sources
        return Attendance(seconds=sum(b - a for a, b in counted) // 1_000_000,
                          intervals=[(_at(a), _at(b)) for a, b in counted], sources=sources)

    def as_json(self) -> dict:
        return {"kept": [list(k) for k in self.kept], "sources": list(self.sources),
                "spans": [list(s) for s in self.spans]}

    @classmethod
    def from_json(cls, doc: dict) -> PresentTime:
        return cls(kept=tuple((a, b) for a, b in doc.get("kept", ())), sources=tuple(doc.get("sources", ())),
                   spans=tuple((src, a, b) for src, a, b in doc.get("spans", ())))
