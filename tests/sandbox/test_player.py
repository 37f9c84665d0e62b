"""The meeting player: signed webhooks in the script's order, lost and repeated deliveries,
and the matching participant report left on the stand-in."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import WEBHOOK_SECRET
from zoombridge.clock import ManualClock
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.sandbox.scripts import SCRIPTS

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
PEOPLE = ["Ann", "Bo", "Cy", "Dee", "Ed", "Flo", "Gus", "Hal", "Ida"]


@pytest.fixture
def meeting(standin_server):
    state = standin_server.state
    made = state.create_meeting("host@example.org", {
        "topic": "Co-Pro Cuppa", "type": 8, "start_time": "2026-12-01T10:00:00", "timezone": "Europe/London",
        "duration": 90, "recurrence": {"type": 3, "monthly_week": 1, "monthly_week_day": 3, "end_times": 3},
        "settings": {"approval_type": 1}})
    for name in PEOPLE:
        state.add_registrant(made["id"], {"first_name": name, "email": f"{name.lower()}@example.org",
                                          "auto_approve": True})
    return made


@pytest.fixture
def player_clock():
    return ManualClock(datetime(2026, 12, 1, 11, 45, tzinfo=UTC))


@pytest.fixture
def player(standin_server, player_clock):
    return MeetingPlayer(standin_server.url, WEBHOOK_SECRET, clock=player_clock, sleep=player_clock_sleep(player_clock))


def player_clock_sleep(clock):
    def sleep(seconds):
        clock.advance(seconds=seconds)
    return sleep


def _participant(received, event, name):
    return [r.body["payload"]["object"]["participant"] for r in received
            if r.event == event and r.body["payload"]["object"]["participant"]["user_name"] == name]


def test_every_webhook_is_signed_and_arrives_in_script_order(player, meeting, webhook_receiver, player_clock):
    result = player.play(meeting["id"], "cuppa", webhook_receiver.url, start=START)
    got = webhook_receiver.received
    assert len(got) == len(result.performance.deliveries) == len(result.delivered) and not result.failed
    assert all(r.signature_valid for r in got)
    assert {r.headers["X-Zm-Request-Timestamp"] for r in got} == {str(int(player_clock.now().timestamp()))}
    assert got[0].event == "meeting.participant_joined_waiting_room"  # 2 minutes before the start
    assert got[1].event == "meeting.started" and got[-1].event == "meeting.ended"
    first = got[1].body
    assert first["payload"]["object"]["id"] == str(meeting["id"]) and first["event_ts"] == int(START.timestamp() * 1000)
    assert got[-1].body["payload"]["object"]["end_time"] == "2026-12-01T11:30:00Z"


def test_the_cast_behaves_as_the_script_says(player, meeting, webhook_receiver):
    player.play(meeting["id"], "cuppa", webhook_receiver.url, start=START)
    got = webhook_receiver.received
    events = [r.event for r in got]
    ann_waiting = events.index("meeting.participant_joined_waiting_room")
    ann_admitted = events.index("meeting.participant_admitted")
    assert ann_waiting < ann_admitted
    registrants = {r["first_name"]: r["id"] for r in meeting_registrants(player, meeting)}
    ann_joins = _participant(got, "meeting.participant_joined", "Ann")
    assert len(ann_joins) == 2 and ann_joins[0] == ann_joins[1]  # delivered twice
    assert ann_joins[0]["registrant_id"] == registrants["Ann"] and ann_joins[0]["join_time"] == "2026-12-01T10:00:30Z"
    phone = [p for r in got if r.event == "meeting.participant_joined"
             for p in [r.body["payload"]["object"]["participant"]] if p.get("phone_number")]
    with_pin = [p for p in phone if p["registrant_id"]]
    without_pin = [p for p in phone if not p["registrant_id"]]
    assert [p["registrant_id"] for p in with_pin] == [registrants["Bo"]] and with_pin[0]["email"] == ""
    assert len(without_pin) == 1 and without_pin[0]["registrant_id"] in (None, "") and without_pin[0]["email"] == ""
    cy_joins = _participant(got, "meeting.participant_joined", "Cy")
    assert len(cy_joins) == 2 and cy_joins[0]["user_id"] != cy_joins[1]["user_id"]  # dropped out, rejoined
    dee_left = [i for i, r in enumerate(got) if r.event == "meeting.participant_left"
                and r.body["payload"]["object"]["participant"]["user_name"] == "Dee"]
    assert len(dee_left) == 1 and got[dee_left[0]].body["payload"]["object"]["participant"]["leave_time"] == \
        "2026-12-01T10:45:00Z"
    later_events_before = [r for r in got[:dee_left[0]] if r.body["event_ts"] > got[dee_left[0]].body["event_ts"]]
    assert later_events_before, "Dee's leaving arrives late, after events that happened after it"
    assert _participant(got, "meeting.participant_joined", "Ed")[0]["join_time"] == "2026-12-01T10:45:00Z"
    same_id_twice = [rid for rid, n in Counter(r.request_id for r in got).items() if n == 2]
    assert len(same_id_twice) == 1
    bodies = Counter(r.raw for r in got)
    assert sum(1 for n in bodies.values() if n == 2) == 2  # one retry, one second delivery with a new id
    joined_bo = [r.body["payload"] for r in got if r.event == "meeting.participant_joined_breakout_room"]
    assert joined_bo and all(p["object"]["breakout_room_uuid"] and p["object"]["participant"]["parent_user_id"]
                             for p in joined_bo)
    rooms_round_one = {p["object"]["breakout_room_uuid"] for p in joined_bo
                       if p["object"]["participant"]["join_time"] < "2026-12-01T10:40:00Z"}
    assert len(rooms_round_one) == 2  # 8 people in the main room at 10:10, rooms of 4


def meeting_registrants(player, meeting):
    return player.http.get(f"{player.standin_url}/_sandbox/meetings/{meeting['id']}").json()["registrants"]


def test_omitted_webhooks_are_lost_but_the_report_still_has_them(player, meeting, webhook_receiver, standin_client):
    listing = player.performance(meeting["id"], "cuppa", START).deliveries
    dee_left = next(n for n, d in enumerate(listing, start=1) if d.event == "meeting.participant_left"
                    and d.body["payload"]["object"]["participant"]["user_name"] == "Dee")
    result = player.play(meeting["id"], "cuppa", webhook_receiver.url, start=START, omit=[dee_left])
    assert [n for n, _ in result.omitted] == [dee_left]
    assert not _participant(webhook_receiver.received, "meeting.participant_left", "Dee")
    report = list(standin_client.report_participants(meeting["id"]))
    assert report == result.performance.report_rows
    dee = [r for r in report if r["name"] == "Dee" and "bo_mtg_id" not in r]
    assert [(r["join_time"], r["leave_time"], r["duration"]) for r in dee] == [
        ("2026-12-01T10:02:30Z", "2026-12-01T10:45:00Z", 2550)]
    waiting = [r for r in report if r["status"] == "in_waiting_room"]
    assert [(r["name"], r["join_time"], r["leave_time"]) for r in waiting] == [
        ("Ann", "2026-12-01T09:58:00Z", "2026-12-01T10:00:24Z")]


def test_a_guest_comes_in_by_the_generic_link_without_registrant_or_email(player, meeting, webhook_receiver,
                                                                        standin_client):
    without = player.performance(meeting["id"], "cuppa", START)
    result = player.play(meeting["id"], "cuppa", webhook_receiver.url, start=START, guests=["Priya's iPad"])
    (joined,) = _participant(webhook_receiver.received, "meeting.participant_joined", "Priya's iPad")
    assert joined["registrant_id"] in (None, "") and joined["email"] == "" and "phone_number" not in joined
    assert joined["join_time"] == "2026-12-01T10:03:00Z"
    (left,) = _participant(webhook_receiver.received, "meeting.participant_left", "Priya's iPad")
    assert left["leave_time"] == "2026-12-01T11:30:00Z"
    rows = [r for r in standin_client.report_participants(meeting["id"]) if r["name"] == "Priya's iPad"]
    assert [(r["join_time"], r["leave_time"], r["registrant_id"]) for r in rows if "bo_mtg_id" not in r] == [
        ("2026-12-01T10:03:00Z", "2026-12-01T11:30:00Z", "")]
    others = [d.body["event"] for d in result.performance.deliveries if "Priya" not in str(d.body)]
    assert Counter(others) == Counter(d.event for d in without.deliveries)  # the cast plays as before
    assert len(result.performance.deliveries) == len(without.deliveries) + 6  # join, leave, two breakouts


def test_pace_plays_in_time_on_the_injected_clock(player, meeting, webhook_receiver, player_clock):
    before = player_clock.now()
    player.play(meeting["id"], "network", webhook_receiver.url, start=START, pace=60.0)
    stamps = [int(r.headers["X-Zm-Request-Timestamp"]) for r in webhook_receiver.received]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
    # 60x: the last delivery (meeting.ended, 2 minutes waiting room before the start) is ~62 s later
    assert timedelta(seconds=60) <= player_clock.now() - before <= timedelta(seconds=66)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_each_script_plays_with_valid_signatures_and_a_report(script, player, meeting, webhook_receiver, standin_client):
    result = player.play(meeting["id"], script, webhook_receiver.url, start=START)
    assert result.delivered and all(r.signature_valid for r in webhook_receiver.received)
    instances = standin_client.list_past_instances(meeting["id"])
    assert instances == [{"uuid": result.performance.uuid, "start_time": "2026-12-01T10:00:00Z"}]
    ended = result.performance.end - result.performance.start
    assert ended == timedelta(minutes=SCRIPTS[script].minutes)


def test_a_meeting_nobody_registered_for_still_plays(standin_server, player, webhook_receiver):
    empty = standin_server.state.create_meeting("host@example.org", {"topic": "Empty", "type": 2,
                                                                     "settings": {"approval_type": 0}})
    result = player.play(empty["id"], "cuppa", webhook_receiver.url, start=START)
    rows = result.performance.report_rows
    assert sorted((r["name"].startswith("+44"), r["registrant_id"]) for r in rows) == [(False, ""), (True, "")]
    assert [r["name"] for r in rows if not r["name"].startswith("+44")] == ["Host"]


def test_unknown_meetings_and_scripts_are_refused(player, meeting):
    with pytest.raises(LookupError):
        player.performance(1, "cuppa")
    with pytest.raises(ValueError, match="cuppa"):
        player.performance(meeting["id"], "karaoke")
