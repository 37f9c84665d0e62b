import json
from datetime import UTC, datetime

import pytest

from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.zoom.signature import webhook_bytes
from zoombridge.zoom.webhooks import (
    BREAKOUT,
    CLOSES,
    MAIN,
    OPENS,
    WAITING,
    InvalidEvent,
    MeetingEvent,
    ParticipantEvent,
    dedupe_key,
    email_or_none,
    inbox_record,
    meeting_number,
    parse_attendance_event,
    parse_body,
    parse_time,
    request_time,
    text_or_none,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ANA = Participant("Ana", "16778240", registrant_id="reg-ana", email="Ana@Example.org")


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), ("", None), ("   ", None), (False, None), ({}, None),
    ("abc", "abc"), (" abc ", "abc"), (16778240, "16778240"), (16778240.0, "16778240"),
    ("Jos\u00e9\x00", "Jos\u00e9"), ("a\ud800b", "ab"),
])
def test_absent_values_are_none_and_ids_become_text(raw, expected):
    assert text_or_none(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("86431910364", 86431910364), (86431910364, 86431910364), (" 86431910364 ", 86431910364),
    ("", None), (None, None), ("abc", None), ("-5", None), ("1" * 20, None),
])
def test_meeting_ids_given_as_numbers_or_strings_are_the_same_meeting(raw, expected):
    assert meeting_number(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Ana@Example.ORG ", "ana@example.org"), ("", None), (None, None), ("not-an-email", None),
])
def test_emails_are_lower_case_and_blank_is_absent(raw, expected):
    assert email_or_none(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2022-03-23T12:33:26Z", datetime(2022, 3, 23, 12, 33, 26, tzinfo=UTC)),
    ("2022-03-23T12:33:26.250Z", datetime(2022, 3, 23, 12, 33, 26, 250000, tzinfo=UTC)),
    ("2022-03-23T13:33:26+01:00", datetime(2022, 3, 23, 12, 33, 26, tzinfo=UTC)),
    ("2022-03-23T12:33:26", datetime(2022, 3, 23, 12, 33, 26, tzinfo=UTC)),
    ("yesterday", None), ("", None), (1648038809, None),
])
def test_payload_times_are_read_as_utc(raw, expected):
    assert parse_time(raw) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("1739923528", datetime(2025, 2, 19, 0, 5, 28, tzinfo=UTC)),
    ("1697204592920", datetime(2023, 10, 13, 13, 43, 12, 920000, tzinfo=UTC)),  # milliseconds
    (None, None), ("", None), ("12.5", None), ("-1", None), ("1" * 30, None), ("abc", None),
])
def test_request_timestamps_are_seconds_or_milliseconds(header, expected):
    assert request_time(header) == expected


def test_null_and_empty_registrant_ids_are_both_absent():
    events = ZoomEvents()
    joined = parse_attendance_event(events.joined(Participant("Bo", "1"), T0))
    left = parse_attendance_event(events.left(Participant("Bo", "1"), T0))
    assert joined.identity.registrant_id is None and left.identity.registrant_id is None
    assert joined.identity.zoom_user_id is None  # "" for a guest who is not signed in


@pytest.mark.parametrize(("build", "place", "action", "field"), [
    (lambda e: e.joined(ANA, T0), MAIN, OPENS, "join_time"),
    (lambda e: e.left(ANA, T0), MAIN, CLOSES, "leave_time"),
    (lambda e: e.joined_breakout(ANA, "room-1", T0), BREAKOUT, OPENS, "join_time"),
    (lambda e: e.left_breakout(ANA, "room-1", T0), BREAKOUT, CLOSES, "leave_time"),
    (lambda e: e.joined_waiting_room(ANA, T0), WAITING, OPENS, "date_time"),
    (lambda e: e.put_in_waiting_room(ANA, T0), WAITING, OPENS, "date_time"),
    (lambda e: e.admitted(ANA, T0), WAITING, CLOSES, "date_time"),
    (lambda e: e.left_waiting_room(ANA, T0), WAITING, CLOSES, "date_time"),
])
def test_participant_events_say_where_and_when_from_the_payload_time(build, place, action, field):
    body = build(ZoomEvents(meeting_id_as_number=True))
    body["event_ts"] = 1  # the payload's own time wins over event_ts
    event = parse_attendance_event(body)
    assert isinstance(event, ParticipantEvent)
    assert (event.place, event.action, event.at) == (place, action, T0)
    assert event.meeting_id == 86431910364
    assert event.identity.registrant_id == "reg-ana" and event.identity.email == "ana@example.org"
    assert event.room == ("room-1" if place == BREAKOUT else None)


def test_event_ts_stands_in_when_the_payload_has_no_time():
    body = ZoomEvents().joined(ANA, T0)
    del body["payload"]["object"]["participant"]["join_time"]
    body["event_ts"] = int(T0.timestamp() * 1000) + 1500
    assert parse_attendance_event(body).at == datetime(2026, 11, 24, 10, 0, 1, 500000, tzinfo=UTC)


def test_meeting_started_and_ended_carry_their_times():
    events = ZoomEvents()
    started = parse_attendance_event(events.started(T0))
    ended = parse_attendance_event(events.ended(datetime(2026, 11, 24, 11, 30, tzinfo=UTC)))
    assert isinstance(started, MeetingEvent) and started.at == T0
    assert ended.at == datetime(2026, 11, 24, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize("body", [
    {"event": "meeting.sharing_started", "payload": {"object": {"uuid": "x"}}},
    {"event": "meeting.participant_joined", "payload": {"object": {"participant": {"user_id": "1"}}}},
    {"event": "meeting.participant_joined", "payload": {"object": {"uuid": "x", "participant": "nope"}}},
    {"event": "meeting.participant_joined", "payload": {"object": {"uuid": "x", "participant": {}}}},
    {"event": "meeting.participant_joined", "payload": []},
])
def test_bodies_without_attendance_meaning_parse_to_none(body):
    assert parse_attendance_event(body) is None


@pytest.mark.parametrize(("raw", "field"), [
    (b"not json", "body"), (b"[1, 2]", "body"), (b'{"payload": {}}', "event"), (b'{"event": 5}', "event"),
    (b'{"event": ""}', "event"), (b'{"event": "a\\u0000b"}', "event"), (b"\xff\xfe{}", "body"),
])
def test_bodies_that_are_not_zoom_events_are_refused_naming_the_field(raw, field):
    with pytest.raises(InvalidEvent) as info:
        parse_body(raw)
    assert info.value.field == field


def test_the_same_event_reserialised_keeps_its_dedupe_key():
    body = ZoomEvents().joined(Participant("José Zoë 🌞", "7", email="jose@example.org"), T0)
    again = json.loads(json.dumps(body, indent=2, sort_keys=True))
    assert dedupe_key(body) == dedupe_key(again)
    unknown = {"event": "meeting.sharing_started", "event_ts": 5, "payload": {"a": 1, "b": [2]}}
    assert dedupe_key(unknown) == dedupe_key(json.loads(json.dumps(unknown, indent=1)))


def test_different_facts_have_different_dedupe_keys():
    events = ZoomEvents()
    base = events.joined(ANA, T0)
    keys = {
        dedupe_key(base),
        dedupe_key(events.joined(ANA, T0)),  # same moment, later event_ts: a distinct delivery
        dedupe_key(events.left(ANA, T0)),
        dedupe_key(ZoomEvents(uuid="other==").joined(ANA, T0)),
        dedupe_key({**base, "payload": {"object": {**base["payload"]["object"],
                                                    "participant": {"user_id": "2", "join_time": "x"}}}}),
    }
    assert len(keys) == 5


def test_inbox_record_says_whether_attendance_acts_on_it():
    attendance = inbox_record(parse_body(webhook_bytes(ZoomEvents().joined(ANA, T0))))
    assert attendance.for_attendance and attendance.meeting_uuid == "hwkAADUySwyG3GyUkqc0vA=="
    other = inbox_record({"event": "recording.completed", "payload": {"object": {"uuid": "u"}}})
    assert not other.for_attendance and other.meeting_uuid == "u"


@pytest.mark.parametrize(("raw", "expected"), [
    (1648038809439, 1648038809439), ("1648038809439", 1648038809439), (1648038809439.0, 1648038809439),
    (True, None), (-1, None), (10**15, None), (2**70, None), (1e300, None), ("1" * 40, None), ("x", None),
])
def test_event_ts_is_a_plausible_millisecond_count_or_none(raw, expected):
    from zoombridge.zoom.webhooks import epoch_ms

    assert epoch_ms(raw) == expected
