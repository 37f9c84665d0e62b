"""Participant events made into segments: stretches of time in one place (pure).

The segments of a meeting instance are recomputed from all of its events every time, rather
than patched event by event. That makes the result independent of the order Zoom delivered
things in (a `left` retried an hour late still closes the stay it belongs to, never a later
one), and running the same events twice gives the same segments.

Joins and leaves pair up within one *stream*: one connection (device) in one place. A person
on two devices has two streams, both filed under the same participant; a breakout room is a
stream of its own and does not end the main-room one, so attendance (the union of main and
breakout time, issue 7's interval algebra) neither double counts nor splits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from zoombridge.attendance.identity import participant_key
from zoombridge.zoom.webhooks import BREAKOUT, MAIN, OPENS, ParticipantEvent, ParticipantIdentity

LEFT, ADMITTED, REJOINED, MEETING_ENDED = "left", "admitted", "rejoined", "meeting_ended"


@dataclass(frozen=True)
class Segment:
    place: str
    room: str | None
    joined_at: datetime
    left_at: datetime | None  # None: still there
    closed_by: str | None


@dataclass
class ParticipantTimeline:
    key: str
    identity: ParticipantIdentity
    segments: list[Segment] = field(default_factory=list)


def _order(event: ParticipantEvent) -> tuple:
    # The payload time first; `event_ts` (milliseconds) orders events within the same second.
    return (event.at, event.event_ts or 0)


def _pair(events: list[ParticipantEvent], ended_at: datetime | None) -> tuple[list[Segment], int]:
    """Pair one stream's opens and closes; returns the segments and how many closes had no open."""
    segments: list[Segment] = []
    orphans = 0
    opened: ParticipantEvent | None = None
    for event in sorted(events, key=_order):
        if event.action == OPENS:
            if opened is not None:
                if event.at == opened.at:
                    continue  # the same arrival again
                # A second arrival on the same connection: its leave was lost or is still on its way
                # (a retry replaces this guess when it comes).
                segments.append(Segment(event.place, event.room, opened.at, event.at, REJOINED))
            opened = event
        else:
            if opened is None:
                if segments and segments[-1].left_at == event.at:
                    continue  # the same leave again
                orphans += 1  # its arrival has not come (yet); reconciliation covers it if it never does
                continue
            closed_by = ADMITTED if event.event == "meeting.participant_admitted" else LEFT
            segments.append(Segment(event.place, event.room, opened.at, event.at, closed_by))
            opened = None
    if opened is not None:
        if ended_at is not None:
            segments.append(Segment(opened.place, opened.room, opened.at, max(ended_at, opened.at), MEETING_ENDED))
        else:
            segments.append(Segment(opened.place, opened.room, opened.at, None, None))
    return segments, orphans


def timelines(events: list[ParticipantEvent], ended_at: datetime | None = None
              ) -> tuple[list[ParticipantTimeline], int]:
    """Every participant's segments for one meeting instance, closing what is open at `ended_at`.

    Returns the timelines (sorted by key) and the number of leaves that had no arrival.
    """
    streams: dict[tuple, list[ParticipantEvent]] = defaultdict(list)
    for event in events:
        streams[(event.place, event.room, event.device)].append(event)

    identities: dict[tuple, ParticipantIdentity] = {}
    for stream, stream_events in streams.items():
        identity = ParticipantIdentity()
        for event in reversed(sorted(stream_events, key=_order)):  # latest sighting's name wins
            identity = identity.merged_with(event.identity)
        identities[stream] = identity

    # In a breakout room Zoom gives the participant another `user_id` and often no email or
    # registrant id; `parent_user_id` points back at their main-room connection.
    main_by_user: dict[str, ParticipantIdentity] = {}
    for (place, _room, _device), identity in identities.items():
        if place == MAIN and identity.user_id:
            main_by_user[identity.user_id] = identity.merged_with(main_by_user.get(identity.user_id,
                                                                                    ParticipantIdentity()))
    for stream, stream_events in streams.items():
        if stream[0] == BREAKOUT:
            parent = next((e.parent_user_id for e in stream_events if e.parent_user_id), None)
            if parent and parent in main_by_user:
                # The main-room identity first, so a guest's breakout stay is filed with their
                # main-room stay even though neither has a registrant id or an email.
                identities[stream] = main_by_user[parent].merged_with(identities[stream])

    by_key: dict[str, ParticipantTimeline] = {}
    orphans = 0
    for stream, stream_events in streams.items():
        identity = identities[stream]
        key = participant_key(identity)
        timeline = by_key.get(key)
        if timeline is None:
            timeline = by_key[key] = ParticipantTimeline(key, identity)
        elif stream[0] == MAIN:
            timeline.identity = identity.merged_with(timeline.identity)
        else:
            timeline.identity = timeline.identity.merged_with(identity)
        segments, lost = _pair(stream_events, ended_at)
        timeline.segments.extend(segments)
        orphans += lost
    result = sorted(by_key.values(), key=lambda t: t.key)
    for timeline in result:
        timeline.segments.sort(key=lambda s: (s.joined_at, s.place, s.room or ""))
    return [t for t in result if t.segments], orphans
