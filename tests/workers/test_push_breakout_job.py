"""The push-breakout job: PATCH the meeting's pre-assignment, read it back, record the result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.test_breakout_plan_api import make_session
from workers.jobs.breakout import push_breakout_plan
from zoombridge.store.models import BreakoutPlan, Person
from zoombridge.zoom.errors import RateLimited

MEETING = 85012345678
HOST = "host@example.org"
SETTINGS = f"/users/{HOST}/settings"


@pytest.fixture(autouse=True)
def host_may_pre_assign(zoom_api):
    """Zoom's answer for the host's pre-assignment setting (checked before every push)."""
    zoom_api.add("GET", SETTINGS, json={"in_meeting": {"breakout_room": True, "breakout_room_schedule": True}})


def make_plan(client, staff_headers, db, clock, people=9, phone=frozenset({2}), meeting_id=MEETING) -> dict:
    session_id = make_session(db, clock, "network", people=people, staff=0, phone=set(phone), meeting_id=meeting_id)
    plan = client.post(f"/api/v1/sessions/{session_id}/breakout-plan", json={"seed": 1}, headers=staff_headers).json
    return plan


def stored(db, plan_id: int) -> BreakoutPlan:
    with db() as s:
        return s.scalars(select(BreakoutPlan).where(BreakoutPlan.id == plan_id)).one()


def zoom_holds(rooms: list[dict]) -> dict:
    return {"id": MEETING, "settings": {"breakout_room": {"enable": True, "rooms": rooms}}}


def test_a_pushed_plan_is_patched_to_zoom_and_what_zoom_kept_is_recorded(
    client, staff_headers, db, clock, zoom_api, run_jobs
):
    plan = make_plan(client, staff_headers, db, clock)
    with db() as s:
        email = {f"person:{p.id}": p.email for p in s.scalars(select(Person))}
    expected = [
        {"name": room["name"],
         "participants": [email[m] for m in room["members"] if plan["people"][m]["joins_by"] == "video"]}
        for room in plan["rounds"][0]["rooms"]
    ]
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    resp = client.post(f"/api/v1/sessions/{plan['session_id']}/breakout-plan/push", headers=staff_headers)
    assert resp.status_code == 202
    zoom_api.add("GET", f"/meetings/{MEETING}", json=zoom_holds(expected[:-1]))  # Zoom kept all but one room
    assert run_jobs() == 1
    assert not run_jobs.failed()
    patch = [c for c in zoom_api.calls if c.method == "PATCH"][0]
    assert zoom_api.operation_ids()[:2] == ["userSettings", "meetingUpdate"]  # the host setting first
    assert patch.body == {"settings": {"breakout_room": {"enable": True, "rooms": expected}}}
    row = stored(db, plan["id"])
    assert row.pushed_to_zoom_at == clock.now()
    result = row.zoom_result
    assert result["status"] == "accepted"
    assert result["rooms"] == 3 and result["participants"] == 8
    assert result["moved_by_hand"] == [
        {"person": m, "room": room["name"], "reason": "joins by phone"}
        for room in plan["rounds"][0]["rooms"] for m in room["members"] if plan["people"][m]["joins_by"] == "phone"
    ]
    assert result["confirmed"] is True
    assert result["rooms_held"] == 2
    assert result["participants_dropped"] == len(expected[-1]["participants"])


def test_pushing_twice_sends_the_same_assignment_and_records_the_same_result(
    app, client, staff_headers, db, clock, zoom_api
):
    plan = make_plan(client, staff_headers, db, clock)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING, "settings": {}})
    with app.app_context():
        first = push_breakout_plan(plan["id"])
        second = push_breakout_plan(plan["id"])
    patches = [c.body for c in zoom_api.calls if c.method == "PATCH"]
    assert len(patches) == 2 and patches[0] == patches[1]
    assert first == second
    assert first["confirmed"] is False  # Zoom's answer did not show the rooms: not claimed as confirmed


def test_a_refusal_from_zoom_is_recorded_and_the_plan_is_not_marked_pushed(
    app, client, staff_headers, db, clock, zoom_api
):
    plan = make_plan(client, staff_headers, db, clock)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=404, json={"code": 3001, "message": "Meeting does not exist"})
    with app.app_context():
        result = push_breakout_plan(plan["id"])
    assert result["status"] == "refused" and result["zoom_code"] == 3001
    row = stored(db, plan["id"])
    assert row.pushed_to_zoom_at is None
    assert row.zoom_result["reason"] == "Meeting does not exist"


def test_a_rate_limit_is_raised_so_the_job_runs_again_later(app, client, staff_headers, db, clock, zoom_api):
    plan = make_plan(client, staff_headers, db, clock)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=429, headers={"Retry-After": "3600"},
                 json={"code": 429, "message": "slow down"})
    with app.app_context(), pytest.raises(RateLimited):
        push_breakout_plan(plan["id"])
    row = stored(db, plan["id"])
    assert row.pushed_to_zoom_at is None and row.zoom_result is None


def test_a_plan_for_a_session_without_a_meeting_is_refused_without_calling_zoom(
    app, client, staff_headers, db, clock, zoom_api
):
    plan = make_plan(client, staff_headers, db, clock, meeting_id=None)
    with app.app_context():
        result = push_breakout_plan(plan["id"])
    assert result["status"] == "refused"
    assert zoom_api.calls == []


def test_a_plan_that_no_longer_exists_is_skipped(app, zoom_api):
    with app.app_context():
        assert push_breakout_plan(12345) == {"status": "no such plan"}
    assert zoom_api.calls == []
