"""Push a breakout plan's pre-assignment to Zoom and record what Zoom accepted.

Zoom keeps one pre-assignment per meeting, for every occurrence of a recurring meeting, and
needs the host setting `in_meeting.breakout_room_schedule` (docs/zoom.md §6). So before pushing:

- a plan for a session of a series waits (queued at the earlier session's end) while the session
  before it on the same meeting has not ended, or it would overwrite that session's rooms;
- the host's setting is read and, if off, turned on and read back; if Zoom keeps it off the plan
  is refused with that reason.

Safe to run twice: PATCHing the same `settings.breakout_room` twice leaves Zoom as once. Rate
limits and Zoom outages are raised so RQ retries later (a daily limit: the job waits for it to
reset); any other refusal is recorded on the plan for staff to see, and the job ends.
"""

from __future__ import annotations

import logging

from workers.jobs.zoom_limits import waits_for_zoom
from zoombridge import logs, runtime
from zoombridge.planning.schedule import to_local
from zoombridge.planning.zoom_preassign import BeyondZoomLimits, pre_assignment
from zoombridge.queue import progress
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.sessions.hosts import host_of
from zoombridge.store import db_session
from zoombridge.store.breakout_plans import earlier_occurrence_running, planned_people, room_plan
from zoombridge.store.models import BreakoutPlan, Session
from zoombridge.zoom import current_zoom_client
from zoombridge.zoom.errors import RateLimited, ZoomError, ZoomUnavailable

log = logging.getLogger(__name__)
PRE_ASSIGN_SETTING = {"in_meeting": {"breakout_room": True, "breakout_room_schedule": True}}


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


def _pre_assign_allowed(host: str) -> str:
    """The host's pre-assignment setting: "on", "turned on" (it was off), or "off" (Zoom kept it off)."""
    client = current_zoom_client()
    if (client.get_user_settings(host).get("in_meeting") or {}).get("breakout_room_schedule"):
        return "on"
    client.update_user_settings(host, PRE_ASSIGN_SETTING)
    if (client.get_user_settings(host).get("in_meeting") or {}).get("breakout_room_schedule"):
        return "turned on"
    return "off"


def _plan_session(plan_id: int) -> tuple[int | None, str]:
    with db_session() as s:
        row = s.get(BreakoutPlan, plan_id)
        return (row.session_id if row else None), "sending the breakout plan to Zoom"


@waits_for_zoom("push-breakout:{0}", _plan_session)
def push_breakout_plan(plan_id: int, round_number: int = 1, allow_partial: bool = False) -> dict:
    now = runtime.now()
    with db_session() as s:
        row = s.get(BreakoutPlan, plan_id)
        if row is None:
            logs.event(log, "breakout_push_skipped", plan=plan_id, reason="no such plan")
            return {"status": "no such plan"}
        session = s.get(Session, row.session_id)
        meeting_id = session.zoom_meeting_id
        host = host_of(session)
        rounds = room_plan(row).rounds
        people = planned_people(row)
        running = earlier_occurrence_running(s, session, now)
        waiting = (to_local(running[0].starts_at), running[1]) if running else None
    base = {"round": round_number, "meeting_id": meeting_id}
    if meeting_id is None:
        return _record(plan_id, {**base, "status": "refused", "reason": "The session has no Zoom meeting."}, False)
    if not 1 <= round_number <= len(rounds):
        return _record(plan_id, {**base, "status": "refused", "reason": f"The plan has no round {round_number}."}, False)
    try:
        assignment = pre_assignment(rounds[round_number - 1], people, allow_partial)
    except BeyondZoomLimits as exc:
        return _record(plan_id, {**base, "status": "refused", "reason": str(exc)}, False)
    if waiting is not None:
        previous_start, retry_at = waiting
        enqueue_once(current_redis(), "workers.jobs.breakout.push_breakout_plan", plan_id, round_number, allow_partial,
                     job_id=f"push-breakout:{plan_id}:after:{retry_at:%Y%m%dT%H%M%SZ}", queue=ZOOM, at=retry_at)
        reason = (f"Zoom keeps one set of pre-assigned rooms for every date of this monthly meeting, so this plan "
                  f"is sent once the {previous_start:%-d %B} session has ended.")
        return _record(plan_id, {**base, "status": "queued", "until": retry_at.isoformat(), "reason": reason}, False)
    rooms = assignment.zoom_rooms()
    progress.report(1, 3)  # the steps: checked against Zoom's limits, sent to Zoom, read back
    try:
        host_setting = _pre_assign_allowed(host)
        if host_setting == "off":
            return _record(plan_id, {**base, "status": "refused", "host_setting": "off",
                                     "reason": "Pre-assigning breakout rooms is off for the Zoom host user and Zoom "
                                               "kept it off (in_meeting.breakout_room_schedule): ask the account "
                                               "admin to allow it."}, False)
        current_zoom_client().set_breakout_rooms(meeting_id, rooms, host=host)
    except (RateLimited, ZoomUnavailable):
        raise  # try again later (RQ retry, or the wait for a daily limit)
    except ZoomError as exc:
        result = {**base, "status": "refused", "zoom_status": exc.status, "zoom_code": exc.code, "reason": exc.message}
        return _record(plan_id, result, False)
    progress.report(2, 3)
    result = {
        **base,
        "status": "accepted",
        "host_setting": host_setting,
        "rooms": len(rooms),
        "participants": assignment.participants,
        "moved_by_hand": [
            {"person": x.person_id, "room": x.room, "reason": x.reason} for x in assignment.left_out
        ],
        **_what_zoom_holds(meeting_id, rooms),
    }
    progress.report(3, 3)
    return _record(plan_id, result, True)
