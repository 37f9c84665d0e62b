"""The Zoom client against `responses`, every request body held to the official spec."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from tests.zoom_mock import InvalidZoomRequest
from zoombridge.zoom import errors
from zoombridge.zoom.client import ZoomClient, encode_meeting_id, to_zoom_json

HOST = "host@example.org"
MEETING = 85746065432

FIRST_TUESDAY_CUPPA = {
    "topic": "Co-Pro Cuppa", "type": 8, "start_time": "2027-01-05T10:00:00", "timezone": "Europe/London",
    "duration": 90, "agenda": "Monthly Cuppa, first Tuesday",
    "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3, "end_times": 12},
    "settings": {"waiting_room": True, "approval_type": 1, "registration_type": 1, "audio": "both",
                 "global_dial_in_countries": ["GB"], "mute_upon_entry": True, "auto_recording": "none",
                 "registrants_email_notification": False, "registrants_confirmation_email": False},
}


def test_every_operation_sends_a_body_the_spec_accepts(zoom_api, zoom_client):
    calls = [
        ("POST", f"/users/{HOST}/meetings", 201, {"id": MEETING, "join_url": "https://zoom.us/j/1"},
         lambda c: c.create_meeting(HOST, FIRST_TUESDAY_CUPPA)),
        ("GET", f"/meetings/{MEETING}", 200, {"id": MEETING}, lambda c: c.get_meeting(MEETING, "1767693600000")),
        ("PATCH", f"/meetings/{MEETING}", 204, None,
         lambda c: c.update_meeting(MEETING, {"agenda": "Bring a cuppa", "duration": 90}, host=HOST)),
        ("DELETE", f"/meetings/{MEETING}", 204, None, lambda c: c.delete_meeting(MEETING, "1767693600000")),
        ("GET", f"/users/{HOST}/meetings", 200, {"meetings": [{"id": MEETING}], "next_page_token": ""},
         lambda c: list(c.list_meetings(HOST))),
        ("POST", f"/meetings/{MEETING}/registrants", 201,
         {"registrant_id": "r1", "join_url": "https://zoom.us/w/1?tk=x", "participant_pin_code": 123456},
         lambda c: c.add_registrant(MEETING, {"first_name": "Ann", "email": "ann@example.org", "auto_approve": True})),
        ("GET", f"/meetings/{MEETING}/registrants/r1", 200, {"id": "r1"}, lambda c: c.get_registrant(MEETING, "r1")),
        ("GET", f"/meetings/{MEETING}/registrants", 200, {"registrants": [{"id": "r1"}]},
         lambda c: list(c.list_registrants(MEETING))),
        ("PUT", f"/meetings/{MEETING}/registrants/status", 204, None,
         lambda c: c.update_registrant_status(MEETING, "cancel", [{"id": "r1", "email": "ann@example.org"}])),
        ("GET", f"/meetings/{MEETING}/polls", 200, {"total_records": 1, "polls": [{"id": "p1", "title": "Icebreaker"}]},
         lambda c: c.list_polls(MEETING)),
        ("POST", f"/meetings/{MEETING}/polls", 201, {"id": "p1", "status": "notstart"},
         lambda c: c.create_poll(MEETING, {"title": "Icebreaker", "questions": [
             {"name": "Tea or coffee?", "type": "single", "answers": ["Tea", "Coffee"]}]})),
        ("GET", f"/users/{HOST}/settings", 200, {"in_meeting": {"closed_caption": True}},
         lambda c: c.get_user_settings(HOST)),
        ("PATCH", f"/users/{HOST}/settings", 204, None, lambda c: c.update_user_settings(HOST, {"in_meeting": {
            "closed_caption": True, "closed_captioning": {"enable": True, "auto_transcribing": True},
            "manual_captioning": {"auto_generated_captions": True}}})),
        ("GET", f"/meetings/{MEETING}/token", 200, {"token": "https://wmcc.zoom.us/closedcaption?id=1"},
         lambda c: c.get_caption_token_url(MEETING)),
        ("GET", f"/past_meetings/{MEETING}/instances", 200, {"meetings": [{"uuid": "abc==", "start_time": "x"}]},
         lambda c: c.list_past_instances(MEETING)),
        ("GET", f"/report/meetings/{MEETING}/participants", 200, {"participants": [{"id": ""}]},
         lambda c: list(c.report_participants(MEETING))),
    ]
    for method, path, status, answer, _call in calls:
        zoom_api.add(method, path, status=status, json=answer)
    for *_, call in calls:
        call(zoom_client)
    assert zoom_api.operation_ids() == [
        "meetingCreate", "meeting", "meetingUpdate", "meetingDelete", "meetings", "meetingRegistrantCreate",
        "meetingRegistrantGet", "meetingRegistrants", "meetingRegistrantStatus", "meetingPolls", "meetingPollCreate",
        "userSettings", "userSettingsUpdate", "meetingToken", "pastMeetings", "reportMeetingParticipants"]
    report = zoom_api.calls[-1]
    assert report.query == {"include_fields": "registrant_id", "page_size": "300"}
    assert zoom_api.calls[3].query == {"cancel_meeting_reminder": "false", "occurrence_id": "1767693600000"}
    assert zoom_api.calls[13].query == {"type": "closed_caption_token"}


def test_breakout_pre_assignment_is_a_meeting_patch_the_spec_accepts(zoom_api, zoom_client):
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    zoom_client.set_breakout_rooms(MEETING, [{"name": "Room 1", "participants": ["ann@example.org", "bo@example.org"]},
                                             {"name": "Room 2", "participants": ["cy@example.org"]}], host=HOST)
    call = zoom_api.calls[0]
    assert call.operation_id == "meetingUpdate"
    assert call.body == {"settings": {"breakout_room": {"enable": True, "rooms": [
        {"name": "Room 1", "participants": ["ann@example.org", "bo@example.org"]},
        {"name": "Room 2", "participants": ["cy@example.org"]}]}}}


def test_more_than_a_hundred_breakout_rooms_is_refused_before_calling_zoom(zoom_api, zoom_client):
    with pytest.raises(ValueError, match="100"):
        zoom_client.set_breakout_rooms(MEETING, [{"name": f"R{i}", "participants": []} for i in range(101)], host=HOST)
    assert zoom_api.calls == []


def test_a_body_zoom_would_refuse_fails_the_test(zoom_api, zoom_client):
    zoom_api.add("POST", f"/users/{HOST}/meetings", status=201, json={"id": MEETING})
    bad = {**FIRST_TUESDAY_CUPPA, "recurrence": {"type": 9, "monthly_week": 1}}
    with pytest.raises(InvalidZoomRequest, match=r"recurrence.type: 9 is not one of \[1, 2, 3\]"):
        zoom_client.create_meeting(HOST, bad)
    assert any("monthly_week and monthly_week_day go together" in p for p in zoom_api.problems)
    zoom_api.problems.clear()  # this test wanted the refusal


def test_datetimes_in_bodies_are_sent_in_utc():
    body = to_zoom_json({"start_time": datetime(2027, 7, 6, 10, 0, tzinfo=__import__("zoneinfo").ZoneInfo(
        "Europe/London")), "nested": [{"at": datetime(2027, 1, 5, 10, 0, tzinfo=UTC)}]})
    assert body == {"start_time": "2027-07-06T09:00:00Z", "nested": [{"at": "2027-01-05T10:00:00Z"}]}
    with pytest.raises(ValueError, match="naive"):
        to_zoom_json({"start_time": datetime(2027, 1, 5, 10, 0)})


@pytest.mark.parametrize("meeting_id, encoded", [
    (85746065432, "85746065432"),
    ("4444AAAiAAAAAiAiAiiAii==", "4444AAAiAAAAAiAiAiiAii%3D%3D"),
    ("ab+c/d==", "ab%2Bc%2Fd%3D%3D"),
    ("/ajXp112QmuoKj4854875==", "%252FajXp112QmuoKj4854875%253D%253D"),
    ("ajX//p112==", "ajX%252F%252Fp112%253D%253D"),
])
def test_meeting_uuids_are_encoded_once_or_twice_as_zoom_requires(meeting_id, encoded):
    assert encode_meeting_id(meeting_id) == encoded


def test_a_uuid_starting_with_a_slash_reaches_zoom_double_encoded(zoom_api, zoom_client):
    zoom_api.add("GET", "/report/meetings/%252FajXp112QmuoKj4854875%253D%253D/participants",
                 json={"participants": [{"id": "", "name": "Ann"}], "next_page_token": ""})
    assert [r["name"] for r in zoom_client.report_participants("/ajXp112QmuoKj4854875==")] == ["Ann"]
    assert zoom_api.calls[0].path == "/report/meetings/%252FajXp112QmuoKj4854875%253D%253D/participants"


def test_pagination_follows_next_page_token_over_three_pages(zoom_api, zoom_client):
    for page, token in ((1, "t1"), (2, "t2"), (3, "")):
        zoom_api.add("GET", f"/meetings/{MEETING}/registrants", json={
            "page_size": 300, "next_page_token": token,
            "registrants": [{"id": f"r{page}-{i}"} for i in range(300 if token else 7)]})
    rows = list(zoom_client.list_registrants(MEETING))
    assert len(rows) == 607 and rows[-1]["id"] == "r3-6"
    assert [c.query.get("next_page_token") for c in zoom_api.calls] == [None, "t1", "t2"]
    assert {c.query["page_size"] for c in zoom_api.calls} == {"300"}
    assert {c.query["status"] for c in zoom_api.calls} == {"approved"}


def test_a_repeated_page_token_stops_instead_of_looping(zoom_api, zoom_client):
    zoom_api.add("GET", f"/meetings/{MEETING}/registrants", json={"next_page_token": "same", "registrants": []})
    with pytest.raises(errors.ZoomError, match="repeated"):
        list(zoom_client.list_registrants(MEETING))


def test_two_clients_share_one_token_through_redis(zoom_api, zoom_client, settings, redis_conn, clock):
    from zoombridge.zoom import zoom_credentials, zoom_endpoints

    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    api_base, oauth_base = zoom_endpoints(settings)
    other = ZoomClient(credentials=zoom_credentials(settings), api_base=api_base, oauth_base=oauth_base,
                       connection=redis_conn, clock=clock, sleep=lambda s: None)
    zoom_client.get_meeting(MEETING)
    other.get_meeting(MEETING)
    assert zoom_api.token_requests == 1
    sent = [c.request.headers["Authorization"] for c in zoom_api.rsps.calls if "/v2/" in c.request.url]
    assert sent == ["Bearer mock-token-1", "Bearer mock-token-1"]


def test_the_token_is_fetched_again_a_minute_before_it_expires(zoom_api, zoom_client, clock):
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    zoom_client.get_meeting(MEETING)
    clock.advance(seconds=3600 - 61)
    zoom_client.get_meeting(MEETING)
    assert zoom_api.token_requests == 1
    clock.advance(seconds=2)  # now within 60 s of expiry
    zoom_client.get_meeting(MEETING)
    assert zoom_api.token_requests == 2
    sent = [c.request.headers["Authorization"] for c in zoom_api.rsps.calls if "/v2/" in c.request.url]
    assert sent[-1] == "Bearer mock-token-2"


def test_a_401_fetches_a_new_token_once_and_retries(zoom_api, zoom_client):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=401, json={"code": 124, "message": "Invalid access token."})
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    assert zoom_client.get_meeting(MEETING) == {"id": MEETING}
    assert zoom_api.token_requests == 2


def test_a_second_401_is_an_invalid_token_error(zoom_api, zoom_client):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=401, json={"code": 124, "message": "Invalid access token."})
    with pytest.raises(errors.InvalidToken):
        zoom_client.get_meeting(MEETING)
    assert zoom_api.token_requests == 2
    assert len(zoom_api.calls) == 2


def _retry_after_forms(now: datetime) -> list[tuple[str, str]]:
    later = now + timedelta(seconds=7)
    return [("seconds", "7"), ("http-date", format_datetime(later, usegmt=True)),
            ("iso-date", later.strftime("%Y-%m-%dT%H:%M:%SZ"))]


@pytest.mark.parametrize("form", ["seconds", "http-date", "iso-date"])
def test_429_waits_as_long_as_retry_after_says_in_each_form(form, zoom_api, zoom_client, zoom_sleeps, clock):
    value = dict(_retry_after_forms(clock.now()))[form]
    zoom_api.add("GET", f"/meetings/{MEETING}", status=429, headers={"Retry-After": value, "X-RateLimit-Type": "QPS"},
                 json={"code": 429, "message": "You have reached the maximum per-second rate limit for this API."})
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    assert zoom_client.get_meeting(MEETING) == {"id": MEETING}
    assert len(zoom_sleeps) == 1 and 7 <= zoom_sleeps[0] <= 7.5  # Retry-After plus a little jitter


def test_429_without_retry_after_backs_off_then_gives_up_as_rate_limited(zoom_api, zoom_client, zoom_sleeps):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=429, json={"code": 429, "message": "Too many requests"})
    with pytest.raises(errors.RateLimited) as caught:
        zoom_client.get_meeting(MEETING)
    assert not isinstance(caught.value, errors.DailyLimitReached)
    assert len(zoom_api.calls) == 4 and len(zoom_sleeps) == 3
    assert all(0 < s <= 30 for s in zoom_sleeps)


def test_a_retry_after_beyond_a_minute_is_raised_for_the_job_to_reschedule(zoom_api, zoom_client, zoom_sleeps, clock):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=429, headers={"Retry-After": "600"},
                 json={"code": 429, "message": "slow down"})
    with pytest.raises(errors.RateLimited) as caught:
        zoom_client.get_meeting(MEETING)
    assert caught.value.retry_at == clock.now() + timedelta(seconds=600)
    assert zoom_sleeps == []


def test_a_daily_limit_opens_the_breaker_for_every_client_until_it_resets(zoom_api, zoom_client, settings,
                                                                         redis_conn, clock):
    from zoombridge.zoom import zoom_credentials, zoom_endpoints

    zoom_api.add("POST", f"/users/{HOST}/meetings", status=429,
                 headers={"X-RateLimit-Type": "Daily-limit", "Retry-After": "2026-11-25T00:00:00Z"},
                 json={"code": 429, "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update "
                                               "API requests permitted for this particular user."})
    with pytest.raises(errors.DailyLimitReached) as caught:
        zoom_client.create_meeting(HOST, FIRST_TUESDAY_CUPPA)
    assert caught.value.retry_at == datetime(2026, 11, 25, tzinfo=UTC)
    api_base, oauth_base = zoom_endpoints(settings)
    other = ZoomClient(credentials=zoom_credentials(settings), api_base=api_base, oauth_base=oauth_base,
                       connection=redis_conn, clock=clock, sleep=lambda s: None)
    with pytest.raises(errors.DailyLimitReached):
        other.update_meeting(MEETING, {"agenda": "x"}, host=HOST)  # same per-host create/update limit
    assert len(zoom_api.calls) == 1  # refused without calling Zoom
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    assert other.get_meeting(MEETING) == {"id": MEETING}  # reads are not under that limit
    clock.set(datetime(2026, 11, 25, 0, 0, 1, tzinfo=UTC))
    zoom_api.add("PATCH", f"/meetings/{MEETING}", status=204)
    other.update_meeting(MEETING, {"agenda": "x"}, host=HOST)


def test_a_daily_limit_without_retry_after_lasts_until_midnight_utc(zoom_api, zoom_client, clock):
    zoom_api.add("GET", f"/report/meetings/{MEETING}/participants", status=429,
                 headers={"X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Heavy"},
                 json={"code": 429, "message": "You have reached the maximum daily rate limit for this API."})
    with pytest.raises(errors.DailyLimitReached) as caught:
        list(zoom_client.report_participants(MEETING))
    assert caught.value.retry_at == datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(errors.DailyLimitReached):
        list(zoom_client.report_participants(MEETING))
    assert len(zoom_api.calls) == 1


def test_5xx_is_retried_with_backoff_then_succeeds(zoom_api, zoom_client, zoom_sleeps):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=503, json={"code": 503, "message": "busy"})
    zoom_api.add("GET", f"/meetings/{MEETING}", status=502)
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    assert zoom_client.get_meeting(MEETING) == {"id": MEETING}
    assert len(zoom_sleeps) == 2 and zoom_sleeps[0] <= 1 < zoom_sleeps[1] * 4


def test_5xx_every_time_is_zoom_unavailable_after_bounded_retries(zoom_api, zoom_client, zoom_sleeps):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=500, json={"code": 500, "message": "oops"})
    with pytest.raises(errors.ZoomUnavailable):
        zoom_client.get_meeting(MEETING)
    assert len(zoom_api.calls) == 4 and len(zoom_sleeps) == 3


def test_timeouts_are_retried_and_then_zoom_unavailable(zoom_api, zoom_client, zoom_sleeps):
    zoom_api.rsps.add("GET", f"{zoom_api.api_base}/meetings/{MEETING}", body=requests.ReadTimeout("slow"))
    with pytest.raises(errors.ZoomUnavailable, match="ReadTimeout"):
        zoom_client.get_meeting(MEETING)
    assert len(zoom_sleeps) == 3


def _refused(url: str) -> requests.ConnectionError:
    """What requests raises when nothing listens: urllib3's NewConnectionError in a MaxRetryError."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    return requests.ConnectionError(MaxRetryError(None, url, NewConnectionError(None, "Connection refused")))


def _dropped() -> requests.ConnectionError:
    from urllib3.exceptions import ProtocolError

    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


POSTS = [
    ("create meeting", f"/users/{HOST}/meetings", {"id": MEETING, "join_url": "https://zoom.us/j/1"},
     lambda c: c.create_meeting(HOST, FIRST_TUESDAY_CUPPA)),
    ("add registrant", f"/meetings/{MEETING}/registrants", {"registrant_id": "r1", "join_url": "https://zoom.us/w/1"},
     lambda c: c.add_registrant(MEETING, {"first_name": "Ann", "email": "ann@example.org", "auto_approve": True})),
    ("create poll", f"/meetings/{MEETING}/polls", {"id": "p1", "status": "notstart"},
     lambda c: c.create_poll(MEETING, {"title": "Icebreaker", "questions": [
         {"name": "Tea or coffee?", "type": "single", "answers": ["Tea", "Coffee"]}]})),
]


@pytest.mark.parametrize("failure", ["read timeout", "dropped connection", "HTTP 500", "HTTP 502", "HTTP 503",
                                     "HTTP 504"])
@pytest.mark.parametrize("name, path, answer, call", POSTS, ids=[p[0] for p in POSTS])
def test_a_post_that_may_have_reached_zoom_is_never_sent_twice(failure, name, path, answer, call, zoom_api,
                                                               zoom_client, zoom_sleeps):
    url = zoom_api.api_base + path
    if failure.startswith("HTTP"):
        zoom_api.add("POST", path, status=int(failure[5:]), json={"code": int(failure[5:]), "message": "oops"})
    else:
        zoom_api.rsps.add("POST", url, body=requests.ReadTimeout("slow") if failure == "read timeout" else _dropped())
    zoom_api.add("POST", path, status=201, json=answer)  # a second POST would succeed, and make a duplicate
    with pytest.raises(errors.ZoomUnavailable, match="not sent twice"):
        call(zoom_client)
    sent = [c for c in zoom_api.rsps.calls if c.request.method == "POST" and c.request.url.startswith(url)]
    assert len(sent) == 1 and zoom_sleeps == []


@pytest.mark.parametrize("failure", ["connection refused", "connect timeout", "429", "401"])
@pytest.mark.parametrize("name, path, answer, call", POSTS, ids=[p[0] for p in POSTS])
def test_a_post_that_never_reached_zoom_is_sent_again(failure, name, path, answer, call, zoom_api, zoom_client):
    url = zoom_api.api_base + path
    if failure == "429":  # Zoom's rate limiter answered instead of the API: nothing was done
        zoom_api.add("POST", path, status=429, headers={"Retry-After": "1"}, json={"code": 429, "message": "slow"})
    elif failure == "401":
        zoom_api.add("POST", path, status=401, json={"code": 124, "message": "Invalid access token."})
    else:
        zoom_api.rsps.add("POST", url, body=_refused(url) if failure == "connection refused"
                          else requests.ConnectTimeout("connect timed out"))
    zoom_api.add("POST", path, status=201, json=answer)
    assert call(zoom_client)["join_url" if "registrants" in path else "id"]
    sent = [c for c in zoom_api.rsps.calls if c.request.method == "POST" and c.request.url.startswith(url)]
    assert len(sent) == 2


@pytest.mark.parametrize("method, path, call", [
    ("GET", f"/meetings/{MEETING}", lambda c: c.get_meeting(MEETING)),
    ("PATCH", f"/meetings/{MEETING}", lambda c: c.update_meeting(MEETING, {"agenda": "x"}, host=HOST)),
    ("PUT", f"/meetings/{MEETING}/registrants/status",
     lambda c: c.update_registrant_status(MEETING, "cancel", [{"id": "r1"}])),
    ("DELETE", f"/meetings/{MEETING}", lambda c: c.delete_meeting(MEETING)),
])
@pytest.mark.parametrize("failure", ["read timeout", "HTTP 502"])
def test_idempotent_calls_are_retried_after_a_timeout_or_5xx(method, path, call, failure, zoom_api, zoom_client,
                                                             zoom_sleeps):
    if failure == "read timeout":
        zoom_api.rsps.add(method, zoom_api.api_base + path, body=requests.ReadTimeout("slow"))
    else:
        zoom_api.add(method, path, status=502)
    zoom_api.add(method, path, status=200 if method == "GET" else 204, json={"id": MEETING} if method == "GET" else None)
    answer = call(zoom_client)
    url = zoom_api.api_base + path.split("?")[0]
    sent = [c for c in zoom_api.rsps.calls if c.request.method == method and c.request.url.split("?")[0] == url]
    assert len(sent) == 2  # the failed request, then the same request once more
    assert sent[0].request.body == sent[1].request.body
    assert len(zoom_sleeps) == 1  # one backoff between them
    if method == "GET":
        assert answer["id"] == MEETING  # the second answer is the one returned


def test_a_failing_token_endpoint_before_a_post_is_retried(zoom_api, zoom_client, zoom_sleeps):
    zoom_api.rsps.replace("POST", zoom_api.oauth_base + "/oauth/token", body=requests.ReadTimeout("slow token"))
    zoom_api.add("POST", f"/meetings/{MEETING}/polls", status=201, json={"id": "p1"})
    with pytest.raises(errors.ZoomUnavailable, match="ReadTimeout"):
        zoom_client.create_poll(MEETING, {"title": "Icebreaker", "questions": [
            {"name": "Tea?", "type": "single", "answers": ["Yes", "No"]}]})
    assert zoom_api.calls == [] and len(zoom_sleeps) == 3  # the API was never called, so each try was safe


def test_connection_failures_are_told_apart_on_real_sockets():
    import socket
    import threading

    from zoombridge.zoom.client import never_reached_zoom

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(requests.ConnectionError) as refused:
        requests.post(f"http://127.0.0.1:{port}/v2/x", json={}, timeout=2)
    assert never_reached_zoom(refused.value)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def read_then_hang_up():
        conn, _ = listener.accept()
        conn.recv(65536)  # the request arrived: Zoom could have acted on it
        conn.close()

    thread = threading.Thread(target=read_then_hang_up, daemon=True)
    thread.start()
    with pytest.raises(requests.ConnectionError) as dropped:
        requests.post(f"http://127.0.0.1:{listener.getsockname()[1]}/v2/x", json={}, timeout=2)
    thread.join(timeout=5)
    listener.close()
    assert not never_reached_zoom(dropped.value)


@pytest.mark.parametrize("status, code, expected", [
    (404, 3001, errors.MeetingNotFound),
    (404, 1001, errors.UserNotFound),
    (400, 4700, errors.MissingScopes),
    (401, 4711, errors.MissingScopes),
    (400, 300, errors.ZoomError),
    (400, 3161, errors.ZoomError),
])
def test_errors_are_typed_by_zoom_error_code(status, code, expected, zoom_api, zoom_client):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=status, json={"code": code, "message": "whatever the text"})
    with pytest.raises(errors.ZoomError) as caught:
        zoom_client.get_meeting(MEETING)
    assert type(caught.value) is expected
    assert (caught.value.status, caught.value.code) == (status, code)


def test_refused_credentials_are_their_own_error(zoom_api, settings, redis_conn, clock):
    from zoombridge.zoom import zoom_endpoints
    from zoombridge.zoom.token import Credentials

    api_base, oauth_base = zoom_endpoints(settings)
    zoom_api.rsps.replace("POST", oauth_base + "/oauth/token", status=401,
                          json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    client = ZoomClient(credentials=Credentials("acc", "wrong", "wrong"), api_base=api_base, oauth_base=oauth_base,
                        connection=redis_conn, clock=clock, sleep=lambda s: None)
    with pytest.raises(errors.CredentialsRejected):
        client.get_meeting(MEETING)
    assert "wrong" not in repr(Credentials("acc", "id", "wrong"))


def test_a_registration_without_join_url_is_read_back_once(zoom_api, zoom_client):
    zoom_api.add("POST", f"/meetings/{MEETING}/registrants", status=201,
                 json={"registrant_id": "r1", "participant_pin_code": 1})
    zoom_api.add("GET", f"/meetings/{MEETING}/registrants/r1", json={"id": "r1", "join_url": "https://zoom.us/w/1"})
    made = zoom_client.add_registrant(MEETING, {"first_name": "Ann", "email": "ann@example.org", "auto_approve": True})
    assert made["join_url"] == "https://zoom.us/w/1"


def test_registrant_status_changes_go_thirty_at_a_time(zoom_api, zoom_client):
    zoom_api.add("PUT", f"/meetings/{MEETING}/registrants/status", status=204)
    zoom_client.update_registrant_status(MEETING, "approve", [{"id": f"r{i}"} for i in range(65)])
    assert [len(c.body["registrants"]) for c in zoom_api.calls] == [30, 30, 5]


def test_the_app_client_talks_to_the_standin_without_zoom_credentials(app, zoom_api):
    from zoombridge.sandbox import STANDIN_CLIENT_ID, STANDIN_DEFAULT_URL
    from zoombridge.zoom import current_zoom_client

    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    with app.app_context():
        client = current_zoom_client()
        assert client is current_zoom_client()
        assert client.api_base == STANDIN_DEFAULT_URL + "/v2"
        assert client.get_meeting(MEETING) == {"id": MEETING}
    token_call = zoom_api.rsps.calls[0].request
    assert token_call.url == STANDIN_DEFAULT_URL + "/oauth/token"
    import base64
    assert base64.b64decode(token_call.headers["Authorization"][6:]).decode().startswith(STANDIN_CLIENT_ID + ":")


def test_the_app_client_uses_zoom_itself_when_credentials_are_set(settings):
    from zoombridge.zoom import zoom_endpoints

    real = settings.with_changes(zoom_account_id="a", zoom_client_id="b", zoom_client_secret="c")
    assert zoom_endpoints(real) == ("https://api.zoom.us/v2", "https://zoom.us")


def test_retry_waits_advance_the_app_clock_in_tests(app, zoom_api, clock):
    from zoombridge.zoom import current_zoom_client

    zoom_api.add("GET", f"/meetings/{MEETING}", status=429, headers={"Retry-After": "5"},
                 json={"code": 429, "message": "slow down"})
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    before = clock.now()
    with app.app_context():
        current_zoom_client().get_meeting(MEETING)
    assert timedelta(seconds=5) <= clock.now() - before <= timedelta(seconds=6)


def test_backoff_grows_and_stays_bounded():
    from zoombridge.zoom.rate_limits import backoff_seconds

    rng = random.Random(1)
    waits = [max(backoff_seconds(a, rng) for _ in range(50)) for a in range(8)]
    assert waits[0] <= 1 and waits[3] > 4 and max(waits) <= 30


# --- breakers scoped as Zoom scopes its daily limits (docs/zoom.md §2) ------------------------

DAILY = {"X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Light"}
DAILY_BODY = {"code": 429, "message": "You have reached the maximum daily rate limit for this API. Refer to the "
                                      "response header for details on when you can make another request."}


def test_one_registrants_daily_limit_stops_only_their_registrations(zoom_api, zoom_client, clock):
    zoom_api.add("POST", f"/meetings/{MEETING}/registrants", status=429, headers=DAILY, json=DAILY_BODY)
    zoom_api.add("POST", f"/meetings/{MEETING}/registrants", status=201,
                 json={"id": MEETING, "registrant_id": "r2", "join_url": "https://zoom.test/w/1?tk=bo"})
    with pytest.raises(errors.DailyLimitReached) as caught:
        zoom_client.add_registrant(MEETING, {"first_name": "Ann", "email": "Ann@Example.org"})
    assert caught.value.retry_at == datetime(2026, 11, 25, tzinfo=UTC)
    assert caught.value.scope.startswith(f"registration:{MEETING}:") and "ann" not in caught.value.scope
    assert caught.value.limit == "Zoom's limit of 3 registrations a day for one person on one meeting"
    with pytest.raises(errors.DailyLimitReached):  # Ann again, however her address is written: not sent
        zoom_client.add_registrant(MEETING, {"first_name": "Ann", "email": "ann@example.org"})
    assert zoom_client.add_registrant(MEETING, {"first_name": "Bo", "email": "bo@example.org"})["registrant_id"] == "r2"
    zoom_api.add("GET", f"/meetings/{MEETING}", json={"id": MEETING})
    assert zoom_client.get_meeting(MEETING) == {"id": MEETING}  # other Light calls go on
    assert [c.operation_id for c in zoom_api.calls] == ["meetingRegistrantCreate", "meetingRegistrantCreate",
                                                       "meeting"]


def test_one_hosts_daily_limit_does_not_stop_another_host(zoom_api, zoom_client):
    zoom_api.add("POST", f"/users/{HOST}/meetings", status=429, headers={"X-RateLimit-Type": "Daily-limit"},
                 json={"code": 429, "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update "
                                               "API requests permitted for this particular user."})
    zoom_api.add("POST", "/users/bea@example.org/meetings", status=201, json={"id": MEETING})
    with pytest.raises(errors.DailyLimitReached) as caught:
        zoom_client.create_meeting(HOST, FIRST_TUESDAY_CUPPA)
    assert caught.value.limit == "the host's daily limit of 100 meeting creates and updates"
    assert zoom_client.create_meeting("bea@example.org", FIRST_TUESDAY_CUPPA) == {"id": MEETING}
    with pytest.raises(errors.DailyLimitReached):
        zoom_client.update_meeting(MEETING, {"agenda": "x"}, host=HOST)  # the same host's updates wait too
    assert len(zoom_api.calls) == 2


def test_a_daily_limit_on_a_call_with_no_narrower_limit_stops_its_category(zoom_api, zoom_client):
    zoom_api.add("GET", f"/meetings/{MEETING}", status=429, headers=DAILY, json=DAILY_BODY)
    with pytest.raises(errors.DailyLimitReached) as caught:
        zoom_client.get_meeting(MEETING)
    assert caught.value.scope == "category:light"
    with pytest.raises(errors.DailyLimitReached):  # another Light call: not sent
        zoom_client.add_registrant(MEETING, {"first_name": "Bo", "email": "bo@example.org"})
    zoom_api.add("GET", f"/users/{HOST}/settings", json={"in_meeting": {}})
    assert zoom_client.get_user_settings(HOST) == {"in_meeting": {}}  # Medium calls go on
    assert len(zoom_api.calls) == 2


def test_cancelling_one_registrant_has_their_own_status_limit(zoom_api, zoom_client):
    zoom_api.add("PUT", f"/meetings/{MEETING}/registrants/status", status=429, headers=DAILY, json=DAILY_BODY)
    zoom_api.add("PUT", f"/meetings/{MEETING}/registrants/status", status=204)
    with pytest.raises(errors.DailyLimitReached) as caught:
        zoom_client.update_registrant_status(MEETING, "cancel", [{"id": "reg-ann"}])
    assert caught.value.scope.startswith(f"registrant-status:{MEETING}:")
    zoom_client.update_registrant_status(MEETING, "cancel", [{"id": "reg-bo"}])
    assert len(zoom_api.calls) == 2


def test_3043_is_a_meeting_full_error(zoom_api, zoom_client):
    zoom_api.add("POST", f"/meetings/{MEETING}/registrants", status=400,
                 json={"code": 3043, "message": "Meeting has reached maximum attendee capacity."})
    with pytest.raises(errors.MeetingFull):
        zoom_client.add_registrant(MEETING, {"first_name": "Ann", "email": "ann@example.org"})
