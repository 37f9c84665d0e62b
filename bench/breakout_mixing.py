"""Mixing that remembers: the planner with 12 months of history, 100 people a session.

A year of monthly sessions of one kind is played first: each month 100 of a 150-strong
membership come (a seeded random choice), and each month's plan is made remembering the last
three, as the service does (`remember_sessions = 3`). Then month 13 is planned, timed, in the
same run:

- baseline: the planner without history (what issue 6 shipped);
- ours: the planner remembering the last 3 sessions (the default) and all 12 (the most memory a
  year holds), with the history built the way `store.breakout_plans.mixing_history` builds it
  from stored plans (pairs from every room, leader-to-member pairs);

and the repeats each leaves: pairs who met in the remembered sessions and meet again, and people
led by the same staff member as before. Two formats from `config/formats.toml`: the network
session (random rooms of 3, two rounds, no staff) and the Cuppa (rooms of 4 with a staff member
each, 1 + 1 optional rounds; 25 staff among the 150, so every room has one).
"""

from __future__ import annotations

import os
import platform
import random

from bench.breakout_planner import REPEATS, best_of
from zoombridge.planning.breakout import MixingHistory, PlanPerson, PlanRules, RoomPlan, plan_breakouts

MEMBERS = 150
PER_SESSION = 100
MONTHS = 12
FORMATS = {
    "network (rooms of 3, 2 rounds)": (PlanRules(room_size=3, staff_per_room=0, rounds=2), 0),
    "cuppa (rooms of 4, 1 staff, 2 rounds)": (PlanRules(room_size=4, staff_per_room=1, rounds=2), 25),
}


def members(staff: int) -> list[PlanPerson]:
    return [PlanPerson(id=f"person:{i}", display_name=f"Member{i}", is_staff=i < staff) for i in range(MEMBERS)]


def attendees(pool: list[PlanPerson], month: int, staff: int) -> list[PlanPerson]:
    rng = random.Random(month)
    chosen = pool[:staff] + rng.sample(pool[staff:], PER_SESSION - staff)
    rng.shuffle(chosen)
    return chosen


def history_of(plans: list[RoomPlan]) -> MixingHistory:
    """As `mixing_history` reads stored plans: every pair in a room, and leader -> member."""
    met, hosted = set(), set()
    for plan in plans:
        for rnd in plan.rounds:
            for room in rnd.rooms:
                members_ = room.members
                met.update((a, b) for i, a in enumerate(members_) for b in members_[i + 1:])
                if room.leader:
                    hosted.update((room.leader, m) for m in members_ if m != room.leader)
    return MixingHistory(met=frozenset(met), hosted=frozenset(hosted), sessions=len(plans))


def remembered_repeats(plan: RoomPlan, history: MixingHistory) -> tuple[int, int]:
    pairs = sum(((a, b) in history.met or (b, a) in history.met)
                for rnd in plan.rounds for room in rnd.rooms
                for i, a in enumerate(room.members) for b in room.members[i + 1:])
    led = sum((room.leader, m) in history.hosted for rnd in plan.rounds for room in rnd.rooms if room.leader
              for m in room.members)
    return pairs, led


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{MEMBERS} members, {PER_SESSION} a session, {MONTHS} months of plans (each remembering 3), "
          f"then month {MONTHS + 1} timed; best of {REPEATS}")
    print(f"{'format':<40} {'memory':>10} {'plan s':>8} {'x none':>7} {'met again':>10} {'same leader':>12} "
          f"{'pairs known':>12}")
    for name, (rules, staff) in FORMATS.items():
        pool = members(staff)
        year: list[RoomPlan] = []
        for month in range(MONTHS):
            year.append(plan_breakouts(attendees(pool, month, staff), rules, seed=month,
                                       history=history_of(year[-3:])))
        people = attendees(pool, MONTHS, staff)
        last3, all12 = history_of(year[-3:]), history_of(year)
        base, plain = best_of(lambda people=people, rules=rules: plan_breakouts(people, rules, seed=99))
        for label, history in (("none", None), ("last 3", last3), ("last 12", all12)):
            if history is None:
                took, plan = base, plain
            else:
                took, plan = best_of(lambda people=people, rules=rules, history=history:
                                     plan_breakouts(people, rules, seed=99, history=history))
            again, led = remembered_repeats(plan, last3)
            known = len(history.met) if history else 0
            print(f"{name:<40} {label:>10} {took:>8.4f} {took / base:>7.1f} {again:>10} {led:>12} {known:>12}")
    print("met again / same leader: counted against the last 3 sessions (the default memory) for every row")
