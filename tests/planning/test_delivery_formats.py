"""Zoom's pre-assignment payload and CSV, and the printable host sheet."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from zoombridge.planning.breakout import (
    PHONE,
    PlannedRoom,
    PlannedRound,
    PlanPerson,
    PlanRules,
    plan_breakouts,
)
from zoombridge.planning.host_sheet import host_sheet_html
from zoombridge.planning.zoom_preassign import (
    BEYOND_LIMITS,
    BY_PHONE,
    CSV_HEADER,
    NO_EMAIL,
    NO_ZOOM_ACCOUNT,
    BeyondZoomLimits,
    pre_assignment,
)
from zoombridge.sandbox import spec_extract

SPEC = spec_extract.DEFAULT_SPEC_DIR / spec_extract.SOURCES["meetings"]

PEOPLE = [
    PlanPerson(id="a", display_name="Asha Patel", is_staff=True, email="Asha@Example.org"),
    PlanPerson(id="b", display_name="Ben", email="ben@example.org", access_needs=("uses captions",)),
    PlanPerson(id="c", display_name="07700 900123", joins_by=PHONE),
    PlanPerson(id="d", display_name="<i>Dee</i> Smith", email=None),
    PlanPerson(id="e", display_name="Eve", email="eve@example.org", zoom_account=False),
    PlanPerson(id="f", display_name="Fay", email="fay@example.org", access_needs=("needs a quiet room",)),
]
ROUND = PlannedRound(
    number=1,
    rooms=(
        PlannedRoom(name="Room 1", members=("a", "b", "c"), leader="a"),
        PlannedRoom(name="Room 2", members=("d", "e", "f")),
    ),
)


def test_only_people_zoom_can_place_are_pre_assigned_and_the_rest_are_named_with_reasons():
    assignment = pre_assignment(ROUND, PEOPLE)
    assert assignment.payload() == {
        "settings": {
            "breakout_room": {
                "enable": True,
                "rooms": [
                    {"name": "Room 1", "participants": ["asha@example.org", "ben@example.org"]},
                    {"name": "Room 2", "participants": ["fay@example.org"]},
                ],
            }
        }
    }
    assert [(x.person_id, x.room, x.reason) for x in assignment.left_out] == [
        ("c", "Room 1", BY_PHONE),
        ("d", "Room 2", NO_EMAIL),
        ("e", "Room 2", NO_ZOOM_ACCOUNT),
    ]


def test_the_payload_matches_zooms_spec_for_updating_a_meeting():
    spec = json.loads(SPEC.read_text())
    schema = spec["paths"]["/meetings/{meetingId}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    jsonschema.validate(pre_assignment(ROUND, PEOPLE).payload(), schema)


def test_the_csv_is_zooms_import_format_one_row_per_person_with_an_email():
    rows = list(csv.reader(io.StringIO(pre_assignment(ROUND, PEOPLE).csv())))
    assert rows == [
        list(CSV_HEADER),
        ["Room 1", "asha@example.org"],
        ["Room 1", "ben@example.org"],
        ["Room 2", "fay@example.org"],
    ]


def big_round(rooms: int, per_room: int) -> tuple[PlannedRound, list[PlanPerson]]:
    people = [PlanPerson(id=f"p{i}", display_name=f"P{i}", email=f"p{i}@example.org") for i in range(rooms * per_room)]
    planned = PlannedRound(
        number=1,
        rooms=tuple(
            PlannedRoom(name=f"Room {r + 1}", members=tuple(f"p{r * per_room + i}" for i in range(per_room)))
            for r in range(rooms)
        ),
    )
    return planned, people


@pytest.mark.parametrize(("rooms", "per_room"), [(101, 2), (40, 26)])
def test_past_zooms_limits_the_push_is_refused_with_the_reason(rooms, per_room):
    planned, people = big_round(rooms, per_room)
    with pytest.raises(BeyondZoomLimits) as caught:
        pre_assignment(planned, people)
    assert "at most 100 rooms and 1000 people" in str(caught.value)


@pytest.mark.parametrize(
    ("rooms", "per_room", "kept_rooms", "kept_people"), [(101, 2, 100, 200), (40, 26, 38, 988), (100, 10, 100, 1000)]
)
def test_past_zooms_limits_a_partial_push_keeps_whole_rooms_and_leaves_the_rest_to_the_host(
    rooms, per_room, kept_rooms, kept_people
):
    planned, people = big_round(rooms, per_room)
    assignment = pre_assignment(planned, people, allow_partial=True)
    assert len(assignment.rooms) == kept_rooms
    assert assignment.participants == kept_people
    assert len(assignment.left_out) == rooms * per_room - kept_people
    assert all(x.reason == BEYOND_LIMITS for x in assignment.left_out)


def test_the_host_sheet_shows_rooms_leaders_who_to_move_and_access_notes_by_first_name_only():
    plan = plan_breakouts(PEOPLE, PlanRules(room_count=2, staff_per_room=1), seed=1)
    plan = type(plan)(rounds=(ROUND,), report=plan.report, seed=1)
    html = host_sheet_html(plan, PEOPLE, title="Co-Pro Cuppa", when="Tuesday 1 December, 10:00", recurring=True)
    assert '<html lang="en-GB">' in html
    assert "<caption>Rooms in round 1</caption>" in html
    assert '<th scope="row">Room 1</th>' in html
    assert "<td>Asha</td>" in html  # leader, first name only
    assert "Patel" not in html
    assert "asha@example.org" not in html.lower()
    assert "caller …123 (joins by phone)" in html
    assert "07700" not in html
    assert "&lt;i&gt;Dee&lt;/i&gt; (no email address)" in html  # names are escaped, never markup
    assert "Eve (no Zoom account)" in html
    assert "Ben: uses captions" in html
    assert "Fay: needs a quiet room" in html
    assert "No staff member" in html
    assert "<i>" not in html
    assert "one set of pre-assigned rooms for every date" in html


def test_the_host_sheet_says_later_rounds_are_moved_by_hand():
    people = [PlanPerson(id=f"p{i}", display_name=f"P{i}", email=f"p{i}@x.org") for i in range(9)]
    plan = plan_breakouts(people, PlanRules(room_size=3, rounds=2), seed=1)
    html = host_sheet_html(plan, people, title="Network")
    assert html.count("Everyone: this round is not pre-assigned") == 3
    assert "Round 1 (pre-assigned in Zoom)" in html
