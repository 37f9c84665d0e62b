"""The printable host sheet: rooms, leaders, who must be moved by hand, access notes.

First names only (phone numbers shortened), semantic tables with captions and header cells, so
it reads well printed and with a screen reader. Pure: a string of HTML from plain data.
"""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import Environment, PackageLoader, select_autoescape

from zoombridge.planning.breakout import PlanPerson, RoomPlan
from zoombridge.planning.zoom_preassign import why_not_preassigned

_templates = Environment(
    loader=PackageLoader("zoombridge.planning", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def host_sheet_html(
    plan: RoomPlan,
    people: Iterable[PlanPerson],
    title: str,
    when: str = "",
    pushed_round: int | None = 1,
    recurring: bool = False,
    host: str = "",
) -> str:
    """The sheet; `host` is the Zoom user who hosts (starts) the meeting and opens the rooms."""
    by_id = {p.id: p for p in people}

    def name(person_id: str) -> str:
        person = by_id.get(person_id)
        return person.first_name if person else "(not registered)"

    rounds = []
    for rnd in plan.rounds:
        rooms = []
        for room in rnd.rooms:
            members = [by_id[m] for m in room.members if m in by_id]
            rooms.append(
                {
                    "name": room.name,
                    "leader": name(room.leader) if room.leader else None,
                    "people": [p.first_name for p in members],
                    "by_hand": [(p.first_name, why) for p in members if (why := why_not_preassigned(p))],
                    "access": [(p.first_name, need) for p in members for need in p.access_needs],
                }
            )
        rounds.append({"number": rnd.number, "rooms": rooms})
    return _templates.get_template("host_sheet.html").render(
        title=title,
        when=when,
        rounds=rounds,
        pushed_round=pushed_round,
        recurring=recurring,
        host=host,
        trade_offs=plan.report.trade_offs,
    )
