"""Default breakout rules per kind of session: the one place the planner's defaults live.

These mirror the `[formats.<kind>.breakouts]` tables of `config/formats.toml` (room size, staff
per room, rounds including the optional ones), which the formats loader (issue 5) owns. When that
loader is merged, `default_breakout_rules` should read the format instead of this table; callers
do not change. A staff member can override any rule per plan (the POST body).
"""

from __future__ import annotations

from zoombridge.planning.breakout import PlanRules

BY_KIND: dict[str, PlanRules] = {
    # A few people and one of our staff in each room; maybe a second breakout.
    "cuppa": PlanRules(room_size=4, staff_per_room=1, rounds=2),
    "themed-cuppa": PlanRules(room_size=4, staff_per_room=1, rounds=1),
    "co-production": PlanRules(room_size=5, staff_per_room=1, rounds=1),
    # Random rooms of three, then a second random round.
    "network": PlanRules(room_size=3, staff_per_room=0, rounds=2),
    "strategy": PlanRules(room_size=5, staff_per_room=1, rounds=1),
}
FALLBACK = PlanRules(room_size=4, staff_per_room=0, rounds=1)


def default_breakout_rules(kind: str) -> PlanRules:
    return BY_KIND.get(kind, FALLBACK)
