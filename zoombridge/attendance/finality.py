"""When a session's attendance becomes final, and by when at the latest (pure).

Attendance is final once nothing more can change who attended for how long: Zoom's participant
report has been merged, or reconciliation waited a day for it in vain. Raw copies (webhook
bodies, who-joined details copied from Zoom) are kept only until then plus the retention days
(`zoombridge.store.retention`), and a person cannot be erased while a session of theirs is not
final (`zoombridge.people.service`), so finality must come even when `meeting.ended` does not:
a lost delivery, a Zoom outage, a host who left the meeting running.

- Normally `meeting.ended` starts reconciliation (`workers.jobs.ingest`).
- A session is **overdue for finalising** when its scheduled end plus the grace
  (`meeting_ended_grace_hours`, default 24) has passed and its attendance is still not final;
  the safety sweep then starts reconciliation itself (`workers.jobs.sweep`,
  `workers.jobs.reconcile.reconcile_session`).
- Reconciliation waits for Zoom's report at most `REPORT_WAITS` (about a day), then makes the
  webhook record final. So attendance is final at the latest `grace + REPORT_WAITS` after the
  scheduled end (about 48 hours with the defaults), plus a sweep's interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

# How long reconciliation waits before each new try for Zoom's participant report, which Zoom
# produces minutes to hours after a meeting ends, and never for one with fewer than two people:
# 5 min, 15, 30, 1 h, 2 h, 4 h, 8 h, 8 h; the last try is about a day after the first.
REPORT_WAITS = tuple(timedelta(minutes=m) for m in (5, 15, 30, 60, 120, 240, 480, 480))


def scheduled_end(starts_at: datetime, duration_minutes: int) -> datetime:
    return starts_at + timedelta(minutes=duration_minutes)


def overdue_for_finalising(ends_at: datetime, final_at: datetime | None, now: datetime, grace: timedelta) -> bool:
    """True when a session scheduled to end at `ends_at` is still not final `grace` after it."""
    return final_at is None and now >= ends_at + grace


def longest_wait(grace: timedelta) -> timedelta:
    """The longest from a session's scheduled end until its attendance is final (the sweep starts
    reconciliation after the grace; reconciliation waits for the report at most `REPORT_WAITS`)."""
    return grace + sum(REPORT_WAITS, timedelta())


def final_by(ends_at: datetime, grace: timedelta) -> datetime:
    """When attendance at a session scheduled to end at `ends_at` is final at the latest."""
    return ends_at + longest_wait(grace)


def whole_hours(span: timedelta) -> int:
    """A span in hours rounded up, for people ("at most 48 hours")."""
    return math.ceil(span.total_seconds() / 3600)


def held_instance(starts_at: datetime, instances: Iterable[tuple[str, datetime]], window: timedelta) -> str | None:
    """Which of a Zoom meeting's ended instances (uuid, real start) held the session scheduled at
    `starts_at`: the one that started nearest it, if one started within `window` of it (a
    recurring meeting has one instance per occurrence); None when none did."""
    near = [(abs(started - starts_at), uuid) for uuid, started in instances if abs(started - starts_at) <= window]
    return min(near)[1] if near else None
