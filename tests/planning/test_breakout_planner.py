"""The breakout planner: table tests for the rules, hypothesis for the properties."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zoombridge.planning.breakout import (
    PHONE,
    VIDEO,
    MixingHistory,
    PlanError,
    PlanPerson,
    PlanRules,
    RoomPlan,
    plan_breakouts,
)


def crowd(n: int, staff: int = 0, phone: set[int] | frozenset = frozenset()) -> list[PlanPerson]:
    return [
        PlanPerson(
            id=f"p{i}",
            display_name=f"Name{i} Surname",
            is_staff=i < staff,
            joins_by=PHONE if i in phone else VIDEO,
        )
        for i in range(n)
    ]


def recount_repeats(plan: RoomPlan) -> int:
    met: set[frozenset] = set()
    repeats = 0
    for rnd in plan.rounds:
        now = set()
        for room in rnd.rooms:
            for a, b in itertools.combinations(room.members, 2):
                pair = frozenset((a, b))
                repeats += pair in met
                now.add(pair)
        met |= now
    return repeats


def sizes(rnd) -> list[int]:
    return [len(room.members) for room in rnd.rooms]


# --- Table tests ---------------------------------------------------------------------------


def test_a_cuppa_of_23_with_4_staff_has_a_staff_leader_in_every_room():
    people = crowd(23, staff=4)
    plan = plan_breakouts(people, PlanRules(room_size=6, staff_per_room=1, rounds=2), seed=1)
    staff = {p.id for p in people if p.is_staff}
    for rnd in plan.rounds:
        assert len(rnd.rooms) == 4
        assert sorted(sizes(rnd)) == [5, 6, 6, 6]
        for room in rnd.rooms:
            assert room.leader in staff
            assert room.members[0] == room.leader
    assert plan.report.rooms_without_staff == ()
    assert plan.report.repeat_pairs == recount_repeats(plan)
    assert plan.report.repeat_pairs >= plan.report.unavoidable_repeats


def test_room_count_drops_so_every_room_gets_staff_and_the_plan_says_so():
    plan = plan_breakouts(crowd(20, staff=4), PlanRules(room_size=4, staff_per_room=1), seed=2)
    assert len(plan.rounds[0].rooms) == 4
    assert any("so that every room has a staff member" in note for note in plan.report.trade_offs)
    assert plan.report.rooms_without_staff == ()


def test_rooms_without_staff_are_named_when_there_are_too_few_staff():
    plan = plan_breakouts(crowd(20, staff=2), PlanRules(room_count=4, staff_per_room=1), seed=2)
    assert len(plan.report.rooms_without_staff) == 2
    lacking = {name for _, name in plan.report.rooms_without_staff}
    for room in plan.rounds[0].rooms:
        assert (room.leader is None) == (room.name in lacking)
    assert any("without a staff member" in note for note in plan.report.trade_offs)


def test_keep_together_pairs_share_a_room_in_every_round():
    people = crowd(30)
    pairs = [("p3", "p4"), ("p10", "p20"), ("p20", "p21")]  # the second and third chain into a three
    plan = plan_breakouts(people, PlanRules(room_size=4, rounds=3), keep_together=pairs, seed=5)
    for rnd in plan.rounds:
        room_of = rnd.room_of()
        assert room_of["p3"] == room_of["p4"]
        assert room_of["p10"] == room_of["p20"] == room_of["p21"]


def test_keep_together_mates_meeting_again_is_not_counted_as_a_repeat():
    plan = plan_breakouts(crowd(4), PlanRules(room_count=2, rounds=3), keep_together=[("p0", "p1")], seed=0)
    assert plan.report.repeat_pairs == recount_repeats(plan) - 2  # p0/p1 together in rounds 2 and 3


@pytest.mark.parametrize(
    ("n", "phones", "rooms"),
    [(24, {0, 1, 2, 3, 4, 5, 6, 7}, 4), (30, {1, 2, 3}, 6), (12, set(range(12)), 3), (25, {5, 6, 7, 8, 9}, 8)],
)
def test_phone_callers_are_spread_as_evenly_as_possible(n, phones, rooms):
    plan = plan_breakouts(crowd(n, phone=phones), PlanRules(room_count=rooms, rounds=2), seed=9)
    ids = {f"p{i}" for i in phones}
    for rnd in plan.rounds:
        per_room = [sum(m in ids for m in room.members) for room in rnd.rooms]
        assert max(per_room) - min(per_room) <= 1


@pytest.mark.parametrize("n", [9, 12, 13, 31, 91])
def test_people_in_rooms_of_three_meet_nobody_twice_over_two_rounds(n):
    plan = plan_breakouts(crowd(n), PlanRules(room_size=3, rounds=2), seed=11)
    assert plan.report.repeat_pairs == 0
    assert recount_repeats(plan) == 0


def test_four_people_in_pairs_meet_everyone_once_over_three_rounds():
    plan = plan_breakouts(crowd(4), PlanRules(room_size=2, rounds=3), seed=4)
    assert plan.report.repeat_pairs == 0


def test_one_room_for_two_rounds_repeats_every_pair_and_says_it_could_not_be_avoided():
    plan = plan_breakouts(crowd(5), PlanRules(room_count=1, rounds=2), seed=0)
    assert plan.report.repeat_pairs == 10
    assert plan.report.unavoidable_repeats == 10
    assert any("10 pair(s) meet again" in note for note in plan.report.trade_offs)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    people = crowd(40, staff=5, phone={7, 8, 9})
    rules = PlanRules(room_size=5, staff_per_room=1, rounds=3)
    first = plan_breakouts(people, rules, seed=42)
    assert plan_breakouts(people, rules, seed=42) == first
    assert plan_breakouts(people, rules, seed=43) != first


def test_a_plan_survives_a_round_trip_through_json():
    plan = plan_breakouts(crowd(23, staff=4), PlanRules(room_size=6, staff_per_room=1, rounds=2), seed=1)
    assert RoomPlan.from_dict(plan.to_dict()) == plan


def test_nobody_to_place_gives_empty_rounds():
    plan = plan_breakouts([], PlanRules(room_size=3, rounds=2))
    assert [len(r.rooms) for r in plan.rounds] == [0, 0]
    assert plan.report.trade_offs == ("Nobody to place yet.",)


def test_more_rooms_than_people_makes_one_room_each():
    plan = plan_breakouts(crowd(3), PlanRules(room_count=5))
    assert sizes(plan.rounds[0]) == [1, 1, 1]
    assert "only 3 people" in plan.report.trade_offs[0]


def test_a_keep_together_group_too_big_for_a_room_stays_together_and_the_plan_says_why():
    people = crowd(9)
    pairs = [("p0", "p1"), ("p1", "p2"), ("p2", "p3"), ("p3", "p4")]
    plan = plan_breakouts(people, PlanRules(room_size=3), keep_together=pairs, seed=0)
    room_of = plan.rounds[0].room_of()
    assert len({room_of[f"p{i}"] for i in range(5)}) == 1
    assert any("keep-together" in note for note in plan.report.trade_offs)


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        (PlanRules(), "room_size"),
        (PlanRules(room_size=3, room_count=3), "room_size"),
        (PlanRules(room_size=1), "room_size"),
        (PlanRules(room_count=0), "room_count"),
        (PlanRules(room_size=3, rounds=0), "rounds"),
        (PlanRules(room_size=3, rounds=11), "rounds"),
        (PlanRules(room_size=3, staff_per_room=-1), "staff_per_room"),
        (PlanRules(room_size=True), "room_size"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(rules, field):
    with pytest.raises(PlanError) as caught:
        plan_breakouts(crowd(6), rules)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("people", "pairs", "field"),
    [
        (crowd(3) + crowd(1), (), "people"),
        ([PlanPerson(id="a", display_name="A", joins_by="pigeon")], (), "people"),
        (crowd(3), [("p0", "nobody")], "keep_together"),
        (crowd(3), [("p0", "p1", "p2")], "keep_together"),
    ],
)
def test_bad_people_are_refused_naming_the_field(people, pairs, field):
    with pytest.raises(PlanError) as caught:
        plan_breakouts(people, PlanRules(room_size=3), keep_together=pairs)
    assert caught.value.field == field


def test_first_names_only():
    assert PlanPerson(id="x", display_name="  Sam  Jones ").first_name == "Sam"
    assert PlanPerson(id="x", display_name="").first_name == "(no name)"


# --- Properties ----------------------------------------------------------------------------


@st.composite
def planning_inputs(draw):
    n = draw(st.integers(min_value=0, max_value=60))
    staff = draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n)) if n else set()
    phone = draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n)) if n else set()
    people = [
        PlanPerson(id=f"p{i}", display_name=f"P{i}", is_staff=i in staff, joins_by=PHONE if i in phone else VIDEO)
        for i in range(n)
    ]
    # Disjoint keep-together pairs over a shuffled slice of people.
    order = draw(st.permutations(list(range(n))))
    pair_count = draw(st.integers(0, n // 4))
    pairs = [(f"p{order[2 * i]}", f"p{order[2 * i + 1]}") for i in range(pair_count)]
    if draw(st.booleans()):
        rules = PlanRules(room_size=draw(st.integers(2, 8)))
    else:
        rules = PlanRules(room_count=draw(st.integers(1, 12)))
    rules = PlanRules(
        room_size=rules.room_size,
        room_count=rules.room_count,
        staff_per_room=draw(st.integers(0, 2)),
        rounds=draw(st.integers(1, 3)),
    )
    return people, pairs, rules, draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planning_inputs())
def test_every_plan_keeps_the_rules(inputs):
    people, pairs, rules, seed = inputs
    plan = plan_breakouts(people, rules, keep_together=pairs, seed=seed)
    by_id = {p.id: p for p in people}
    assert len(plan.rounds) == rules.rounds
    size_note = any("room sizes run from" in note for note in plan.report.trade_offs)
    lacking = set(plan.report.rooms_without_staff)
    for rnd in plan.rounds:
        placed = [m for room in rnd.rooms for m in room.members]
        assert sorted(placed) == sorted(by_id)  # everyone, and nobody twice in a round
        if rnd.rooms and not size_note:
            assert max(sizes(rnd)) - min(sizes(rnd)) <= 1
        room_of = rnd.room_of()
        for a, b in pairs:
            assert room_of[a] == room_of[b]
        for room in rnd.rooms:
            staff_here = [m for m in room.members if by_id[m].is_staff]
            assert (room.leader is None) == (not staff_here)
            if room.leader is not None:
                assert room.leader == room.members[0]
            assert ((rnd.number, room.name) in lacking) == (len(staff_here) < rules.staff_per_room)
        if rules.staff_per_room and rnd.rooms:
            staff_total = sum(p.is_staff for p in people)
            if staff_total >= rules.staff_per_room * len(rnd.rooms) and not pairs:
                assert not any(r == rnd.number for r, _ in lacking)
    assert plan.report.repeat_pairs == recount_repeats(plan) - sum(
        1 for rnd in plan.rounds[1:] for _ in pairs
    )
    assert 0 <= plan.report.unavoidable_repeats <= plan.report.repeat_pairs
    assert plan_breakouts(people, rules, keep_together=pairs, seed=seed) == plan


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=9, max_value=150), seed=st.integers(0, 2**32))
def test_rooms_of_three_for_two_rounds_never_repeat_anyone(n, seed):
    plan = plan_breakouts(crowd(n), PlanRules(room_size=3, rounds=2), seed=seed)
    assert plan.report.repeat_pairs == 0


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=80),
    phones=st.integers(min_value=0, max_value=80),
    room_count=st.integers(min_value=1, max_value=12),
    rounds=st.integers(1, 3),
    seed=st.integers(0, 2**32),
)
def test_phone_callers_never_bunch_up(n, phones, room_count, rounds, seed):
    people = crowd(n, phone=set(range(min(phones, n))))
    plan = plan_breakouts(people, PlanRules(room_count=room_count, rounds=rounds), seed=seed)
    rooms = len(plan.rounds[0].rooms)
    even = math.ceil(min(phones, n) / rooms)
    for rnd in plan.rounds:
        for room in rnd.rooms:
            assert sum(by.startswith("p") and int(by[1:]) < phones for by in room.members) <= even


# --- mixing that remembers (issue 14) ---------------------------------------------------------

def pairs_of(plan: RoomPlan) -> set[tuple[str, str]]:
    return {(a, b) for rnd in plan.rounds for room in rnd.rooms for a in room.members for b in room.members if a < b}


def history_of(*plans: RoomPlan) -> MixingHistory:
    met = frozenset(pair for plan in plans for pair in pairs_of(plan))
    hosted = frozenset((room.leader, m) for plan in plans for rnd in plan.rounds for room in rnd.rooms
                       if room.leader for m in room.members if m != room.leader)
    return MixingHistory(met=met, hosted=hosted, sessions=len(plans))


def meetings_again(plan: RoomPlan, history: MixingHistory) -> int:
    return sum((a, b) in history.met or (b, a) in history.met
               for rnd in plan.rounds for room in rnd.rooms for a in room.members for b in room.members if a < b)


def test_people_who_met_in_the_last_sessions_are_kept_apart_and_the_report_counts_what_is_left():
    people, rules = crowd(30), PlanRules(room_size=3, rounds=2)
    last_three = [plan_breakouts(people, rules, seed=s) for s in (1, 2, 3)]
    history = history_of(*last_three)
    forgetful = plan_breakouts(people, rules, seed=9)
    remembering = plan_breakouts(people, rules, seed=9, history=history)
    assert meetings_again(forgetful, history) > 5
    assert remembering.report.history_repeats == meetings_again(remembering, history) == 0
    assert remembering.report.history_sessions == 3
    assert remembering.report.repeat_pairs == recount_repeats(remembering)  # in-plan repeats counted as before


def test_repeats_no_plan_could_avoid_are_counted_as_unavoidable_and_explained():
    people = crowd(4)
    everyone_met = MixingHistory(met=frozenset(itertools.combinations([p.id for p in people], 2)), sessions=3)
    plan = plan_breakouts(people, PlanRules(room_size=2, rounds=1), history=everyone_met)
    assert plan.report.history_repeats == 2 == plan.report.unavoidable_history_repeats
    assert any("at least 2 could not be avoided: some people have already met nearly everyone here" in note
               for note in plan.report.trade_offs)


def test_staff_leaders_rotate_away_from_the_people_they_led_last_time():
    people = crowd(8, staff=2)  # p0 and p1 are staff; rooms of four, one staff member each
    led_before = {"p2": "p0", "p3": "p0", "p4": "p0", "p5": "p1", "p6": "p1", "p7": "p1"}
    pairs = frozenset((staff, person) for person, staff in led_before.items())
    history = MixingHistory(met=pairs, hosted=pairs, sessions=1)
    rules = PlanRules(room_size=4, staff_per_room=1, rounds=1)
    for seed in range(5):
        plan = plan_breakouts(people, rules, seed=seed, history=history)
        led_now = {m: room.leader for room in plan.rounds[0].rooms for m in room.members if m != room.leader}
        assert all(led_now[m] != led_before[m] for m in led_before), seed
        assert plan.report.staff_repeats == 0
    same_leaders = plan_breakouts(people, rules, seed=1, history=MixingHistory(hosted=pairs, sessions=1))
    assert same_leaders.report.staff_repeats == sum(
        1 for room in same_leaders.rounds[0].rooms for m in room.members if led_before.get(m) == room.leader)


def test_a_plan_without_history_reports_none():
    plan = plan_breakouts(crowd(9), PlanRules(room_size=3, rounds=1), seed=1)
    assert (plan.report.history_sessions, plan.report.history_repeats, plan.report.staff_repeats) == (0, 0, 0)
    assert RoomPlan.from_dict(plan.to_dict()).report == plan.report  # stored and read back unchanged
