"""The Zoom stand-in: answers shaped as the spec says, refusals as Zoom refuses, faults on demand.

The app runs with `check_responses=True`: any 2xx answer that does not match the spec's
response schema comes back as a 500, so every successful call here is also a schema check.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from zoombridge.clock import ManualClock
from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.sandbox.app import STATE_KEY, create_standin_app
from zoombridge.sandbox.state import StandinState

HOST = "host@example.org"
BASIC = "Basic " + base64.b64encode(f"{STANDIN_CLIENT_ID}:{STANDIN_CLIENT_SECRET}".encode()).decode()
CUPPA = {"topic": "Co-Pro Cuppa", "type": 8, "start_time": "2027-01-05T10:00:00", "timezone": "Europe/London",
         "duration": 90, "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3,
                                        "end_times": 3},
         "settings": {"waiting_room": True, "approval_type": 1, "registration_type": 1, "audio": "both",
                      "global_dial_in_countries": ["GB"]}}


@pytest.fixture
def standin_clock():
    return ManualClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def standin(standin_clock):
    app = create_standin_app(StandinState(clock=standin_clock, seed=3), check_responses=True, sleep=lambda s: None)
    return app.test_client()


@pytest.fixture
def auth(standin):
    answer = standin.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                          headers={"Authorization": BASIC})
    assert answer.status_code == 200
    return {"Authorization": "Bearer " + answer.json["access_token"]}


@pytest.fixture
def cuppa(standin, auth):
    answer = standin.post(f"/v2/users/{HOST}/meetings", json=CUPPA, headers=auth)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_token_needs_the_standin_credentials_and_account(standin):
    wrong = "Basic " + base64.b64encode(b"someone:else").decode()
    assert standin.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                        headers={"Authorization": wrong}).json["error"] == "invalid_client"
    assert standin.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": "other"},
                        headers={"Authorization": BASIC}).status_code == 400


def test_calls_without_a_valid_token_get_zoom_124(standin, auth, standin_clock):
    assert standin.get(f"/v2/users/{HOST}/settings").json == {"code": 124, "message": "Invalid access token."}
    standin_clock.advance(seconds=3601)
    assert standin.get(f"/v2/users/{HOST}/settings", headers=auth).status_code == 401


def test_monthly_meeting_has_first_tuesday_occurrences_and_dial_in_numbers(cuppa):
    assert [o["start_time"] for o in cuppa["occurrences"]] == [
        "2027-01-05T10:00:00Z", "2027-02-02T10:00:00Z", "2027-03-02T10:00:00Z"]
    assert cuppa["occurrences"][0]["occurrence_id"] == str(int(datetime(2027, 1, 5, 10, tzinfo=UTC).timestamp()) * 1000)
    assert cuppa["settings"]["global_dial_in_numbers"][0]["country"] == "GB"
    assert cuppa["settings"]["waiting_room"] is True and cuppa["type"] == 8


def test_bodies_zoom_refuses_are_refused_with_code_300_naming_the_field(standin, auth):
    answer = standin.post(f"/v2/users/{HOST}/meetings", json={**CUPPA, "recurrence": {"type": 9}}, headers=auth)
    assert answer.status_code == 400
    assert answer.json["code"] == 300
    assert {"field": "recurrence.type", "message": "9 is not one of [1, 2, 3]"} in answer.json["errors"]
    assert standin.post(f"/v2/users/{HOST}/meetings", data="{not json", headers={
        **auth, "Content-Type": "application/json"}).json["code"] == 300


def test_s2s_calls_must_name_the_user_not_me(standin, auth):
    assert standin.get("/v2/users/me/settings", headers=auth).json["code"] == 1001
    assert standin.post("/v2/users/nobody/meetings", json=CUPPA, headers=auth).json["code"] == 1001


def test_get_update_and_delete_meetings_and_occurrences(standin, auth, cuppa):
    mid = cuppa["id"]
    assert standin.patch(f"/v2/meetings/{mid}", json={"agenda": "Bring a cuppa"}, headers=auth).status_code == 204
    got = standin.get(f"/v2/meetings/{mid}", headers=auth).json
    assert got["agenda"] == "Bring a cuppa" and got["uuid"] and got["status"] == "waiting"
    second = cuppa["occurrences"][1]["occurrence_id"]
    one = standin.get(f"/v2/meetings/{mid}?occurrence_id={second}", headers=auth).json
    assert one["start_time"] == "2027-02-02T10:00:00Z"
    assert standin.delete(f"/v2/meetings/{mid}?occurrence_id={second}", headers=auth).status_code == 204
    statuses = [o["status"] for o in standin.get(f"/v2/meetings/{mid}", headers=auth).json["occurrences"]]
    assert statuses == ["available", "deleted", "available"]
    listed = standin.get(f"/v2/users/{HOST}/meetings?type=upcoming", headers=auth).json
    assert [m["id"] for m in listed["meetings"]] == [mid]
    assert standin.delete(f"/v2/meetings/{mid}", headers=auth).status_code == 204
    assert standin.get(f"/v2/meetings/{mid}", headers=auth).json["code"] == 3001


def test_registrants_get_a_personal_join_url_and_pin_once_approved(standin, auth, cuppa):
    mid = cuppa["id"]
    pending = standin.post(f"/v2/meetings/{mid}/registrants", json={"first_name": "Leaked", "email": "l@example.org"},
                           headers=auth).json
    assert "join_url" not in pending  # approval_type 1: a leaked registration link only makes pending ones
    ann = standin.post(f"/v2/meetings/{mid}/registrants",
                       json={"first_name": "Ann", "email": "ann@example.org", "auto_approve": True}, headers=auth).json
    bo = standin.post(f"/v2/meetings/{mid}/registrants",
                      json={"first_name": "Bo", "email": "bo@example.org", "auto_approve": True}, headers=auth).json
    assert ann["join_url"] != bo["join_url"] and "tk=" in ann["join_url"]
    assert isinstance(ann["participant_pin_code"], int) and len(ann["occurrences"]) == 3
    again = standin.post(f"/v2/meetings/{mid}/registrants",
                         json={"first_name": "Ann", "email": "ANN@example.org", "auto_approve": True}, headers=auth).json
    assert again["registrant_id"] == ann["registrant_id"]
    approved = standin.get(f"/v2/meetings/{mid}/registrants", headers=auth).json["registrants"]
    assert [r["first_name"] for r in approved] == ["Ann", "Bo"]
    standin.put(f"/v2/meetings/{mid}/registrants/status", json={"action": "approve", "registrants": [
        {"id": pending["registrant_id"]}]}, headers=auth)
    standin.put(f"/v2/meetings/{mid}/registrants/status", json={"action": "cancel", "registrants": [
        {"email": "bo@example.org"}]}, headers=auth)
    approved = standin.get(f"/v2/meetings/{mid}/registrants?status=approved", headers=auth).json["registrants"]
    assert [r["first_name"] for r in approved] == ["Leaked", "Ann"]
    denied = standin.get(f"/v2/meetings/{mid}/registrants?status=denied", headers=auth).json["registrants"]
    assert [r["first_name"] for r in denied] == ["Bo"] and "join_url" not in denied[0]
    one = standin.get(f"/v2/meetings/{mid}/registrants/{ann['registrant_id']}", headers=auth).json
    assert one["join_url"] == ann["join_url"]
    page = standin.get(ann["join_url"].split("localhost", 1)[1])
    assert page.status_code == 200 and b"as Ann" in page.data


def test_registration_is_refused_when_the_meeting_has_none(standin, auth):
    plain = standin.post(f"/v2/users/{HOST}/meetings", json={"topic": "No registration", "type": 2,
                                                              "start_time": "2027-01-05T10:00:00Z"}, headers=auth).json
    answer = standin.post(f"/v2/meetings/{plain['id']}/registrants", json={"first_name": "A", "email": "a@example.org"},
                          headers=auth)
    assert answer.status_code == 400 and answer.json["code"] == 3000


def test_registrant_lists_page_with_next_page_token(standin, auth, cuppa):
    for i in range(7):
        standin.post(f"/v2/meetings/{cuppa['id']}/registrants",
                     json={"first_name": f"P{i}", "email": f"p{i}@example.org", "auto_approve": True}, headers=auth)
    names, token = [], ""
    for _ in range(5):
        page = standin.get(f"/v2/meetings/{cuppa['id']}/registrants?page_size=3&next_page_token={token}",
                           headers=auth).json
        names += [r["first_name"] for r in page["registrants"]]
        token = page["next_page_token"]
        if not token:
            break
    assert names == [f"P{i}" for i in range(7)] and page["total_records"] == 7


def test_breakout_pre_assignment_is_stored_on_the_meeting(standin, auth, cuppa):
    rooms = [{"name": "Room 1", "participants": ["ann@example.org"]}]
    assert standin.patch(f"/v2/meetings/{cuppa['id']}", json={"settings": {"breakout_room": {
        "enable": True, "rooms": rooms}}}, headers=auth).status_code == 204
    settings = standin.get(f"/v2/meetings/{cuppa['id']}", headers=auth).json["settings"]
    assert settings["breakout_room"] == {"enable": True, "rooms": rooms}
    assert settings["global_dial_in_numbers"]  # other settings kept


def test_polls_caption_token_and_user_settings(standin, auth, cuppa):
    poll = standin.post(f"/v2/meetings/{cuppa['id']}/polls", json={"title": "Icebreaker", "questions": [
        {"name": "Tea or coffee?", "type": "single", "answers": ["Tea", "Coffee"]}]}, headers=auth)
    assert poll.status_code == 201 and poll.json["status"] == "notstart"
    listed = standin.get(f"/v2/meetings/{cuppa['id']}/polls", headers=auth)  # the answer is checked against the spec
    assert listed.status_code == 200 and listed.json["total_records"] == 1
    assert [(p["id"], p["title"], p["questions"][0]["answers"]) for p in listed.json["polls"]] == [
        (poll.json["id"], "Icebreaker", ["Tea", "Coffee"])]
    token = standin.get(f"/v2/meetings/{cuppa['id']}/token?type=closed_caption_token", headers=auth).json["token"]
    assert "/closedcaption?id=" in token and "signature=" in token
    captions = {"in_meeting": {"closed_caption": True, "closed_captioning": {"enable": True, "auto_transcribing": True},
                               "manual_captioning": {"auto_generated_captions": True}}}
    assert standin.patch(f"/v2/users/{HOST}/settings", json=captions, headers=auth).status_code == 204
    now = standin.get(f"/v2/users/{HOST}/settings", headers=auth).json["in_meeting"]
    assert now["closed_caption"] is True and now["closed_captioning"]["auto_transcribing"] is True
    assert now["manual_captioning"]["auto_generated_captions"] is True
    assert now["manual_captioning"]["full_transcript"] is False  # the rest kept


def test_reports_exist_only_after_a_meeting_was_played(standin, auth, cuppa):
    mid = cuppa["id"]
    assert standin.get(f"/v2/report/meetings/{mid}/participants", headers=auth).json["code"] == 3001
    uuid = "/ab//cd+ef=="
    rows = [{"id": "", "user_id": "1", "name": "Ann", "user_email": "ann@example.org", "join_time": "2027-01-05T10:00:00Z",
             "leave_time": "2027-01-05T11:30:00Z", "duration": 5400, "failover": False, "status": "in_meeting",
             "registrant_id": "r1", "customer_key": "", "participant_user_id": ""}]
    standin.post(f"/_sandbox/meetings/{mid}/instances", json={"uuid": uuid, "start_time": "2027-01-05T10:00:00Z",
                                                              "participants": rows})
    assert standin.get(f"/v2/past_meetings/{mid}/instances", headers=auth).json == {
        "meetings": [{"uuid": uuid, "start_time": "2027-01-05T10:00:00Z"}]}
    by_id = standin.get(f"/v2/report/meetings/{mid}/participants?include_fields=registrant_id", headers=auth).json
    assert by_id["participants"] == rows
    double = "%252Fab%252F%252Fcd%252Bef%253D%253D"
    by_uuid = standin.get(f"/v2/report/meetings/{double}/participants", headers=auth).json
    assert "registrant_id" not in by_uuid["participants"][0]


@pytest.mark.parametrize("fault, status, header", [
    ({"kind": "rate_limit", "retry_after": "3"}, 429, ("Retry-After", "3")),
    ({"kind": "daily_limit"}, 429, ("X-RateLimit-Type", "Daily-limit")),
    ({"kind": "server_error", "status": 503}, 503, None),
    ({"kind": "refusal", "status": 400, "code": 200, "message": "No permission."}, 400, None),
])
def test_the_fault_switch_fails_the_next_calls_then_disarms(standin, auth, fault, status, header):
    assert standin.post("/_sandbox/faults", json={**fault, "times": 2}).status_code == 201
    for _ in range(2):
        answer = standin.get(f"/v2/users/{HOST}/settings", headers=auth)
        assert answer.status_code == status
        if header:
            assert answer.headers[header[0]] == header[1]
    assert standin.get(f"/v2/users/{HOST}/settings", headers=auth).status_code == 200


def test_a_refusal_fault_answers_with_zooms_code_and_message(standin, auth):
    standin.post("/_sandbox/faults", json={"kind": "refusal", "status": 404, "code": 1001,
                                           "message": "User does not exist.", "method": "POST"})
    assert standin.get(f"/v2/users/{HOST}/settings", headers=auth).status_code == 200  # another method
    answer = standin.post(f"/v2/users/{HOST}/meetings", headers=auth, json={"topic": "T", "type": 2})
    assert (answer.status_code, answer.json) == (404, {"code": 1001, "message": "User does not exist."})


def test_locked_settings_accept_a_change_and_keep_their_value(standin, auth):
    standin.application.extensions[STATE_KEY].locked_settings.add("in_meeting")
    change = {"in_meeting": {"closed_caption": True}, "schedule_meeting": {"host_video": True}}
    assert standin.patch(f"/v2/users/{HOST}/settings", headers=auth, json=change).status_code == 204
    settings = standin.get(f"/v2/users/{HOST}/settings", headers=auth).json
    assert settings["in_meeting"]["closed_caption"] is False and settings["schedule_meeting"]["host_video"] is True


def test_a_slow_fault_delays_then_answers(standin_clock):
    slept = []
    app = create_standin_app(StandinState(clock=standin_clock), sleep=slept.append)
    client = app.test_client()
    client.post("/_sandbox/faults", json={"kind": "slow", "delay_seconds": 2.5, "path_prefix": "/oauth/"})
    answer = client.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                         headers={"Authorization": BASIC})
    assert answer.status_code == 200 and slept == [2.5]
    assert client.post("/_sandbox/faults", json={"kind": "meteor"}).status_code == 400


def test_staff_sign_in_through_user_oauth(standin):
    redirect = standin.get(f"/oauth/authorize?response_type=code&client_id={STANDIN_CLIENT_ID}"
                           "&redirect_uri=http://app.test/staff/callback&state=s1&login_hint=sam@example.org")
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert location.startswith("http://app.test/staff/callback?code=") and location.endswith("&state=s1")
    code = location.split("code=")[1].split("&")[0]
    token = standin.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": "http://app.test/staff/callback"},
                         headers={"Authorization": BASIC})
    assert token.status_code == 200 and token.json["refresh_token"]
    me = standin.get("/v2/users/me", headers={"Authorization": "Bearer " + token.json["access_token"]})
    assert me.status_code == 200 and me.json["email"] == "sam@example.org"
    again = standin.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": "http://app.test/staff/callback"},
                         headers={"Authorization": BASIC})
    assert again.json["error"] == "invalid_grant"  # a code works once
    refreshed = standin.post("/oauth/token", data={"grant_type": "refresh_token",
                                                   "refresh_token": token.json["refresh_token"]},
                             headers={"Authorization": BASIC})
    assert refreshed.status_code == 200
    staff_token = {"Authorization": "Bearer " + refreshed.json["access_token"]}
    assert standin.get(f"/v2/users/{HOST}/settings", headers=staff_token).json["code"] == 4711


def test_an_answer_that_drifts_from_the_spec_is_caught(standin_clock):
    state = StandinState(clock=standin_clock)
    app = create_standin_app(state, check_responses=True)
    client = app.test_client()
    token = client.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                        headers={"Authorization": BASIC}).json["access_token"]
    state.create_meeting = lambda user, body: {"id": "85746065432", "occurrences": [{"duration": "90"}]}
    answer = client.post(f"/v2/users/{HOST}/meetings", json=CUPPA, headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 500
    assert "id: '85746065432' is not of type 'integer'" in answer.json["message"]
    assert "occurrences.0.duration" in answer.json["message"]


# --- issue 14: AI Companion defaults, user-level daily limits, meeting capacity ------------------

AI_OFF = {"auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
          "allow_participants_to_transcribe_meetings_with_my_notes": False}


def _state(standin) -> StandinState:
    return standin.application.extensions["zoombridge.sandbox.state"]


def test_ai_companion_fields_left_out_take_the_account_default_and_sent_ones_are_kept(standin, auth, cuppa):
    assert all(cuppa["settings"][field] is True for field in AI_OFF)  # the account default: on
    body = {**CUPPA, "settings": {**CUPPA["settings"], **AI_OFF}}
    made = standin.post(f"/v2/users/{HOST}/meetings", json=body, headers=auth).json
    read = standin.get(f"/v2/meetings/{made['id']}", headers=auth).json
    assert {field: read["settings"][field] for field in AI_OFF} == AI_OFF


def test_an_account_that_locks_a_field_on_keeps_it_on_whatever_is_sent(standin, auth):
    _state(standin).ai_locked_on = {"auto_start_meeting_summary"}
    body = {**CUPPA, "settings": {**CUPPA["settings"], **AI_OFF}}
    made = standin.post(f"/v2/users/{HOST}/meetings", json=body, headers=auth).json
    assert standin.patch(f"/v2/meetings/{made['id']}", json={"settings": AI_OFF}, headers=auth).status_code == 204
    read = standin.get(f"/v2/meetings/{made['id']}", headers=auth).json["settings"]
    assert read["auto_start_meeting_summary"] is True and read["auto_start_ai_companion_questions"] is False


def test_a_host_past_100_meeting_writes_a_day_gets_a_daily_429_and_another_host_does_not(
        standin, auth, standin_clock):
    _state(standin).meeting_writes_per_host = 2  # Zoom's 100, made small
    first = standin.post(f"/v2/users/{HOST}/meetings", json=CUPPA, headers=auth).json
    assert standin.patch(f"/v2/meetings/{first['id']}", json={"agenda": "x"}, headers=auth).status_code == 204
    refused = standin.post(f"/v2/users/{HOST}/meetings", json=CUPPA, headers=auth)
    assert refused.status_code == 429 and refused.json["message"].startswith("You have exceeded the daily rate limit")
    assert refused.headers["X-RateLimit-Type"] == "Daily-limit"
    assert refused.headers["Retry-After"] == "2026-11-25T00:00:00Z"
    assert standin.post("/v2/users/other.host@example.org/meetings", json=CUPPA, headers=auth).status_code == 201
    standin_clock.set(datetime(2026, 11, 25, 0, 0, 1, tzinfo=UTC))  # the next UTC day (and a new token)
    token = standin.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                         headers={"Authorization": BASIC}).json["access_token"]
    again = standin.post(f"/v2/users/{HOST}/meetings", json=CUPPA, headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 201


def test_one_person_registering_a_fourth_time_in_a_day_is_refused_and_others_are_not(standin, auth, cuppa):
    person = {"first_name": "Ann", "email": "ann@example.org", "auto_approve": True}
    for _ in range(3):
        assert standin.post(f"/v2/meetings/{cuppa['id']}/registrants", json=person, headers=auth).status_code == 201
    fourth = standin.post(f"/v2/meetings/{cuppa['id']}/registrants", json=person, headers=auth)
    assert fourth.status_code == 429 and fourth.headers["X-RateLimit-Type"] == "Daily-limit"
    other = {"first_name": "Bo", "email": "bo@example.org", "auto_approve": True}
    assert standin.post(f"/v2/meetings/{cuppa['id']}/registrants", json=other, headers=auth).status_code == 201


def test_a_meeting_takes_4999_registrants_and_answers_3043_for_the_next(standin, auth, cuppa):
    state = _state(standin)
    for n in range(4999):
        state.add_registrant(cuppa["id"], {"first_name": "P", "email": f"p{n}@example.org", "auto_approve": True})
    full = standin.post(f"/v2/meetings/{cuppa['id']}/registrants",
                        json={"first_name": "Late", "email": "late@example.org", "auto_approve": True}, headers=auth)
    assert full.status_code == 400
    assert full.json == {"code": 3043, "message": "Meeting has reached maximum attendee capacity."}
    again = standin.post(f"/v2/meetings/{cuppa['id']}/registrants",  # someone already in is not refused
                         json={"first_name": "P", "email": "p7@example.org", "auto_approve": True}, headers=auth)
    assert again.status_code == 201
