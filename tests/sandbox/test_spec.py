"""The committed spec subset and the validation rules built on it."""

from __future__ import annotations

import json

import pytest

from zoombridge.sandbox import spec_extract
from zoombridge.sandbox.spec import zoom_spec

CUPPA = {"topic": "Co-Pro Cuppa", "type": 8, "start_time": "2027-01-05T10:00:00", "timezone": "Europe/London",
         "duration": 90, "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3,
                                        "end_times": 12},
         "settings": {"waiting_room": True, "approval_type": 1, "audio": "both"}}


needs_official_specs = pytest.mark.skipif(not spec_extract.DEFAULT_SPEC_DIR.is_dir(),
                                          reason="the official specs (shared/zoom-spec) are not on this machine")


@needs_official_specs
def test_committed_subset_is_exactly_what_the_official_specs_give_plus_the_documented_additions():
    fresh = spec_extract.render(spec_extract.extract(spec_extract.DEFAULT_SPEC_DIR))
    assert spec_extract.SUBSET_PATH.read_text(encoding="utf-8") == fresh, \
        "re-run: python -m zoombridge.sandbox.spec_extract"
    committed = json.loads(spec_extract.SUBSET_PATH.read_text(encoding="utf-8"))
    official_only = spec_extract.extract(spec_extract.DEFAULT_SPEC_DIR, with_additions=False)
    assert spec_extract.without_additions(committed) == official_only


@needs_official_specs
def test_the_official_specs_still_lack_each_addition_and_each_names_its_source():
    official = spec_extract.extract(spec_extract.DEFAULT_SPEC_DIR, with_additions=False)
    for method, path, where in spec_extract.ADDITION_PLACES:
        settings = spec_extract._node(official, method, path, where)
        assert set(spec_extract.SETTINGS_ADDITIONS).isdisjoint(settings), f"{method} {path}: drop the addition"
    for name, schema in spec_extract.SETTINGS_ADDITIONS.items():
        assert "changelog" in schema["x-added-by-zoombridge"], name


def test_the_ai_companion_fields_are_checked_in_every_place_they_travel():
    spec = zoom_spec()
    ok = {"settings": {"auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
                       "allow_participants_to_transcribe_meetings_with_my_notes": False}}
    assert spec.request_errors("PATCH", "/meetings/1", ok) == []
    assert spec.request_errors("POST", "/users/host@example.org/meetings", {**CUPPA, **ok}) == []
    wrong = {"settings": {"auto_start_meeting_summary": "off"}}
    assert spec.request_errors("PATCH", "/meetings/1", wrong) == [
        "settings.auto_start_meeting_summary: 'off' is not of type 'boolean'"]
    meeting = {"id": 1, "settings": {"auto_start_ai_companion_questions": "no"}}
    assert spec.response_errors("GET", "/meetings/1", 200, meeting) == [
        "settings.auto_start_ai_companion_questions: 'no' is not of type 'boolean'"]


def test_subset_has_every_operation_the_client_uses():
    ids = {zoom_spec().operation_id(method, path) for _source, method, path in spec_extract.OPERATIONS}
    assert ids == {"meetingCreate", "meetings", "meeting", "meetingUpdate", "meetingDelete", "meetingRegistrantCreate",
                   "meetingRegistrants", "meetingRegistrantGet", "meetingRegistrantStatus", "meetingPolls", "meetingPollCreate",
                   "meetingToken", "pastMeetings", "reportMeetingParticipants", "userSettings", "userSettingsUpdate",
                   "user"}


def _with(body: dict, **changes) -> dict:
    out = {**body}
    for dotted, value in changes.items():
        node = out
        *parents, leaf = dotted.split("__")
        for parent in parents:
            node[parent] = {**node[parent]}
            node = node[parent]
        node[leaf] = value
    return out


@pytest.mark.parametrize("body, problem", [
    (CUPPA, None),
    (_with(CUPPA, start_time="2027-01-05T10:00:00Z"), None),
    (_with(CUPPA, type="eight"), "type: 'eight' is not of type 'integer'"),
    (_with(CUPPA, recurrence__type=9), "recurrence.type: 9 is not one of [1, 2, 3]"),
    (_with(CUPPA, start_time="next tuesday"), "start_time: 'next tuesday' is not a 'date-time'"),
    (_with(CUPPA, settings__audio="phone"), "settings.audio: 'phone' is not one of"),
    (_with(CUPPA, recurrence__end_times=61), "recurrence.end_times: 61 is greater than the maximum of 60"),
    ({k: v for k, v in CUPPA.items() if k != "recurrence"}, "recurrence: required for a recurring meeting"),
    (_with(CUPPA, recurrence={"type": 3, "monthly_week": 1}), "monthly_week and monthly_week_day go together"),
    (_with(CUPPA, recurrence={"type": 3, "monthly_day": 2, "end_times": 2, "end_date_time": "2027-05-01T00:00:00Z"}),
     "end_times and end_date_time cannot both be set"),
    (_with(CUPPA, recurrence={"type": 3, "repeat_interval": 4, "monthly_day": 2}), "repeat_interval: must be 1..3"),
    (_with(CUPPA, settings__breakout_room={"enable": True, "rooms": [{"name": "A", "participants": ["ann"]}]}),
     "'ann' is not an email"),
])
def test_create_meeting_bodies_are_judged_as_zoom_would(body, problem):
    problems = zoom_spec().request_errors("POST", "/users/host@example.org/meetings", body)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("query, body, valid", [
    ({}, {"in_meeting": {"closed_caption": True, "closed_captioning": {"enable": True, "auto_transcribing": True},
                         "manual_captioning": {"auto_generated_captions": True}}}, True),
    ({}, {"in_meeting": {"waiting_room": "yes"}}, False),  # anyOf alone would let this through
    ({}, {"in_meeting": {"closed_caption": "on"}}, False),
])
def test_user_settings_are_checked_against_the_user_settings_branch(query, body, valid):
    problems = zoom_spec().request_errors("PATCH", "/users/host@example.org/settings", body, query)
    assert (problems == []) is valid, problems


def test_registrant_status_takes_at_most_thirty_registrants():
    body = {"action": "approve", "registrants": [{"id": str(i)} for i in range(31)]}
    assert zoom_spec().request_errors("PUT", "/meetings/1/registrants/status", body) == [
        "registrants: at most 30 per request"]


def test_registrant_needs_first_name_and_email():
    problems = zoom_spec().request_errors("POST", "/meetings/1/registrants", {"first_name": "Ann"})
    assert problems == ["<body>: 'email' is a required property"]


def test_concrete_paths_find_their_operation():
    spec = zoom_spec()
    assert spec.operation_id("GET", "/users/me") == "user"
    assert spec.operation_id("GET", "/report/meetings/%252Fab%253D%253D/participants") == "reportMeetingParticipants"
    with pytest.raises(KeyError):
        spec.find_operation("GET", "/webinars/1")
