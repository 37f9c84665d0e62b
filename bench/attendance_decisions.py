"""A 10,000-participant meeting with 60,000 events: attended time and payment decisions for all.

Each participant has six events (three join/leave pairs: main room, a breakout room, and either a
rejoin, a second device or a waiting-room stretch), in shuffled order. Measured:

- ours: `attended()` (union, minus waiting, clipped) + `decide()` for every participant;
- baseline, same data, same run: plain summation of segment lengths per person (no union, no
  waiting room, no window: wrong, but the least work any approach must do);
- a naive approach for contrast: per person, scan every segment of the meeting for theirs and
  merge pairwise (O(n²) in participants), at sizes small enough to finish.

Sizes 1k and 10k show how each grows.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from zoombridge.attendance.attended_time import Segment, Window, attended
from zoombridge.payments.policy import Claim, decide, load_policy

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WINDOW = Window.for_session(START, 120, 10, START + timedelta(minutes=125))
EVENTS_PER_PARTICIPANT = 6


def meeting(participants: int, seed: int = 7) -> list[tuple[int, Segment]]:
    rng = random.Random(seed)
    segments: list[tuple[int, Segment]] = []

    def at(minutes: float) -> datetime:
        return START + timedelta(seconds=int(minutes * 60))

    for person in range(participants):
        joined = rng.uniform(-15, 20)
        moved = rng.uniform(30, 50)
        back = moved + rng.uniform(20, 35)
        segments.append((person, Segment("main", at(joined), at(back + rng.uniform(0, 40)))))
        segments.append((person, Segment("breakout", at(moved), at(back))))
        third = rng.random()
        if third < 0.4:
            segments.append((person, Segment("main", at(back + 45), None)))  # a rejoin still open at the end
        elif third < 0.7:
            segments.append((person, Segment("main", at(joined + 5), at(joined + 60))))  # a second device
        else:
            segments.append((person, Segment("waiting", at(joined - 5), at(joined + 2))))
    rng.shuffle(segments)
    return segments


def ours(segments, policy) -> int:
    by_person = defaultdict(list)
    for person, segment in segments:
        by_person[person].append(segment)
    paid = 0
    for person, own in by_person.items():
        seconds = attended(own, WINDOW).seconds
        outcome = decide(policy, Claim("co-production", WINDOW.scheduled_seconds, seconds, opted_in=True,
                                       claim_confirmed=True))
        paid += outcome.amount_pence
    return paid


def plain_sum(segments) -> int:
    totals: dict[int, float] = defaultdict(float)
    for person, segment in segments:
        totals[person] += ((segment.left_at or WINDOW.end) - segment.joined_at).total_seconds()
    return len(totals)


def naive(segments) -> int:
    """Per person, find their segments by scanning all of them, then merge pairwise until stable."""
    people = {person for person, _ in segments}
    total = 0
    for person in people:
        own = [[s.joined_at, s.left_at or WINDOW.end] for p, s in segments if p == person and s.place != "waiting"]
        merged = True
        while merged:
            merged = False
            for i in range(len(own)):
                for j in range(i + 1, len(own)):
                    a, b = own[i], own[j]
                    if a[0] <= b[1] and b[0] <= a[1]:
                        own[i] = [min(a[0], b[0]), max(a[1], b[1])]
                        del own[j]
                        merged = True
                        break
                if merged:
                    break
        total += sum(int((b - a).total_seconds()) for a, b in own)
    return total


def timed(func, *args, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func(*args)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    policy = load_policy()
    print(f"{'participants':>12} {'events':>8} {'ours (s)':>10} {'plain sum (s)':>14} {'ratio':>7} {'per person (µs)':>16}")
    for participants in (1_000, 10_000):
        segments = meeting(participants)
        mine, base = timed(ours, segments, policy), timed(plain_sum, segments)
        print(f"{participants:>12,} {participants * EVENTS_PER_PARTICIPANT:>8,} {mine:>10.3f} {base:>14.3f}"
              f" {mine / base:>6.1f}x {mine / participants * 1e6:>16.1f}")
    print()
    print(f"{'participants':>12} {'naive O(n²) scan (s)':>21} {'ours (s)':>10} {'naive / ours':>13}")
    for participants in (500, 1_000, 2_000):
        segments = meeting(participants)
        slow, mine = timed(naive, segments, repeat=1), timed(ours, segments, policy)
        print(f"{participants:>12,} {slow:>21.3f} {mine:>10.3f} {slow / mine:>12.0f}x")


if __name__ == "__main__":
    main()
