"""A session's Zoom meeting lifecycle: the moves it has, and the ones it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from zoombridge.sessions.meeting_state import TRANSITIONS, MeetingState, NotAMeetingMove, has_meeting, move

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    """A stand-in for a session row: the lifecycle reads and writes only these two attributes."""

    zoom_meeting_state: str
    id: int = 7


@pytest.mark.parametrize(("start", "to"), [
    ("none", MeetingState.CREATING),
    ("creating", MeetingState.CREATED),
    ("creating", MeetingState.FAILED),
    ("failed", MeetingState.CREATING),
    ("created", MeetingState.DELETED),
    ("created", MeetingState.NONE),  # moved off a full series meeting (3043) to a new one
    ("deleted", MeetingState.NONE),
])
def test_the_lifecycle_moves_a_meeting_on(start, to):
    row = Row(start)
    move(row, to)
    assert row.zoom_meeting_state == to.value and isinstance(row.zoom_meeting_state, str)


@pytest.mark.parametrize(("start", "to"), [
    ("none", MeetingState.CREATED),  # never created without first being marked `creating`
    ("none", MeetingState.DELETED),
    ("deleted", MeetingState.CREATED),
    ("failed", MeetingState.CREATED),
    ("creating", MeetingState.NONE),  # a meeting being looked up is never dropped mid-way
])
def test_a_move_the_lifecycle_does_not_have_is_refused_and_changes_nothing(start, to):
    row = Row(start)
    with pytest.raises(NotAMeetingMove):
        move(row, to)
    assert row.zoom_meeting_state == start


def test_every_state_has_its_moves_and_only_created_has_a_meeting():
    assert set(TRANSITIONS) == set(MeetingState)
    assert [state for state in MeetingState if has_meeting(Row(state.value))] == [MeetingState.CREATED]


def test_jobs_go_through_the_lifecycle_rather_than_writing_states_by_hand():
    written_by_hand = [f"{path.relative_to(ROOT)}:{number}" for path in sorted((ROOT / "workers").rglob("*.py"))
                       for number, line in enumerate(path.read_text().splitlines(), 1)
                       if "zoom_meeting_state" in line]
    assert written_by_hand == []
