"""The push-breakout job: PATCH the meeting's pre-assignment, read it back, record the result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.test_breakout_plan_api import make_session
from workers.jobs.breakout import push_breakout_plan
from zoombridge.people import details
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


# --- issue 14: one pre-assignment for every date of a recurring meeting, and the host setting ---

def cuppa_series(db, clock, meeting_id=MEETING) -> tuple[int, int]:
    """This month's and next month's Cuppa, one recurring Zoom meeting; this month's is tomorrow."""
    from datetime import timedelta

    from zoombridge.store.models import Registration, Session, SessionSeries

    now = clock.now()
    with db() as s:
        series = SessionSeries(kind="cuppa", title="Co-Pro Cuppa", created_at=now)
        s.add(series)
        s.flush()
        this, nxt = (Session(kind="cuppa", title="Co-Pro Cuppa", starts_at=now + timedelta(days=d), duration_minutes=90,
                             created_at=now, updated_at=now, zoom_meeting_id=meeting_id, zoom_meeting_state="created",
                             series_id=series.id) for d in (1, 29))
        s.add_all([this, nxt])
        s.flush()
        for i in range(8):
            person = details.add_person(s, first_name=f"P{i}", email=f"p{i}@example.org", is_staff=i < 2, now=now)
            s.add(Registration(session_id=nxt.id, person_id=person.id, created_at=now))
        return this.id, nxt.id


def test_next_months_plan_waits_until_this_months_cuppa_has_ended_then_is_pushed(
        client, staff_headers, db, clock, zoom_api, run_jobs):
    from datetime import timedelta

    from zoombridge.store.models import Session

    this, nxt = cuppa_series(db, clock)
    plan = client.post(f"/api/v1/sessions/{nxt}/breakout-plan", json={"seed": 1}, headers=staff_headers).json
    resp = client.post(f"/api/v1/sessions/{nxt}/breakout-plan/push", headers=staff_headers)
    this_ends = clock.now() + timedelta(days=1, minutes=90)
    assert resp.status_code == 202 and resp.json["waits_until"] == this_ends.isoformat()
    run_jobs()
    assert zoom_api.calls == []  # this month's rooms are still in Zoom: nothing sent
    queued = stored(db, plan["id"]).zoom_result
    assert queued["status"] == "queued" and queued["until"] == this_ends.isoformat()
    assert "sent once the 25 November session has ended" in queued["reason"]
    page = client.get(f"/api/v1/sessions/{nxt}/breakout-plan", headers=staff_headers).json
    assert page["zoom_result"]["status"] == "queued"

    with db() as s:  # the meeting ends (meeting.ended, via attendance ingest)
        s.get(Session, this).ended_at = this_ends - timedelta(minutes=5)
    clock.set(this_ends)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING, "settings": {}})
    run_jobs()
    row = stored(db, plan["id"])
    assert row.zoom_result["status"] == "accepted" and row.pushed_to_zoom_at == this_ends
    assert [c.operation_id for c in zoom_api.calls] == ["userSettings", "meetingUpdate", "meeting"]


def test_a_meeting_zoom_never_reported_ended_frees_the_plan_three_hours_after_its_end(
        client, staff_headers, db, clock, zoom_api, run_jobs):

    this, nxt = cuppa_series(db, clock)
    plan = client.post(f"/api/v1/sessions/{nxt}/breakout-plan", json={"seed": 1}, headers=staff_headers).json
    client.post(f"/api/v1/sessions/{nxt}/breakout-plan/push", headers=staff_headers)
    run_jobs()
    clock.advance(days=1, minutes=90)  # this month's scheduled end: no meeting.ended has come
    run_jobs()
    assert stored(db, plan["id"]).zoom_result["status"] == "queued"  # looked again, still waiting
    clock.advance(hours=3)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING, "settings": {}})
    run_jobs()
    assert stored(db, plan["id"]).zoom_result["status"] == "accepted"


def test_pre_assignment_off_for_the_host_is_turned_on_before_the_push(app, client, staff_headers, db, clock, zoom_api):
    plan = make_plan(client, staff_headers, db, clock)
    off = {"in_meeting": {"breakout_room": True, "breakout_room_schedule": False}}
    zoom_api.rsps.reset()  # the autouse answer says "on"; this host has it off until PATCHed
    zoom_api.rsps.add_callback("POST", zoom_api.oauth_base + "/oauth/token", callback=zoom_api._token)
    zoom_api.add("GET", SETTINGS, json=off)
    zoom_api.add("GET", SETTINGS, json={"in_meeting": {"breakout_room": True, "breakout_room_schedule": True}})
    zoom_api.add("PATCH", SETTINGS, status=204)
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING, "settings": {}})
    with app.app_context():
        result = push_breakout_plan(plan["id"])
    assert result["status"] == "accepted" and result["host_setting"] == "turned on"
    settings_patch = [c for c in zoom_api.calls if c.operation_id == "userSettingsUpdate"][0]
    assert settings_patch.body == {"in_meeting": {"breakout_room": True, "breakout_room_schedule": True}}


def test_pre_assignment_zoom_keeps_off_refuses_the_push_with_the_reason(app, client, staff_headers, db, clock, zoom_api):
    plan = make_plan(client, staff_headers, db, clock)
    zoom_api.rsps.reset()
    zoom_api.rsps.add_callback("POST", zoom_api.oauth_base + "/oauth/token", callback=zoom_api._token)
    zoom_api.add("GET", SETTINGS, json={"in_meeting": {"breakout_room": True, "breakout_room_schedule": False}})
    zoom_api.add("PATCH", SETTINGS, status=204)  # accepted, and ignored: the account locks it off
    with app.app_context():
        result = push_breakout_plan(plan["id"])
    assert result["status"] == "refused" and result["host_setting"] == "off"
    assert "breakout_room_schedule" in result["reason"]
    assert not any(c.operation_id == "meetingUpdate" for c in zoom_api.calls)
    assert stored(db, plan["id"]).pushed_to_zoom_at is None
