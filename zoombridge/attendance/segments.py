"""Participant events made into segments: stretches of time in one place (pure).

A participant's segments are recomputed from all of their events, rather than patched event by
event. That makes the result independent of the order Zoom delivered things in (a `left`
retried an hour late still closes the stay it belongs to, never a later one), and running the
same events twice gives the same segments. Every order below is total (ties are broken by the
events' content), so the result is a function of the set of events alone.

Joins and leaves pair up within one *stream*: one connection (device) in one place. A person
on two devices has two streams, both filed under the same participant; a breakout room is a
stream of its own and does not end the main-room one, so attendance (the union of main and
breakout time, issue 7's interval algebra) neither double counts nor splits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

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
    """A total order on events: the payload time, then `event_ts` (milliseconds) within the same
    second, then arrivals before departures, then the rest of the event, so that the same events
    give the same result whatever order they were delivered in."""
    i = event.identity
    return (event.at, event.event_ts or 0, event.action != OPENS, event.event, i.registrant_id or "", i.email or "",
            i.phone_number or "", i.zoom_user_id or "", i.participant_uuid or "", i.user_id or "", i.name,
            event.room or "", event.parent_user_id or "", event.leave_reason or "")


class Stream(NamedTuple):
    """One connection (device) in one place: the events that pair up with each other."""

    place: str
    room: str | None
    device: str

    @classmethod
    def of(cls, event: ParticipantEvent) -> Stream:
        return cls(event.place, event.room, event.device)

    def sort_key(self) -> tuple:
        return (self.place, self.room or "", self.device)


@dataclass(frozen=True)
class StreamFacts:
    """What one stream's events say, as a whole: who it is (the latest sighting's name first), the
    main-room connection it came from (in a breakout room), and when it was first seen."""

    stream: Stream
    identity: ParticipantIdentity
    parent_user_id: str | None
    first_at: datetime
    first_event_ts: int

    def sighting_order(self) -> tuple:
        return (self.first_at, self.first_event_ts, self.stream.sort_key())


def stream_facts(stream: Stream, events: list[ParticipantEvent]) -> StreamFacts:
    ordered = sorted(events, key=_order)
    identity = ParticipantIdentity()
    for event in reversed(ordered):  # latest sighting's name wins
        identity = identity.merged_with(event.identity)
    parent = next((e.parent_user_id for e in ordered if e.parent_user_id), None)
    return StreamFacts(stream, identity, parent, ordered[0].at, ordered[0].event_ts or 0)


def main_identities(facts: Iterable[StreamFacts]) -> dict[str, ParticipantIdentity]:
    """Main-room identities by `user_id`, for filing breakout connections (later sightings win)."""
    mains: dict[str, ParticipantIdentity] = {}
    for f in sorted(facts, key=StreamFacts.sighting_order):
        if f.stream.place == MAIN and f.identity.user_id:
            mains[f.identity.user_id] = f.identity.merged_with(mains.get(f.identity.user_id, ParticipantIdentity()))
    return mains


def filed_identity(facts: StreamFacts, mains: dict[str, ParticipantIdentity]) -> ParticipantIdentity:
    """The identity a stream is filed under. In a breakout room Zoom gives the participant another
    `user_id` and often no email or registrant id; `parent_user_id` points back at their main-room
    connection, whose identity comes first, so a guest's breakout stay is filed with their main-room
    stay even though neither has a registrant id or an email."""
    if facts.stream.place == BREAKOUT and facts.parent_user_id in mains:
        return mains[facts.parent_user_id].merged_with(facts.identity)
    return facts.identity


def timeline(key: str, members: list[tuple[StreamFacts, ParticipantIdentity, list[ParticipantEvent]]],
             ended_at: datetime | None) -> tuple[ParticipantTimeline, int]:
    """One participant: every stream filed under `key` (facts, filed identity, events), paired.

    Returns the timeline and how many leaves had no arrival."""
    result: ParticipantTimeline | None = None
    orphans = 0
    for facts, identity, events in sorted(members, key=lambda m: m[0].sighting_order()):
        if result is None:
            result = ParticipantTimeline(key, identity)
        elif facts.stream.place == MAIN:
            result.identity = identity.merged_with(result.identity)
        else:
            result.identity = result.identity.merged_with(identity)
        segments, lost = _pair(events, ended_at)
        result.segments.extend(segments)
        orphans += lost
    assert result is not None, "a timeline needs at least one stream"
    result.segments.sort(key=lambda s: (s.joined_at, s.place, s.room or "", s.left_at is None, s.left_at or s.joined_at))
    return result, orphans


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

    Returns the timelines with segments (sorted by key) and the number of leaves that had no
    arrival. This is the whole-meeting computation; the ingest job applies the same steps to the
    participants a batch of events touches (`ingest.py`), and a property test holds the two equal.
    """
    by_stream: dict[Stream, list[ParticipantEvent]] = defaultdict(list)
    for event in events:
        by_stream[Stream.of(event)].append(event)
    facts = [stream_facts(stream, stream_events) for stream, stream_events in by_stream.items()]
    mains = main_identities(facts)
    by_key: dict[str, list] = defaultdict(list)
    for f in facts:
        identity = filed_identity(f, mains)
        by_key[participant_key(identity)].append((f, identity, by_stream[f.stream]))
    result, orphans = [], 0
    for key in sorted(by_key):
        found, lost = timeline(key, by_key[key], ended_at)
        orphans += lost
        if found.segments:
            result.append(found)
    return result, orphans
