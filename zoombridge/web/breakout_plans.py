"""Staff API for breakout plans: make, read, export (CSV, host sheet), push to Zoom, re-plan live.

Thin: parse and check the request, call the pure planner and renderers, store, enqueue. Each
view's work is a plain function (`new_plan`, `plan_answer`, `push`, ...) that the staff pages
call too, so pages never go through these JSON views.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, Field

from zoombridge import runtime
from zoombridge.planning.breakout import (
    PlanError,
    PlanPerson,
    PlanReport,
    PlanRules,
    RoomPlan,
    plan_breakouts,
    replan_live,
)
from zoombridge.planning.host_sheet import host_sheet_html
from zoombridge.planning.zoom_preassign import BeyondZoomLimits, pre_assignment
from zoombridge.queue.connection import current_redis
from zoombridge.queue.queues import ZOOM, enqueue_once
from zoombridge.sessions.hosts import host_of
from zoombridge.sessions.records import format_for
from zoombridge.store import breakout_plans as plans
from zoombridge.store import db_session
from zoombridge.store.models import BreakoutPlan, Session
from zoombridge.web import openapi
from zoombridge.web.errors import ApiError, invalid
from zoombridge.web.input_guards import whole_number
from zoombridge.web.openapi import Closed

blueprint = Blueprint("breakout_plans", __name__, url_prefix="/sessions/<int:session_id>")  # under /api/v1

RULE_FIELDS = ("room_size", "room_count", "staff_per_room", "rounds", "seed", "keep_together", "remember_sessions")
LIVE_FIELDS = (*RULE_FIELDS, "round")
PUSH_FIELDS = ("round", "partial", "plan")
MAX_SEED = 2**62


# --- the contract (zoombridge.web.openapi): what these views take and answer ---------------

class PlanRulesIn(Closed):
    """Rules for the rooms; each left out is the session format's (room_size or room_count)."""

    room_size: int | None = Field(None, description="People a room (2 up); or give room_count")
    room_count: int | None = Field(None, description="How many rooms; or give room_size")
    staff_per_room: int | None = None
    rounds: int | None = None
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Repeat a plan exactly; random when left out")
    keep_together: list[list[int]] = Field([], description="[person id, person id] pairs kept in one room")


class LivePlanIn(PlanRulesIn):
    round: int | None = Field(None, ge=1, le=10, description="The round being re-planned (default 1)")


class PushIn(Closed):
    round: int | None = Field(None, ge=1, description="The round to send to Zoom (default 1)")
    partial: bool = Field(False, description="Send what fits Zoom's limits; the rest are moved by hand")
    plan: int | None = Field(None, ge=1, description="A plan id (default: the latest)")


class PlannedPerson(BaseModel):
    first_name: str
    is_staff: bool
    joins_by: str
    access_needs: list[str]


class PlanSummary(BaseModel):
    id: int
    created_at: datetime
    created_by: str
    source: str
    seed: int
    rounds: int
    repeat_pairs: int
    pushed_to_zoom_at: datetime | None


class Plan(BaseModel):
    id: int
    session_id: int
    created_at: datetime
    created_by: str
    source: str = Field(description="registrations, or live")
    seed: int
    rules: dict[str, Any]
    rounds: list[dict[str, Any]] = Field(description="Each round's rooms: name, leader and members (person ids)")
    people: dict[str, PlannedPerson] = Field(description="Everyone planned, by person id; no emails")
    report: dict[str, Any]
    pushed_to_zoom_at: datetime | None
    zoom_result: dict[str, Any] | None


class PlanWithHistory(Plan):
    history: list[PlanSummary]


class PlanChoice(BaseModel):
    plan: str | None = Field(None, description="A plan id (default: the latest)")


class RoundChoice(PlanChoice):
    round: str | None = Field(None, description="The round (default 1)")


class Pushed(BaseModel):
    plan: int
    round: int
    job: str
    rooms: int
    pre_assigned: int
    moved_by_hand: int
    recurring: bool


def _body(allowed: tuple[str, ...]) -> dict:
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "Send a JSON object.")
    for key in body:
        if key not in allowed:
            raise invalid(key, f"Unknown field {key!r}; expected some of: {', '.join(allowed)}.")
    return body


def _whole(body: dict, name: str, default, low: int, high: int):
    """A whole-number field; left out or null, it is `default`."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(name, f"{name} must be a whole number from {low} to {high}.")
    return value


def _rules(body: dict, session: Session) -> PlanRules:
    """The plan's rules: the body's, else the session's format with its overrides applied
    (`config/formats.toml` `[formats.<kind>.breakouts]`, the one place they are written)."""
    rules = format_for(session).breakouts
    if rules is None and "room_size" not in body and "room_count" not in body:
        raise invalid("room_size", f"Sessions of kind {session.kind!r} have no breakout rooms in formats.toml; "
                                   "give room_size or room_count.")
    room_size, room_count = (rules.room_size, None) if rules else (None, None)
    if "room_size" in body or "room_count" in body:  # one replaces the default other
        room_size, room_count = body.get("room_size"), body.get("room_count")
    plan_rules = PlanRules(
        room_size=room_size,
        room_count=room_count,
        staff_per_room=body.get("staff_per_room", rules.staff_per_room if rules else 0),
        rounds=body.get("rounds", rules.all_rounds if rules else 1),
    )
    try:
        return plan_rules.check()
    except PlanError as exc:
        raise invalid(exc.field, exc.message) from exc


def _remember(body: dict, session: Session) -> int:
    """How many earlier sessions of the same kind the plan remembers (who met whom)."""
    rules = format_for(session).breakouts
    return _whole(body, "remember_sessions", rules.remember_sessions if rules else 0, 0, 24)


def _keep_together(body: dict) -> list[tuple[str, str]]:
    raw = body.get("keep_together", [])
    pairs = []
    if not isinstance(raw, list):
        raise invalid("keep_together", "keep_together is a list of [person id, person id] pairs.")
    for pair in raw:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in pair)
        ):
            raise invalid("keep_together", "keep_together is a list of [person id, person id] pairs.")
        pairs.append((plans.person_key(pair[0]), plans.person_key(pair[1])))
    return pairs


def _seed(body: dict) -> int:
    seed = _whole(body, "seed", None, 0, MAX_SEED)
    return secrets.randbelow(MAX_SEED) if seed is None else seed


def _session(s, session_id: int) -> Session:
    session = s.get(Session, session_id)
    if session is None:
        raise ApiError(404, "not_found", f"There is no session {session_id}.")
    return session


def _plan_row(s, session_id: int, plan_id: str | None) -> BreakoutPlan:
    number = None if plan_id in (None, "") else whole_number(plan_id, 1)
    if plan_id not in (None, "") and number is None:
        raise invalid("plan", "plan must be a plan id.")
    row = plans.find_plan(s, session_id, number)
    if row is None:
        raise ApiError(404, "not_found", f"Session {session_id} has no breakout plan yet." if not plan_id
                       else f"Session {session_id} has no breakout plan {plan_id}.")
    return row


def _round_arg(row: BreakoutPlan, raw) -> int:
    if raw is None:
        return 1
    if isinstance(raw, str):
        raw = whole_number(raw)
        if raw is None:
            raise invalid("round", "round must be a round number.")
    return _whole({"round": raw}, "round", 1, 1, max(1, row.round_count))


def _describe(row: BreakoutPlan) -> dict:
    people = plans.planned_people(row)
    return {
        "id": row.id,
        "session_id": row.session_id,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "source": row.source,
        "seed": row.seed,
        "rules": row.rules,
        "rounds": row.plan["rounds"],
        # First names and how people join; emails stay out of API answers (the CSV has them).
        "people": {
            p.id: {
                "first_name": p.first_name,
                "is_staff": p.is_staff,
                "joins_by": p.joins_by,
                "access_needs": list(p.access_needs),
            }
            for p in people
        },
        "report": row.report,
        "pushed_to_zoom_at": row.pushed_to_zoom_at.isoformat() if row.pushed_to_zoom_at else None,
        "zoom_result": row.zoom_result,
    }


def _summary(row: BreakoutPlan) -> dict:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "source": row.source,
        "seed": row.seed,
        "rounds": row.round_count,
        "repeat_pairs": row.report.get("repeat_pairs", 0),
        "pushed_to_zoom_at": row.pushed_to_zoom_at.isoformat() if row.pushed_to_zoom_at else None,
    }


def _plan_or_400(make) -> RoomPlan:
    try:
        return make()
    except PlanError as exc:
        raise invalid(exc.field, exc.message) from exc


@blueprint.post("/breakout-plan")
@openapi.operation(body=PlanRulesIn, body_required=False, responses={201: Plan}, errors=(400, 404))
def make_plan(session_id: int):
    """Plan the session's breakout rooms from its registrations, and keep the plan."""
    return jsonify(new_plan(session_id, _body(RULE_FIELDS), g.staff_name)), 201


def new_plan(session_id: int, body: dict, actor: str) -> dict:
    """Plan the session's rooms from its registrations, and keep the plan."""
    with db_session() as s:
        session = _session(s, session_id)
        rules, pairs, seed = _rules(body, session), _keep_together(body), _seed(body)
        remember = _remember(body, session)
        people = plans.expected_people(s, session)
        history = plans.mixing_history(s, session, remember)
        plan = _plan_or_400(lambda: plan_breakouts(people, rules, pairs, seed=seed, history=history))
        row = plans.save_plan(s, session, plan, people, rules, pairs, actor, runtime.now(), "registrations",
                              remember_sessions=remember)
        return _describe(row)


@blueprint.get("/breakout-plan")
@openapi.operation(query=PlanChoice, responses={200: PlanWithHistory}, errors=(400, 404))
def show_plan(session_id: int):
    """The latest plan (or the one named), with the history of earlier ones."""
    return jsonify(plan_answer(session_id, request.args.get("plan")))


def plan_answer(session_id: int, plan_id: str | None = None) -> dict:
    """The session's latest plan (or plan `plan_id`), with the history of earlier ones."""
    with db_session() as s:
        _session(s, session_id)
        row = _plan_row(s, session_id, plan_id)
        answer = _describe(row)
        answer["history"] = [_summary(r) for r in plans.plan_history(s, session_id)]
    return answer


@blueprint.get("/breakout-plan.csv")
@openapi.operation(query=RoundChoice, responses={200: {"text/csv": None}}, errors=(400, 404))
def plan_csv(session_id: int):
    """One round as Zoom's pre-assignment CSV, for the host to import."""
    return plan_csv_response(session_id, request.args.get("plan"), request.args.get("round"))


def plan_csv_response(session_id: int, plan_id: str | None, round_arg: str | None) -> Response:
    """One round of a plan as Zoom's pre-assignment CSV, for the host to import."""
    with db_session() as s:
        _session(s, session_id)
        row = _plan_row(s, session_id, plan_id)
        number = _round_arg(row, round_arg)
        planned = plans.room_plan(row).rounds[number - 1]
        # A CSV import has no Zoom limit to respect: the host sees every row.
        text = pre_assignment(planned, plans.planned_people(row), allow_partial=True).csv()
    filename = f"breakout-session-{session_id}-plan-{row.id}-round-{number}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@blueprint.get("/breakout-plan/host-sheet")
@openapi.operation(query=PlanChoice, responses={200: {"text/html": None}}, errors=(400, 404))
def host_sheet(session_id: int):
    """The printable sheet the host runs the rooms from."""
    return host_sheet_response(session_id, request.args.get("plan"))


def host_sheet_response(session_id: int, plan_id: str | None) -> Response:
    """The printable sheet the host runs the rooms from."""
    with db_session() as s:
        session = _session(s, session_id)
        row = _plan_row(s, session_id, plan_id)
        pushed = (row.zoom_result or {}).get("round") if row.pushed_to_zoom_at else 1
        html = host_sheet_html(
            plans.room_plan(row),
            plans.planned_people(row),
            title=session.title,
            when=_local_time(session.starts_at),
            pushed_round=pushed,
            recurring=session.series_id is not None,
            host=host_of(session),
        )
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _local_time(moment) -> str:
    local = moment.astimezone(ZoneInfo(runtime.settings().timezone))
    return local.strftime("%A %-d %B %Y, %H:%M")


@blueprint.post("/breakout-plan/push")
@openapi.operation(body=PushIn, body_required=False, responses={202: Pushed}, errors=(400, 404, 409, 422))
def push_plan(session_id: int):
    """Send a round's pre-assignment to Zoom (by a job), once it fits Zoom's limits."""
    return jsonify(push(session_id, _body(PUSH_FIELDS))), 202


def push(session_id: int, body: dict) -> dict:
    """Check a round fits Zoom's pre-assignment limits and queue the job that sends it to Zoom."""
    partial = body.get("partial", False)
    if not isinstance(partial, bool):
        raise invalid("partial", "partial must be true or false.")
    with db_session() as s:
        session = _session(s, session_id)
        plan_id = _whole(body, "plan", None, 1, 2**62)
        row = plans.find_plan(s, session_id, plan_id)
        if row is None:
            raise ApiError(404, "not_found", f"Session {session_id} has no breakout plan to push.")
        number = _round_arg(row, body.get("round"))
        if session.zoom_meeting_id is None:
            raise ApiError(409, "no_meeting", "This session has no Zoom meeting yet; push the plan once it has.")
        try:
            assignment = pre_assignment(plans.room_plan(row).rounds[number - 1], plans.planned_people(row), partial)
        except BeyondZoomLimits as exc:
            raise ApiError(422, "beyond_zoom_limits", str(exc), field="partial") from exc
        plan_id = row.id
        running = plans.earlier_occurrence_running(s, session, runtime.now())
    job = enqueue_once(
        current_redis(),
        "workers.jobs.breakout.push_breakout_plan",
        plan_id,
        number,
        partial,
        job_id=f"push-breakout:{plan_id}",
        queue=ZOOM,
    )
    return {
        "plan": plan_id,
        "round": number,
        "job": job.id,
        "rooms": len(assignment.rooms),
        "pre_assigned": assignment.participants,
        "moved_by_hand": len(assignment.left_out),
        "recurring": session.series_id is not None,
        # Zoom keeps one pre-assignment for every date of a recurring meeting: the push waits
        # until the session before this one on the meeting has ended (the job re-checks).
        "waits_until": running[1].isoformat() if running else None,
    }


@blueprint.post("/breakout-plan/live")
@openapi.operation(body=LivePlanIn, body_required=False, responses={201: Plan}, errors=(400, 404))
def live_plan(session_id: int):
    """Re-plan a round for the people in the meeting now, keeping rooms as they were where it can."""
    body = _body(LIVE_FIELDS)
    with db_session() as s:
        session = _session(s, session_id)
        rules, pairs, seed = _rules(body, session), _keep_together(body), _seed(body)
        present = plans.present_people(s, session)
        earlier_row = plans.find_plan(s, session_id)
        earlier = plans.room_plan(earlier_row) if earlier_row else RoomPlan(rounds=(), report=PlanReport())
        number = _whole(body, "round", 1, 1, 10)
        pairs = _pairs_present(pairs, present)
        plan = _plan_or_400(lambda: replan_live(present, earlier, rules, pairs, seed=seed, round_number=number))
        row = plans.save_plan(s, session, plan, present, rules, pairs, g.staff_name, runtime.now(), "live")
        answer = _describe(row)
    return jsonify(answer), 201


def _pairs_present(pairs: list[tuple[str, str]], present: list[PlanPerson]) -> list[tuple[str, str]]:
    """In a live meeting a keep-together pair only matters when both of them are there."""
    here = {p.id for p in present}
    return [pair for pair in pairs if pair[0] in here and pair[1] in here]

