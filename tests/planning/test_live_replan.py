"""Live re-plan: rooms for whoever is in the meeting now, keeping earlier rooms where possible."""

from __future__ import annotations

import pytest

from zoombridge.planning.breakout import PHONE, PlanError, PlanPerson, PlanRules, plan_breakouts, replan_live


def crowd(n: int, staff: int = 0) -> list[PlanPerson]:
    return [PlanPerson(id=f"p{i}", display_name=f"Name{i}", is_staff=i < staff) for i in range(n)]


RULES = PlanRules(room_size=6, staff_per_room=1, rounds=2)


@pytest.fixture
def earlier():
    return plan_breakouts(crowd(23, staff=4), RULES, seed=1)


def test_when_everyone_is_there_nobody_moves(earlier):
    live = replan_live(crowd(23, staff=4), earlier, RULES, seed=1)
    assert live.rounds[0].rooms == earlier.rounds[0].rooms
    assert live.report.trade_offs[0] == "Kept 23 people in their earlier rooms; placed 0 who were not in the plan."


def test_late_guests_and_phone_callers_fill_the_gaps_and_leavers_leave_rooms_as_they_were(earlier):
    gone = set(earlier.rounds[0].rooms[0].members[1:3])  # two people from Room 1 did not come
    present = [p for p in crowd(23, staff=4) if p.id not in gone] + [
        PlanPerson(id="guest:1", display_name="Ali (guest)"),
        PlanPerson(id="guest:2", display_name="07700 900123", joins_by=PHONE),
    ]
    live = replan_live(present, earlier, RULES, seed=1)
    before = earlier.rounds[0].room_of()
    after = live.rounds[0].room_of()
    stayed = [pid for pid in after if pid in before and before[pid] == after[pid]]
    assert len(stayed) == 21
    assert {"guest:1", "guest:2"} <= set(after)
    assert sorted(len(r.members) for r in live.rounds[0].rooms) == [5, 6, 6, 6]
    assert [r.leader for r in live.rounds[0].rooms] == [r.leader for r in earlier.rounds[0].rooms]


def test_when_people_leave_a_room_closes_and_its_people_are_moved(earlier):
    # Only 12 stay: two rooms of six, so two earlier rooms close.
    keep = [m for room in earlier.rounds[0].rooms[:2] for m in room.members][:10]
    keep += list(earlier.rounds[0].rooms[2].members[:2])
    present = [p for p in crowd(23, staff=4) if p.id in keep]
    live = replan_live(present, earlier, RULES, seed=3)
    assert len(live.rounds[0].rooms) == 2
    assert sorted(len(r.members) for r in live.rounds[0].rooms) == [6, 6]
    assert any(note.startswith("Moved ") for note in live.report.trade_offs)
    assert all(r.leader is not None for r in live.rounds[0].rooms)


def test_the_second_round_re_plan_avoids_people_met_in_the_first(earlier):
    live = replan_live(crowd(23, staff=4), earlier, RULES, seed=1, round_number=2)
    assert live.rounds[0].number == 2
    assert live.report.repeat_pairs == earlier.report.repeat_pairs  # nobody moved: same meetings


def test_a_round_that_was_not_planned_is_refused(earlier):
    with pytest.raises(PlanError) as caught:
        replan_live(crowd(23, staff=4), earlier, RULES, round_number=3)
    assert caught.value.field == "round"


def test_an_empty_meeting_gives_no_rooms(earlier):
    live = replan_live([], earlier, RULES)
    assert live.rounds[0].rooms == ()
