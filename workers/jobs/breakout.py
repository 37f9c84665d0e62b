"""Push a breakout plan's pre-assignment to Zoom and record what Zoom accepted.

Safe to run twice: PATCHing the same `settings.breakout_room` twice leaves Zoom as once. Rate
limits and Zoom outages are raised so RQ retries later; any other refusal is recorded on the plan
for staff to see, and the job ends.
"""

from __future__ import annotations

import logging

from zoombridge import logs, runtime
from zoombridge.planning.zoom_preassign import BeyondZoomLimits, pre_assignment
from zoombridge.store import db_session
from zoombridge.store.breakout_plans import planned_people, room_plan
from zoombridge.store.models import BreakoutPlan, Session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)


def _record(plan_id: int, result: dict, pushed: bool) -> dict:
    with db_session() as s:
        row = s.get(BreakoutPlan, plan_id)
        row.zoom_result = result
        if pushed:
            row.pushed_to_zoom_at = runtime.now()
    logs.event(log, "breakout_push", plan=plan_id, status=result["status"], rooms=result.get("rooms"))
    return result


def _what_zoom_holds(meeting_id: int, sent: list[dict]) -> dict:
    """Read the meeting back: which rooms and how many of our people Zoom kept."""
    try:
        meeting = current_zoom_client().get_meeting(meeting_id)
    except ZoomError:
        return {"confirmed": False}
    rooms = ((meeting.get("settings") or {}).get("breakout_room") or {}).get("rooms")
    if rooms is None:
        return {"confirmed": False}
    held = {(room.get("name"), email.lower()) for room in rooms for email in room.get("participants") or []}
    wanted = {(room["name"], email) for room in sent for email in room["participants"]}
    return {
        "confirmed": True,
        "rooms_held": len(rooms),
        "participants_held": len(held & wanted),
        "participants_dropped": len(wanted - held),
    }


def push_breakout_plan(plan_id: int, round_number: int = 1, allow_partial: bool = False) -> dict:
    with db_session() as s:
        row = s.get(BreakoutPlan, plan_id)
        if row is None:
            logs.event(log, "breakout_push_skipped", plan=plan_id, reason="no such plan")
            return {"status": "no such plan"}
        meeting_id = s.get(Session, row.session_id).zoom_meeting_id
        rounds = room_plan(row).rounds
        people = planned_people(row)
    base = {"round": round_number, "meeting_id": meeting_id}
    if meeting_id is None:
        return _record(plan_id, {**base, "status": "refused", "reason": "The session has no Zoom meeting."}, False)
    if not 1 <= round_number <= len(rounds):
        return _record(plan_id, {**base, "status": "refused", "reason": f"The plan has no round {round_number}."}, False)
    try:
        assignment = pre_assignment(rounds[round_number - 1], people, allow_partial)
    except BeyondZoomLimits as exc:
        return _record(plan_id, {**base, "status": "refused", "reason": str(exc)}, False)
    rooms = assignment.zoom_rooms()
    try:
        current_zoom_client().set_breakout_rooms(meeting_id, rooms)
    except (RateLimited, ZoomUnavailable):
        raise  # try again later (RQ retry)
    except ZoomError as exc:
        result = {**base, "status": "refused", "zoom_status": exc.status, "zoom_code": exc.code, "reason": exc.message}
        return _record(plan_id, result, False)
    result = {
        **base,
        "status": "accepted",
        "rooms": len(rooms),
        "participants": assignment.participants,
        "moved_by_hand": [
            {"person": x.person_id, "room": x.room, "reason": x.reason} for x in assignment.left_out
        ],
        **_what_zoom_holds(meeting_id, rooms),
    }
    return _record(plan_id, result, True)
