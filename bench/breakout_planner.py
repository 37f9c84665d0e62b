"""How long the breakout planner takes for 100, 1,000 and 5,000 people over three rounds.

Baselines measured in the same run:
- a naive planner that shuffles people into rooms of the same sizes each round (no rules at
  all): what the rules, the dealing and the swaps cost on top of simply handing out places;
- the planner for one round: how much the later, repeat-avoiding rounds cost.
Growth is shown as microseconds per person, which stays flat when the planner is O(n log n).
"""

from __future__ import annotations

import itertools
import os
import platform
import random
import time

from zoombridge.planning.breakout import PHONE, VIDEO, PlanPerson, PlanRules, plan_breakouts

SIZES = (100, 1_000, 5_000)
ROUNDS = 3
REPEATS = 3  # best of three, to keep the shared machine's noise out


def crowd(n: int) -> tuple[list[PlanPerson], list[tuple[str, str]]]:
    """A network session: 5% phone callers, 2% staff, 1% in keep-together pairs."""
    rng = random.Random(n)
    people = [
        PlanPerson(
            id=f"p{i}",
            display_name=f"Person{i}",
            is_staff=rng.random() < 0.02,
            joins_by=PHONE if rng.random() < 0.05 else VIDEO,
        )
        for i in range(n)
    ]
    pairs = [(f"p{i}", f"p{i + 1}") for i in range(0, n // 100 * 2, 2)]
    return people, pairs


def naive(people: list[PlanPerson], room_size: int, rounds: int, seed: int) -> list[list[list[str]]]:
    rng = random.Random(seed)
    ids = [p.id for p in people]
    count = -(-len(ids) // room_size)
    plan = []
    for _ in range(rounds):
        rng.shuffle(ids)
        plan.append([ids[r::count] for r in range(count)])
    return plan


def naive_repeats(plan: list[list[list[str]]]) -> int:
    met: set[tuple[str, str]] = set()
    repeats = 0
    for rnd in plan:
        now = {tuple(sorted(pair)) for room in rnd for pair in itertools.combinations(room, 2)}
        repeats += len(now & met)
        met |= now
    return repeats


def best_of(fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"rooms of 3, {ROUNDS} rounds, 5% phone, 2% staff, 1% in keep-together pairs; best of {REPEATS}")
    header = f"{'people':>7} {'planner s':>10} {'µs/person':>10} {'1 round s':>10} {'naive s':>9} {'x naive':>8} {'repeats':>8} {'naive rep':>9}"
    print(header)
    first_per_person = None
    for n in SIZES:
        people, pairs = crowd(n)
        rules = PlanRules(room_size=3, rounds=ROUNDS)
        took, plan = best_of(lambda people=people, pairs=pairs, rules=rules: plan_breakouts(people, rules, pairs, seed=1))
        one, _ = best_of(
            lambda people=people, pairs=pairs: plan_breakouts(people, PlanRules(room_size=3, rounds=1), pairs, seed=1)
        )
        base, shuffled = best_of(lambda people=people: naive(people, 3, ROUNDS, seed=1))
        per_person = took / n * 1e6
        first_per_person = first_per_person or per_person
        print(
            f"{n:>7} {took:>10.4f} {per_person:>10.1f} {one:>10.4f} {base:>9.4f} {took / base:>8.1f}"
            f" {plan.report.repeat_pairs:>8} {naive_repeats(shuffled):>9}"
        )
    print(f"cost per person at {SIZES[-1]} vs {SIZES[0]}: {per_person / first_per_person:.2f}x (1.0 = linear)")
