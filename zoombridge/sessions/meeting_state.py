"""A session's Zoom meeting, as a lifecycle: the states, and the moves between them (pure).

    none ──create job──▶ creating ──Zoom answered──▶ created ──cancelled──▶ deleted
                           │  ▲                         │
              Zoom refused ▼  │ retry (looks the        │ a series' meeting is looked up
                         failed  meeting up first)      ▼ again for all its sessions
                                                     creating

    created, failed or deleted ──the series' meeting is full (Zoom's 3043)──▶ none

`creating` is written (with the meeting's marker) and committed before Zoom is called, so a run
that finds `creating` or `failed` looks for the meeting before making one
(`workers.jobs.meetings`). When a series' meeting is full (4,999 registrants), the session that
met it and the later ones leave that meeting for a new one (`split_series`): back to `none`,
with no meeting id, and created afresh. The value is stored as its text in
`sessions.zoom_meeting_state`.
"""

from __future__ import annotations

from enum import StrEnum


class MeetingState(StrEnum):
    NONE = "none"  # no meeting asked of Zoom yet
    CREATING = "creating"  # marked before calling Zoom; a retry adopts what an earlier try made
    CREATED = "created"  # Zoom has the meeting (and, in a series, this session's occurrence)
    FAILED = "failed"  # Zoom refused, or a series has no occurrence for this session; retried
    DELETED = "deleted"  # cancelled, and gone from Zoom


TRANSITIONS: dict[MeetingState, frozenset[MeetingState]] = {
    MeetingState.NONE: frozenset({MeetingState.CREATING}),
    MeetingState.CREATING: frozenset({MeetingState.CREATING, MeetingState.CREATED, MeetingState.FAILED}),
    MeetingState.FAILED: frozenset({MeetingState.CREATING, MeetingState.NONE}),
    # A series shares one meeting: when one of its sessions is retried, every session of the
    # series is marked `creating` again while the meeting is looked up (found by its marker,
    # never made twice) and stored; a cancelled session then has its occurrence deleted again.
    # Sessions moved off a full series meeting (Zoom's 3043) start again from `none`, whatever
    # their state on the old meeting (a cancelled one moves too, and is deleted from the new one).
    MeetingState.CREATED: frozenset({MeetingState.DELETED, MeetingState.CREATING, MeetingState.NONE}),
    MeetingState.DELETED: frozenset({MeetingState.CREATING, MeetingState.NONE}),
}


class NotAMeetingMove(ValueError):
    """A move the lifecycle does not have (a bug in the caller, not bad input)."""


def state_of(session) -> MeetingState:
    return MeetingState(session.zoom_meeting_state)


def move(session, to: MeetingState) -> None:
    """Set the session's meeting state, if the lifecycle has that move."""
    current = state_of(session)
    if to not in TRANSITIONS[current]:
        raise NotAMeetingMove(f"session {session.id}: a meeting cannot go from {current} to {to}")
    session.zoom_meeting_state = to.value


def has_meeting(session) -> bool:
    """Zoom holds this session's meeting: registrants, polls, links and updates can go to it."""
    return state_of(session) is MeetingState.CREATED


def is_being_created(session) -> bool:
    return state_of(session) is MeetingState.CREATING


def needs_creating(session) -> bool:
    """No meeting yet, or the last try failed: a create job will make (or find) it."""
    return state_of(session) in (MeetingState.NONE, MeetingState.FAILED)
