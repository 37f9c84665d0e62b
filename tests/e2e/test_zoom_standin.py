"""End to end: the real Zoom client against the stand-in over HTTP, then a played session.

create meeting -> registrants -> list -> breakout plan, poll, captions -> play -> past
instances -> participant report, with the stand-in checking every request body and every
answer against the spec on the way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tests.conftest import WEBHOOK_SECRET
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.zoom import errors

pytestmark = pytest.mark.e2e

HOST = "host@example.org"
CUPPA = {
    "topic": "Co-Pro Cuppa", "type": 8, "start_time": datetime(2027, 1, 5, 10, tzinfo=UTC), "timezone": "Europe/London",
    "duration": 90, "agenda": "First Tuesday of the month",
    "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3, "end_times": 12},
    "settings": {"waiting_room": True, "approval_type": 1, "registration_type": 1, "audio": "both",
                 "global_dial_in_countries": ["GB"], "registrants_email_notification": False,
                 "registrants_confirmation_email": False},
}
PEOPLE = ["Ann", "Bo", "Cy", "Dee", "Ed", "Flo", "Gus"]


def test_client_runs_a_whole_session_against_the_standin(standin_client, standin_server, webhook_receiver, clock):
    client = standin_client
    meeting = client.create_meeting(HOST, CUPPA)
    assert meeting["occurrences"][0]["start_time"] == "2027-01-05T10:00:00Z"
    assert [o["start_time"][:10] for o in meeting["occurrences"][:3]] == ["2027-01-05", "2027-02-02", "2027-03-02"]
    mid = meeting["id"]
    made = {name: client.add_registrant(mid, {"first_name": name, "email": f"{name.lower()}@example.org",
                                              "auto_approve": True}) for name in PEOPLE}
    assert all(r["join_url"] and r["participant_pin_code"] for r in made.values())
    assert len({r["join_url"] for r in made.values()}) == len(PEOPLE)
    listed = list(client.list_registrants(mid))
    assert [r["first_name"] for r in listed] == PEOPLE
    client.update_registrant_status(mid, "cancel", [{"id": made["Gus"]["registrant_id"]}])
    assert [r["first_name"] for r in client.list_registrants(mid)] == PEOPLE[:-1]
    assert [r["first_name"] for r in client.list_registrants(mid, status="denied")] == ["Gus"]
    client.set_breakout_rooms(mid, [{"name": "Room 1", "participants": ["ann@example.org", "bo@example.org"]}], host=HOST)
    assert client.get_meeting(mid)["settings"]["breakout_room"]["rooms"][0]["name"] == "Room 1"
    assert client.create_poll(mid, {"title": "Icebreaker", "questions": [
        {"name": "Tea or coffee?", "type": "single", "answers": ["Tea", "Coffee"]}]})["status"] == "notstart"
    assert [p["title"] for p in client.list_polls(mid)] == ["Icebreaker"]
    client.update_user_settings(HOST, {"in_meeting": {"closed_caption": True, "closed_captioning": {
        "enable": True, "auto_transcribing": True}, "manual_captioning": {"auto_generated_captions": True}}})
    assert client.get_user_settings(HOST)["in_meeting"]["closed_captioning"]["auto_transcribing"] is True
    assert client.get_caption_token_url(mid).startswith(standin_server.url + "/closedcaption?")
    assert [m["id"] for m in client.list_meetings(HOST)] == [mid]

    player = MeetingPlayer(standin_server.url, WEBHOOK_SECRET, clock=clock)
    played = player.play(mid, "cuppa", webhook_receiver.url, start=datetime(2027, 1, 5, 10, tzinfo=UTC), omit=[5])
    assert not played.failed and all(r.signature_valid for r in webhook_receiver.received)
    joined_registrants = {r.body["payload"]["object"]["participant"]["registrant_id"]
                          for r in webhook_receiver.received if r.event == "meeting.participant_joined"}
    assert {made[n]["registrant_id"] for n in PEOPLE[:-1]} <= joined_registrants
    assert made["Gus"]["registrant_id"] not in joined_registrants  # cancelled: not cast

    instances = client.list_past_instances(mid)
    assert instances == [{"uuid": played.performance.uuid, "start_time": "2027-01-05T10:00:00Z"}]
    report = list(client.report_participants(instances[0]["uuid"]))
    assert report == played.performance.report_rows
    assert {r["registrant_id"] for r in report if r["registrant_id"]} == {made[n]["registrant_id"] for n in PEOPLE[:-1]}

    client.delete_meeting(mid)
    with pytest.raises(errors.MeetingNotFound):
        client.get_meeting(mid)


def test_client_rides_out_the_standins_faults(standin_client, standin_server, standin_sleeps):
    faults = standin_server.app.extensions["zoombridge.sandbox.faults"]
    faults.arm("rate_limit", retry_after="2", path_prefix="/v2/users")
    faults.arm("server_error", status=502, path_prefix="/v2/users")
    assert "in_meeting" in standin_client.get_user_settings(HOST)
    assert len(standin_sleeps) == 2 and 2 <= standin_sleeps[0] <= 2.5
    standin_server.state.revoke_tokens()  # Zoom's 401 code 124: fetched again once
    assert "in_meeting" in standin_client.get_user_settings(HOST)
    faults.arm("daily_limit", retry_after="2030-01-01T00:00:00Z", path_prefix="/v2/users")
    with pytest.raises(errors.DailyLimitReached):
        standin_client.create_meeting(HOST, CUPPA)
    with pytest.raises(errors.DailyLimitReached):  # the breaker holds: not even sent
        standin_client.create_meeting(HOST, CUPPA)
    faults.arm("slow", delay_seconds=0.6, times=4)
    standin_client.timeout = (1.0, 0.3)  # every call has a timeout; a slow Zoom is retried, then given up on
    with pytest.raises(errors.ZoomUnavailable, match="ReadTimeout"):
        standin_client.get_meeting(1)


def test_cli_lists_and_plays_a_session_to_a_target(standin_client, standin_server, webhook_receiver, monkeypatch,
                                                   tmp_path):
    from zoombridge.cli import main

    mid = standin_client.create_meeting(HOST, CUPPA)["id"]
    for name in PEOPLE[:5]:
        standin_client.add_registrant(mid, {"first_name": name, "email": f"{name.lower()}@example.org",
                                            "auto_approve": True})
    monkeypatch.setenv("ZOOM_WEBHOOK_SECRET_TOKEN", WEBHOOK_SECRET)
    monkeypatch.setenv("ZOOMBRIDGE_INSTANCE_DIR", str(tmp_path))
    runner = CliRunner()
    listing = runner.invoke(main, ["sandbox", "play", "--meeting", str(mid), "--script", "cuppa", "--list",
                                   "--standin", standin_server.url])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert "meeting.started" in lines[1] and "late retry" in listing.output
    assert lines[0].split()[:2] == ["1", "-0:02:00"] and lines[-1].split()[1:] == ["+1:30:05", "meeting.ended"]
    played = runner.invoke(main, ["sandbox", "play", "--meeting", str(mid), "--script", "cuppa", "--standin",
                                  standin_server.url, "--target", webhook_receiver.url, "--omit", "1", "--omit", "2"])
    assert played.exit_code == 0, played.output
    assert f"{len(lines) - 2} delivered, 2 omitted, 0 refused" in played.output
    assert len(webhook_receiver.received) == len(lines) - 2
    assert all(r.signature_valid for r in webhook_receiver.received)
    missing = runner.invoke(main, ["sandbox", "play", "--meeting", "1", "--script", "cuppa", "--standin",
                                   standin_server.url])
    assert missing.exit_code != 0 and "no meeting 1" in missing.output
