"""Reconciling the webhook record with Zoom's participant report: pure.

The rule (also in the README):

1. The webhook record is the primary evidence: it was seen live, to the millisecond, and it has
   breakout and waiting-room detail the report lacks. Nothing is taken away from it, except:
2. A webhook segment whose end is unknown (no `participant_left` arrived, or the ingest job
   closed it at the meeting's end) is *bounded* by the report: when a report row for the same
   participant starts within the tolerance of it and ends earlier (by more than the tolerance),
   the report's leave time is used. A lost `participant_left` does not pay someone until the end.
3. Report time the webhook record does not cover, in pieces longer than the tolerance, is added
   as segments with `source="report"`. A lost `participant_joined` (or a person the webhooks
   missed entirely) does not cost anyone their time.
4. Webhook time the report does not show (longer than the tolerance) is kept, and recorded.

Every use of rules 2-4 is a `Difference`, stored and shown to staff. Report rows with status
`in_waiting_room` are dropped before any of this. Rerunning on the same inputs gives the same
answer, so the job that applies it is safe to run twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from zoombridge.attendance import intervals

DEFAULT_TOLERANCE = timedelta(seconds=60)
UNKNOWN_END = ("meeting_ended",)  # `closed_by` values that mean "we never saw them leave"


@dataclass(frozen=True)
class ReportRow:
    """One row of `GET /report/meetings/{uuid}/participants`: one join-to-leave stretch."""

    joined_at: datetime
    left_at: datetime
    place: str  # main | breakout (bo_mtg_id set)
    registrant_id: str | None = None
    email: str | None = None
    zoom_user_id: str | None = None  # the per-meeting participant id ("user_id")
    name: str = ""


@dataclass(frozen=True)
class WebhookSegment:
    """A main-room or breakout segment from the webhook record, as stored."""

    id: int
    place: str
    joined_at: datetime
    left_at: datetime | None
    closed_by: str | None = None

    @property
    def end_is_known(self) -> bool:
        return self.left_at is not None and self.closed_by not in UNKNOWN_END


@dataclass(frozen=True)
class Difference:
    """Where the two sources disagree, and what was done about it."""

    kind: str  # left_time_from_report | missing_from_webhook | missing_from_report
    starts_at: datetime
    ends_at: datetime | None
    seconds: int
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Addition:
    place: str
    joined_at: datetime
    left_at: datetime


@dataclass(frozen=True)
class ParticipantReconciliation:
    report_left_at: dict[int, datetime]  # webhook segment id -> leave time taken from the report
    additions: list[Addition]
    differences: list[Difference]


def parse_time(value: str | None) -> datetime | None:
    """Zoom's report times: ISO 8601 in UTC with a trailing Z."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def report_rows(raw_rows: Iterable[dict]) -> list[ReportRow]:
    """Typed rows from the report: waiting-room rows and rows without usable times are dropped."""
    rows: list[ReportRow] = []
    for raw in raw_rows:
        if raw.get("status") == "in_waiting_room":
            continue
        joined, left = parse_time(raw.get("join_time")), parse_time(raw.get("leave_time"))
        if joined is None or left is None or left <= joined:
            continue
        email = (raw.get("user_email") or "").strip().lower() or None
        rows.append(ReportRow(
            joined_at=joined, left_at=left, place="breakout" if raw.get("bo_mtg_id") else "main",
            registrant_id=raw.get("registrant_id") or None, email=email,
            zoom_user_id=str(raw["user_id"]) if raw.get("user_id") not in (None, "") else None,
            name=raw.get("name") or "",
        ))
    return rows


def reconcile_participant(webhook: Iterable[WebhookSegment], report: Iterable[ReportRow],
                          meeting_end: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
                          ) -> ParticipantReconciliation:
    """Apply rules 2-4 to one participant's webhook segments and report rows."""
    segments = sorted(webhook, key=lambda s: (s.joined_at, s.id))
    rows = sorted(report, key=lambda r: (r.joined_at, r.left_at))
    differences: list[Difference] = []

    report_left_at: dict[int, datetime] = {}
    for segment in segments:
        if segment.end_is_known:
            continue
        assumed_end = segment.left_at or meeting_end
        near = [r for r in rows if abs(r.joined_at - segment.joined_at) <= tolerance]
        if not near:
            continue
        row = min(near, key=lambda r: abs(r.joined_at - segment.joined_at))
        if row.left_at < assumed_end - tolerance:
            report_left_at[segment.id] = row.left_at
            differences.append(Difference(
                kind="left_time_from_report", starts_at=row.left_at, ends_at=assumed_end,
                seconds=int((assumed_end - row.left_at).total_seconds()),
                details={"segment_id": segment.id, "webhook_left_at": _iso(segment.left_at),
                         "report_left_at": _iso(row.left_at)}))

    covered = intervals.union(
        [(s.joined_at, report_left_at.get(s.id, s.left_at)) for s in segments], open_end=meeting_end)
    additions: list[Addition] = []
    for row in rows:
        for start, end in intervals.subtract([(row.joined_at, row.left_at)], covered):
            if end - start > tolerance:
                additions.append(Addition(place=row.place, joined_at=start, left_at=end))
                differences.append(Difference(
                    kind="missing_from_webhook", starts_at=start, ends_at=end,
                    seconds=int((end - start).total_seconds()), details={"place": row.place}))
                covered = intervals.union(covered + [(start, end)])

    if rows or segments:
        reported = [(r.joined_at, r.left_at) for r in rows]
        webhook_only = intervals.subtract(
            [(s.joined_at, report_left_at.get(s.id, s.left_at)) for s in segments], reported,
            open_end=meeting_end)
        for start, end in webhook_only:
            if end - start > tolerance:
                differences.append(Difference(
                    kind="missing_from_report", starts_at=start, ends_at=end,
                    seconds=int((end - start).total_seconds()),
                    details={"report_rows": len(rows)}))
    return ParticipantReconciliation(report_left_at=report_left_at, additions=additions, differences=differences)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
