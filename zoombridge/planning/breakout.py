"""The breakout-room planner: who sits with whom, round by round, and why.

Pure: plain dataclasses in, plain dataclasses out, no I/O. The same seed gives the same plan.

Hard rules, kept by construction:
- rooms hold `base` or `base + 1` people (sizes differ by at most one) unless a keep-together
  group cannot fit, which the report says;
- keep-together people (a carer and the person they support) are one unit and move as one;
- when the format asks for staff in every room, staff are dealt out first, one level at a time,
  so no room gets a second staff member before every room has a first;
- phone callers are dealt out next, the same way, so they are spread as evenly as possible.

Soft rule, optimised: nobody meets the same person twice across rounds, nor anyone they met in
the recent sessions of the same kind (`MixingHistory`: the last few sessions' plans), and staff
rotate: a room's leader is, where the room allows, a staff member who did not lead these people
recently. Each round is built
greedily (units grouped by the room they were in last round and dealt round-robin, which on its
own keeps last round's roommates apart), then bounded local search swaps units of the same kind
(same size, staff count and phone count, so the hard rules stay true) between rooms to remove
the repeats that are left. Small plans are rebuilt a few times with other seeds and the best is
kept. The report counts repeats and a lower bound on how many could not be avoided, within the plan
and against the history, and says why.

Cost: a round is O(n log R) for dealing plus O(c * k) for the swaps (c people with a repeat,
k sampled swap partners); there is no O(n^2) step.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from zoombridge.refusals import Refused

VIDEO = "video"
PHONE = "phone"
JOINS_BY = (VIDEO, PHONE)

MAX_ROUNDS = 10
MAX_ROOMS = 1000
MAX_ROOM_SIZE = 500
MAX_STAFF_PER_ROOM = 10

LOOKAHEAD = 48  # rooms looked at before settling for the least bad one
SWAP_SAMPLE = 96  # swap partners tried per person with a repeat
MAX_PASSES = 8  # local-search passes per round
SMALL_PLAN_WORK = 2000  # people x attempts budget for rebuilding small plans
MAX_ATTEMPTS = 8


class PlanError(Refused, ValueError):
    """Input the planner cannot work with; `field` names what to fix."""


# --- Input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPerson:
    """Someone to place. `email` and `zoom_account` are not used for planning, only for delivery."""

    id: str
    display_name: str
    is_staff: bool = False
    joins_by: str = VIDEO
    access_needs: tuple[str, ...] = ()
    email: str | None = None
    zoom_account: bool | None = None  # None: not known

    @property
    def first_name(self) -> str:
        """On screen and on paper people are known by first name only.

        A phone caller's Zoom name is often their number: show only its last three digits.
        """
        digits = [c for c in self.display_name if c.isdigit()]
        if len(digits) >= 6:
            return f"caller …{''.join(digits[-3:])}"
        parts = self.display_name.split()
        return parts[0] if parts else "(no name)"


@dataclass(frozen=True)
class MixingHistory:
    """Who met whom in recent sessions of the same kind, and which staff member led whose room.

    `met` holds unordered pairs of person ids (`("person:3", "person:9")`, either order);
    `hosted` holds (staff id, person id) pairs; `sessions` is how many sessions they came from.
    """

    met: frozenset[tuple[str, str]] = frozenset()
    hosted: frozenset[tuple[str, str]] = frozenset()
    sessions: int = 0


@dataclass(frozen=True)
class PlanRules:
    """A format's breakout rules: `room_size` (most people in a room) or `room_count`."""

    room_size: int | None = None
    room_count: int | None = None
    staff_per_room: int = 0
    rounds: int = 1

    def check(self) -> PlanRules:
        if (self.room_size is None) == (self.room_count is None):
            raise PlanError("room_size", "Give either room_size or room_count, not both or neither.")
        if self.room_size is not None and not (_is_int(self.room_size) and 2 <= self.room_size <= MAX_ROOM_SIZE):
            raise PlanError("room_size", f"room_size must be a whole number from 2 to {MAX_ROOM_SIZE}.")
        if self.room_count is not None and not (_is_int(self.room_count) and 1 <= self.room_count <= MAX_ROOMS):
            raise PlanError("room_count", f"room_count must be a whole number from 1 to {MAX_ROOMS}.")
        if not (_is_int(self.staff_per_room) and 0 <= self.staff_per_room <= MAX_STAFF_PER_ROOM):
            raise PlanError("staff_per_room", f"staff_per_room must be a whole number from 0 to {MAX_STAFF_PER_ROOM}.")
        if not (_is_int(self.rounds) and 1 <= self.rounds <= MAX_ROUNDS):
            raise PlanError("rounds", f"rounds must be a whole number from 1 to {MAX_ROUNDS}.")
        return self


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Output ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRoom:
    name: str
    members: tuple[str, ...]  # leader first, then in the order people were given
    leader: str | None = None


@dataclass(frozen=True)
class PlannedRound:
    number: int
    rooms: tuple[PlannedRoom, ...]

    def room_of(self) -> dict[str, str]:
        return {member: room.name for room in self.rooms for member in room.members}


@dataclass(frozen=True)
class PlanReport:
    rooms_without_staff: tuple[tuple[int, str], ...] = ()  # (round number, room name)
    repeat_pairs: int = 0  # pairs who meet again in a later round, counted per meeting
    unavoidable_repeats: int = 0  # a lower bound: at least this many could not be avoided
    trade_offs: tuple[str, ...] = ()
    history_sessions: int = 0  # how many earlier sessions the plan remembered
    history_repeats: int = 0  # pairs who met in those sessions and meet again, counted per meeting
    unavoidable_history_repeats: int = 0  # a lower bound on those
    staff_repeats: int = 0  # people led by a staff member who led their room in those sessions


@dataclass(frozen=True)
class RoomPlan:
    rounds: tuple[PlannedRound, ...]
    report: PlanReport
    seed: int = 0

    def to_dict(self) -> dict:
        return {
            "seed": self.seed,
            "rounds": [
                {
                    "number": rnd.number,
                    "rooms": [
                        {"name": room.name, "leader": room.leader, "members": list(room.members)}
                        for room in rnd.rooms
                    ],
                }
                for rnd in self.rounds
            ],
            "report": report_to_dict(self.report),
        }

    @classmethod
    def from_dict(cls, data: dict) -> RoomPlan:
        rounds = tuple(
            PlannedRound(
                number=int(rnd["number"]),
                rooms=tuple(
                    PlannedRoom(name=room["name"], members=tuple(room["members"]), leader=room.get("leader"))
                    for room in rnd["rooms"]
                ),
            )
            for rnd in data["rounds"]
        )
        return cls(rounds=rounds, report=report_from_dict(data.get("report") or {}), seed=int(data.get("seed", 0)))


_HISTORY_FIELDS = ("history_sessions", "history_repeats", "unavoidable_history_repeats", "staff_repeats")


def report_to_dict(report: PlanReport) -> dict:
    return {
        "rooms_without_staff": [{"round": r, "room": name} for r, name in report.rooms_without_staff],
        "repeat_pairs": report.repeat_pairs,
        "unavoidable_repeats": report.unavoidable_repeats,
        "trade_offs": list(report.trade_offs),
        **{name: getattr(report, name) for name in _HISTORY_FIELDS},
    }


def report_from_dict(data: dict) -> PlanReport:
    return PlanReport(
        rooms_without_staff=tuple((int(x["round"]), x["room"]) for x in data.get("rooms_without_staff", [])),
        repeat_pairs=int(data.get("repeat_pairs", 0)),
        unavoidable_repeats=int(data.get("unavoidable_repeats", 0)),
        trade_offs=tuple(data.get("trade_offs", [])),
        **{name: int(data.get(name, 0)) for name in _HISTORY_FIELDS},
    )


# --- People as units -------------------------------------------------------------------------


class _People:
    """People by index, grouped into keep-together units, with what each unit carries."""

    def __init__(self, people: Sequence[PlanPerson], keep_together: Iterable[tuple[str, str]], staff_matters: bool):
        self.people = list(people)
        self.index: dict[str, int] = {}
        for i, person in enumerate(self.people):
            if person.id in self.index:
                raise PlanError("people", f"Person {person.id!r} is listed twice.")
            if person.joins_by not in JOINS_BY:
                raise PlanError("people", f"joins_by must be one of {', '.join(JOINS_BY)}.")
            self.index[person.id] = i
        n = len(self.people)
        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for pair in keep_together:
            if len(pair) != 2:
                raise PlanError("keep_together", "Each keep-together entry is a pair of two people.")
            a, b = pair
            if a not in self.index or b not in self.index:
                raise PlanError("keep_together", f"Keep-together names someone not in the plan: {a!r}, {b!r}.")
            ra, rb = root(self.index[a]), root(self.index[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        groups: dict[int, list[int]] = {}
        for i in range(n):
            groups.setdefault(root(i), []).append(i)
        self.units: list[tuple[int, ...]] = [tuple(g) for g in sorted(groups.values())]
        self.unit_of = [0] * n
        for u, members in enumerate(self.units):
            for p in members:
                self.unit_of[p] = u
        self.staff = [sum(self.people[p].is_staff for p in members) for members in self.units]
        self.phone = [sum(self.people[p].joins_by == PHONE for p in members) for members in self.units]
        # Units may only swap with units of the same kind, so sizes, staff and phone spread hold.
        self.kind = [
            (len(members), self.staff[u] if staff_matters else 0, self.phone[u])
            for u, members in enumerate(self.units)
        ]

    @property
    def n(self) -> int:
        return len(self.people)

    @property
    def staff_count(self) -> int:
        return sum(self.staff)

    @property
    def phone_count(self) -> int:
        return sum(self.phone)


# --- One round's rooms -----------------------------------------------------------------------


class _Rooms:
    """Rooms being filled for one round, with the counts the rules need."""

    def __init__(self, ppl: _People, count: int):
        self.ppl = ppl
        self.count = count
        self.base, extra = divmod(ppl.n, count)
        self.extra_left = extra  # rooms that may still grow to base + 1
        self.members: list[list[int]] = [[] for _ in range(count)]
        self.fill = [0] * count
        self.staff = [0] * count
        self.phone = [0] * count
        self.room_of_unit = [-1] * len(ppl.units)
        self.room_of_person = [-1] * ppl.n

    def fits(self, room: int, size: int) -> bool:
        after = self.fill[room] + size
        return after <= self.base or (after == self.base + 1 and self.extra_left > 0)

    def closed(self, room: int) -> bool:
        """Nothing more can go in (fill and extra_left only ever move one way)."""
        fill = self.fill[room]
        return fill > self.base or (fill == self.base and self.extra_left <= 0)

    def place(self, u: int, room: int) -> None:
        members = self.ppl.units[u]
        before = self.fill[room]
        after = before + len(members)
        if before <= self.base < after:
            self.extra_left -= 1
        self.fill[room] = after
        self.staff[room] += self.ppl.staff[u]
        self.phone[room] += self.ppl.phone[u]
        self.members[room].extend(members)
        self.room_of_unit[u] = room
        for p in members:
            self.room_of_person[p] = room

    def swap(self, u: int, v: int) -> None:
        """Exchange two units of the same kind: sizes and counts stay as they were."""
        a, b = self.room_of_unit[u], self.room_of_unit[v]
        mu, mv = self.ppl.units[u], self.ppl.units[v]
        self.members[a] = [p for p in self.members[a] if p not in mu] + list(mv)
        self.members[b] = [p for p in self.members[b] if p not in mv] + list(mu)
        self.room_of_unit[u], self.room_of_unit[v] = b, a
        for p in mu:
            self.room_of_person[p] = b
        for p in mv:
            self.room_of_person[p] = a

    def conflicts(self, u: int, met: list[set[int]]) -> dict[int, int]:
        """For each room, how many people already in it this unit has met before."""
        counts: dict[int, int] = {}
        where = self.room_of_person
        for p in self.ppl.units[u]:
            for m in met[p]:
                r = where[m]
                if r >= 0:
                    counts[r] = counts.get(r, 0) + 1
        return counts

    def met_in(self, u: int, room: int, met: list[set[int]], without: int = -1) -> int:
        """How many people in `room` (leaving out unit `without`) unit `u` has met before."""
        unit_of = self.ppl.unit_of
        count = 0
        for p in self.ppl.units[u]:
            seen = met[p]
            if not seen:
                continue
            for q in self.members[room]:
                if q in seen and unit_of[q] != without:
                    count += 1
        return count

    def repeats(self, met: list[set[int]]) -> int:
        total = 0
        for members in self.members:
            for i, p in enumerate(members):
                seen = met[p]
                if seen:
                    total += sum(1 for q in members[i + 1 :] if q in seen)
        return total


def _deal(
    rooms: _Rooms,
    units: Sequence[int],
    met: list[set[int]],
    key: Callable[[int], tuple],
    level: Callable[[int], int],
    rank: Sequence[int],
) -> int:
    """Place `units` one by one into the room that comes first by `key` and breaks no rule.

    `level` is the count this step spreads (staff or phone callers): a room at a higher level is
    only used when no room at a lower level can take the unit. Within a level a room with
    nobody the unit has met wins; after LOOKAHEAD rooms the least bad one is taken.
    Returns how many units had to go where they make a room too big.
    """
    heap = [(key(r), r) for r in range(rooms.count) if not rooms.closed(r)]
    heapq.heapify(heap)
    overflows = 0
    for u in units:
        size = len(rooms.ppl.units[u])
        conflicts = rooms.conflicts(u, met)
        popped: list[int] = []
        best, best_score = -1, None
        while heap and len(popped) < LOOKAHEAD:
            _, r = heapq.heappop(heap)
            if rooms.closed(r):
                continue
            popped.append(r)
            if best >= 0 and level(r) > best_score[0]:
                break
            if not rooms.fits(r, size):
                continue
            score = (level(r), conflicts.get(r, 0))
            if best_score is None or score < best_score:
                best, best_score = r, score
                if score[1] == 0:
                    break
        if best < 0:
            best = min(
                range(rooms.count),
                key=lambda r: (not rooms.fits(r, size), conflicts.get(r, 0), rooms.fill[r], rank[r]),
            )
            overflows += not rooms.fits(best, size)
        rooms.place(u, best)
        for r in popped:
            if not rooms.closed(r):
                heapq.heappush(heap, (key(r), r))
    return overflows


def _improve(rooms: _Rooms, movable: Sequence[int], met: list[set[int]], rng: random.Random) -> None:
    """Swap units of the same kind between rooms while that removes repeat meetings."""
    kind = rooms.ppl.kind
    peers: dict[tuple, list[int]] = {}
    for u in movable:
        peers.setdefault(kind[u], []).append(u)
    for _ in range(MAX_PASSES):
        troubled = [u for u in movable if rooms.met_in(u, rooms.room_of_unit[u], met) > 0]
        if not troubled:
            return
        rng.shuffle(troubled)
        improved = False
        for u in troubled:
            a = rooms.room_of_unit[u]
            cost_u = rooms.met_in(u, a, met)
            if cost_u == 0:
                continue
            same = peers[kind[u]]
            candidates = same if len(same) <= SWAP_SAMPLE else rng.sample(same, SWAP_SAMPLE)
            best, best_delta = -1, 0
            for v in candidates:
                b = rooms.room_of_unit[v]
                if b == a:
                    continue
                delta = (
                    rooms.met_in(u, b, met, without=v)
                    + rooms.met_in(v, a, met, without=u)
                    - cost_u
                    - rooms.met_in(v, b, met)
                )
                if delta < best_delta:
                    best, best_delta = v, delta
            if best >= 0:
                rooms.swap(u, best)
                improved = True
        if not improved:
            return


def _fill_round(
    ppl: _People,
    rooms: _Rooms,
    to_place: Sequence[int],
    met: list[set[int]],
    previous_room: Sequence[int],
    staff_per_room: int,
    rng: random.Random,
) -> int:
    """Deal `to_place` into `rooms` (which may already hold pinned units), then improve.

    Order: staff (when the format asks for them), then phone callers, then everyone else;
    within each, bigger units first, then grouped by last round's room, in a seeded order.
    """
    rank = list(range(rooms.count))
    rng.shuffle(rank)
    tiebreak = {u: rng.random() for u in to_place}

    def order(units: Iterable[int]) -> list[int]:
        return sorted(units, key=lambda u: (-len(ppl.units[u]), previous_room[u], tiebreak[u]))

    staff_units = order(u for u in to_place if staff_per_room and ppl.staff[u])
    phone_units = order(u for u in to_place if not (staff_per_room and ppl.staff[u]) and ppl.phone[u])
    rest = order(u for u in to_place if not (staff_per_room and ppl.staff[u]) and not ppl.phone[u])
    overflows = _deal(
        rooms, staff_units, met, lambda r: (rooms.staff[r], rooms.fill[r], rank[r]), lambda r: rooms.staff[r], rank
    )
    overflows += _deal(
        rooms, phone_units, met, lambda r: (rooms.phone[r], rooms.fill[r], rank[r]), lambda r: rooms.phone[r], rank
    )
    overflows += _deal(rooms, rest, met, lambda r: (rooms.fill[r], rank[r]), lambda r: 0, rank)
    _improve(rooms, to_place, met, rng)
    return overflows


# --- Whole plans -----------------------------------------------------------------------------


def _pairs_at_least(group: int, rooms: int) -> int:
    """Fewest pairs left together when `group` units are spread over `rooms` rooms."""
    a, b = divmod(group, rooms)
    return b * (a + 1) * a // 2 + (rooms - b) * a * (a - 1) // 2


def _room_count(ppl: _People, rules: PlanRules, notes: list[str]) -> int:
    n, units = ppl.n, len(ppl.units)
    if rules.room_count is not None:
        count = rules.room_count
    else:
        count = math.ceil(n / rules.room_size)
    if count > units:
        notes.append(f"Asked for {count} rooms but there are only {units} people or groups to place: made {units}.")
        count = units
    k, staff = rules.staff_per_room, ppl.staff_count
    if k and staff < count * k and rules.room_size is not None and staff >= k:
        fewer = staff // k
        biggest = math.ceil(n / fewer)
        if biggest <= rules.room_size + max(1, rules.room_size // 2):
            notes.append(
                f"Made {fewer} rooms of up to {biggest} instead of {count} rooms of up to {rules.room_size} "
                f"so that every room has {_staff_words(k)}."
            )
            count = fewer
    return count


def _staff_words(k: int) -> str:
    return "a staff member" if k == 1 else f"{k} staff members"


def _attempts(n: int) -> int:
    return max(1, min(MAX_ATTEMPTS, SMALL_PLAN_WORK // max(n, 1)))


def _build_round(
    ppl: _People,
    count: int,
    met: list[set[int]],
    previous_room: Sequence[int],
    staff_per_room: int,
    seed: int,
    number: int,
    pinned: dict[int, int] | None = None,
    floor: int = 0,
) -> tuple[_Rooms, int]:
    """Best of a few seeded attempts at one round (one attempt for big plans)."""
    pinned = pinned or {}
    to_place = [u for u in range(len(ppl.units)) if u not in pinned]
    best: tuple[_Rooms, int] | None = None
    best_repeats = -1
    for attempt in range(_attempts(ppl.n)):
        rng = random.Random(f"{seed}:{number}:{attempt}")
        rooms = _Rooms(ppl, count)
        for u, room in pinned.items():
            rooms.place(u, room)
        overflows = _fill_round(ppl, rooms, to_place, met, previous_room, staff_per_room, rng)
        repeats = rooms.repeats(met)
        if best is None or (overflows, repeats) < (best[1], best_repeats):
            best, best_repeats = (rooms, overflows), repeats
        if repeats <= floor and overflows == 0:
            break
    assert best is not None
    return best


def _lower_bound(rooms: _Rooms, next_count: int) -> int:
    """Repeats the next round cannot avoid: this round's roommates spread over `next_count` rooms."""
    units_in = [0] * rooms.count
    for r in rooms.room_of_unit:
        units_in[r] += 1
    return sum(_pairs_at_least(g, next_count) for g in units_in)


def _remember(ppl: _People, rooms: _Rooms, met: list[set[int]]) -> None:
    unit_of = ppl.unit_of
    for members in rooms.members:
        for p in members:
            seen = met[p]
            up = unit_of[p]
            seen.update(q for q in members if unit_of[q] != up)


def _to_round(
    ppl: _People, rooms: _Rooms, names: Sequence[str], number: int, led: list[int], staff_per_room: int,
    hosted: list[set[int]] | None = None,
) -> tuple[PlannedRound, list[tuple[int, str]]]:
    """The round as plain data. A room's leader is the staff member in it who recently led the
    fewest of its people (`hosted`: whom each staff member led before), then who led least."""
    planned, lacking = [], []
    for r in range(rooms.count):
        members = sorted(rooms.members[r])

        def led_before(p: int, members=members) -> int:
            return len(hosted[p].intersection(members)) if hosted else 0

        staff = sorted((p for p in members if ppl.people[p].is_staff), key=lambda p: (led_before(p), led[p], p))
        leader = staff[0] if staff else None
        if leader is not None:
            led[leader] += 1
            members.remove(leader)
            members.insert(0, leader)
        if staff_per_room and len(staff) < staff_per_room:
            lacking.append((number, names[r]))
        planned.append(
            PlannedRoom(
                name=names[r],
                members=tuple(ppl.people[p].id for p in members),
                leader=ppl.people[leader].id if leader is not None else None,
            )
        )
    return PlannedRound(number=number, rooms=tuple(planned)), lacking


def _explain_round(ppl: _People, rooms: _Rooms, number: int, overflows: int, notes: list[str]) -> None:
    sizes = [len(m) for m in rooms.members]
    if overflows and sizes:
        notes.append(
            f"Round {number}: room sizes run from {min(sizes)} to {max(sizes)} because keep-together "
            "groups could not otherwise stay together."
        )
    phones = ppl.phone_count
    if phones:
        even = math.ceil(phones / rooms.count)
        most = max(rooms.phone)
        if most > even:
            notes.append(f"Round {number}: up to {most} phone callers share a room (an even spread would be {even}).")


def _explain_staff(ppl: _People, lacking: list[tuple[int, str]], staff_per_room: int, notes: list[str]) -> None:
    if not lacking:
        return
    by_round: dict[int, list[str]] = {}
    for number, name in lacking:
        by_round.setdefault(number, []).append(name)
    for number, names in by_round.items():
        notes.append(
            f"Round {number}: {len(names)} room(s) without {_staff_words(staff_per_room)} "
            f"({', '.join(names)}); there are {ppl.staff_count} staff."
        )


def _explain_repeats(number: int, repeats: int, floor: int, count: int, notes: list[str]) -> None:
    if repeats:
        notes.append(
            f"Round {number}: {repeats} pair(s) meet again; with {count} rooms at least {floor} "
            "could not be avoided."
        )


def _history_sets(ppl: _People, history: MixingHistory | None) -> tuple[list[set[int]], list[set[int]]]:
    """`history` by index: whom each person met before, and whom each staff member led before."""
    met: list[set[int]] = [set() for _ in range(ppl.n)]
    hosted: list[set[int]] = [set() for _ in range(ppl.n)]
    if history is None:
        return met, hosted
    index, unit_of = ppl.index, ppl.unit_of
    for a, b in history.met:
        i, j = index.get(a), index.get(b)
        if i is not None and j is not None and unit_of[i] != unit_of[j]:
            met[i].add(j)
            met[j].add(i)
    for staff, person in history.hosted:
        i, j = index.get(staff), index.get(person)
        if i is not None and j is not None:
            hosted[i].add(j)
    return met, hosted


def _history_floor(ppl: _People, count: int, before: list[set[int]]) -> int:
    """Pairs who met before that a round of `count` rooms cannot avoid: someone in a room of at
    least `base` people who has not met `base - 1` of the others here must sit with someone they met."""
    need = ppl.n // count - 1
    short = 0
    for p in range(ppl.n):
        mates = len(ppl.units[ppl.unit_of[p]]) - 1  # keep-together partners are never a repeat
        strangers = ppl.n - 1 - mates - len(before[p])
        short += max(0, need - mates - strangers)
    return (short + 1) // 2


def _staff_repeats(ppl: _People, rnd: PlannedRound, hosted: list[set[int]]) -> int:
    count = 0
    for room in rnd.rooms:
        if room.leader is None:
            continue
        led = hosted[ppl.index[room.leader]]
        count += sum(1 for m in room.members if ppl.index[m] in led)
    return count


def _explain_history(history: MixingHistory, repeats: int, floor: int, staff_repeats: int, notes: list[str]) -> None:
    if not history.sessions:
        return
    last = f"the last {history.sessions} session{'s' if history.sessions != 1 else ''} of this kind"
    if repeats:
        why = (f"at least {floor} could not be avoided: some people have already met nearly everyone here"
               if floor else "the room rules (staff in every room, phone callers spread, people kept together) "
                             "left no swap that avoided them")
        notes.append(f"{repeats} pair(s) who met in {last} meet again; {why}.")
    if staff_repeats:
        notes.append(f"{staff_repeats} people are led by the same staff member as in {last}: there were too few "
                     "other staff to rotate.")


def plan_breakouts(
    people: Sequence[PlanPerson],
    rules: PlanRules,
    keep_together: Iterable[tuple[str, str]] = (),
    seed: int = 0,
    history: MixingHistory | None = None,
) -> RoomPlan:
    """Plan every round of breakout rooms for the people expected, and say what gave way.

    With `history`, people who met in recent sessions of the same kind are kept apart like people
    who met in an earlier round, and staff leaders rotate; the report counts both.
    """
    rules.check()
    ppl = _People(people, keep_together, staff_matters=rules.staff_per_room > 0)
    if ppl.n == 0:
        empty = tuple(PlannedRound(number=t + 1, rooms=()) for t in range(rules.rounds))
        return RoomPlan(rounds=empty, report=PlanReport(trade_offs=("Nobody to place yet.",)), seed=seed)
    notes: list[str] = []
    count = _room_count(ppl, rules, notes)
    names = [f"Room {r + 1}" for r in range(count)]
    before, hosted = _history_sets(ppl, history)
    met: list[set[int]] = [set(seen) for seen in before]  # what the planner avoids: history and earlier rounds
    in_plan: list[set[int]] = [set() for _ in range(ppl.n)]  # earlier rounds only, for the report
    led = [0] * ppl.n
    previous_room = [0] * len(ppl.units)
    planned, lacking_all = [], []
    total_repeats = total_floor = 0
    history_repeats = history_floor = staff_repeats = 0
    floor = 0
    round_history_floor = _history_floor(ppl, count, before)
    for number in range(1, rules.rounds + 1):
        rooms, overflows = _build_round(ppl, count, met, previous_room, rules.staff_per_room, seed, number,
                                        floor=floor + round_history_floor)
        repeats = rooms.repeats(in_plan)
        total_repeats += repeats
        total_floor += floor
        history_repeats += rooms.repeats(before)
        history_floor += round_history_floor
        _explain_round(ppl, rooms, number, overflows, notes)
        _explain_repeats(number, repeats, floor, count, notes)
        rnd, lacking = _to_round(ppl, rooms, names, number, led, rules.staff_per_room, hosted)
        staff_repeats += _staff_repeats(ppl, rnd, hosted)
        planned.append(rnd)
        lacking_all.extend(lacking)
        _remember(ppl, rooms, met)
        _remember(ppl, rooms, in_plan)
        floor = _lower_bound(rooms, count)
        previous_room = rooms.room_of_unit
    _explain_staff(ppl, lacking_all, rules.staff_per_room, notes)
    if history is not None:
        _explain_history(history, history_repeats, history_floor, staff_repeats, notes)
    report = PlanReport(
        rooms_without_staff=tuple(lacking_all),
        repeat_pairs=total_repeats,
        unavoidable_repeats=total_floor,
        trade_offs=tuple(notes),
        history_sessions=history.sessions if history else 0,
        history_repeats=history_repeats,
        unavoidable_history_repeats=history_floor,
        staff_repeats=staff_repeats,
    )
    return RoomPlan(rounds=tuple(planned), report=report, seed=seed)


@dataclass
class _Kept:
    """Live re-plan bookkeeping for the explanation."""

    kept: int = 0
    moved: list[str] = field(default_factory=list)
    new: int = 0


def replan_live(
    present: Sequence[PlanPerson],
    earlier: RoomPlan,
    rules: PlanRules,
    keep_together: Iterable[tuple[str, str]] = (),
    seed: int = 0,
    round_number: int = 1,
) -> RoomPlan:
    """Rooms for the people actually in the meeting now, keeping `earlier` rooms where possible.

    People keep their room from round `round_number` of the earlier plan while it survives and
    has space; rooms emptied by drop-outs close first; late arrivals (including unregistered and
    phone participants, known by display name) fill the gaps by the usual rules; and nobody is
    put with someone they already met in an earlier round when that can be helped.
    """
    rules.check()
    ppl = _People(present, keep_together, staff_matters=rules.staff_per_room > 0)
    if not 1 <= round_number <= max(1, len(earlier.rounds)):
        raise PlanError("round", f"round must be between 1 and {max(1, len(earlier.rounds))}.")
    if ppl.n == 0:
        rnd = PlannedRound(number=round_number, rooms=())
        return RoomPlan(rounds=(rnd,), report=PlanReport(trade_offs=("Nobody is in the meeting yet.",)), seed=seed)
    notes: list[str] = []
    count = _room_count(ppl, rules, notes)

    met: list[set[int]] = [set() for _ in range(ppl.n)]
    for rnd in earlier.rounds[: round_number - 1]:
        for room in rnd.rooms:
            here = [ppl.index[m] for m in room.members if m in ppl.index]
            for p in here:
                met[p].update(q for q in here if ppl.unit_of[q] != ppl.unit_of[p])

    target = earlier.rounds[round_number - 1].rooms if earlier.rounds else ()
    earlier_room: dict[int, int] = {}  # unit -> index into target
    for i, room in enumerate(target):
        for m in room.members:
            if m in ppl.index:
                earlier_room.setdefault(ppl.unit_of[ppl.index[m]], i)
    units_by_room: dict[int, list[int]] = {}
    for u, i in sorted(earlier_room.items()):
        units_by_room.setdefault(i, []).append(u)
    # Keep the rooms with staff present first, then the fullest, then the earlier order.
    survivors = sorted(
        units_by_room,
        key=lambda i: (-sum(ppl.staff[u] for u in units_by_room[i]), -len(units_by_room[i]), i),
    )[:count]
    survivors.sort()
    names = [target[i].name for i in survivors]
    taken = set(names)
    number = 1
    while len(names) < count:
        while f"Room {number}" in taken:
            number += 1
        names.append(f"Room {number}")
        taken.add(f"Room {number}")

    rooms_for_pins = _Rooms(ppl, count)
    pinned: dict[int, int] = {}
    for r, i in enumerate(survivors):
        units = sorted(units_by_room[i], key=lambda u: (-ppl.staff[u], u))
        for u in units:
            if rooms_for_pins.fits(r, len(ppl.units[u])):
                rooms_for_pins.place(u, r)
                pinned[u] = r
    kept = _Kept(kept=sum(len(ppl.units[u]) for u in pinned))
    kept.moved = [ppl.people[p].first_name for u in earlier_room if u not in pinned for p in ppl.units[u]]
    kept.new = ppl.n - kept.kept - len(kept.moved)

    previous_room = [earlier_room.get(u, -1) for u in range(len(ppl.units))]
    rooms, overflows = _build_round(
        ppl, count, met, previous_room, rules.staff_per_room, seed, round_number, pinned=pinned
    )
    repeats = rooms.repeats(met)
    notes.insert(0, f"Kept {kept.kept} people in their earlier rooms; placed {kept.new} who were not in the plan.")
    if kept.moved:
        notes.insert(1, f"Moved {len(kept.moved)} because their room closed or was full: {', '.join(kept.moved)}.")
    _explain_round(ppl, rooms, round_number, overflows, notes)
    _explain_repeats(round_number, repeats, 0, count, notes)
    # Whoever led a room before leads it again: `_to_round` picks the staff member led least.
    led = [0] * ppl.n
    for room in target:
        if room.leader in ppl.index:
            led[ppl.index[room.leader]] = -1
    rnd, lacking = _to_round(ppl, rooms, names, round_number, led, rules.staff_per_room)
    _explain_staff(ppl, lacking, rules.staff_per_room, notes)
    report = PlanReport(rooms_without_staff=tuple(lacking), repeat_pairs=repeats, trade_offs=tuple(notes))
    return RoomPlan(rounds=(rnd,), report=report, seed=seed)
