"""Captions in every room, and AI Companion as asked: the pure rules (docs/zoom.md §3, §5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zoombridge.planning.formats import AiCompanion, load_formats
from zoombridge.sessions import ai_settings
from zoombridge.sessions.captions import (
    AUTOMATED,
    CAPTIONER,
    NONE,
    WARNING,
    caption_plan,
    room_statuses,
    token_lifetime_seconds,
)

CAPTIONER_EMAIL = "captions@example.net"


@pytest.fixture(scope="module")
def formats():
    return load_formats()


def methods(plan):
    return [(room.room, room.method) for room in plan.rooms]


def test_without_a_captioner_every_room_has_zoom_s_automated_captions(formats):
    plan = caption_plan(formats.get("cuppa"), ["Room 1", "Room 2"])
    assert methods(plan) == [("Main room", AUTOMATED), ("Room 1", AUTOMATED), ("Room 2", AUTOMATED)]
    assert plan.warning is None and not plan.uses_captioner


def test_a_captioner_with_breakout_rooms_leaves_them_uncaptioned_and_warns_until_staff_choose(formats):
    fmt = formats.get("co-production").with_overrides({"captioner_email": CAPTIONER_EMAIL})
    plan = caption_plan(fmt)
    assert methods(plan) == [("Main room", CAPTIONER), ("Breakout rooms", NONE)]
    assert plan.warning == WARNING and "no automated captions" in plan.warning


def test_choosing_automated_captions_drops_the_captioner_so_every_room_is_captioned(formats):
    fmt = formats.get("co-production").with_overrides({"captioner_email": CAPTIONER_EMAIL,
                                                       "breakout_captions": "automated"})
    plan = caption_plan(fmt, ["Room 1", "Room 2"])
    assert methods(plan) == [("Main room", AUTOMATED), ("Room 1", AUTOMATED), ("Room 2", AUTOMATED)]
    assert plan.warning is None and not plan.uses_captioner


def test_choosing_the_captioner_in_the_main_room_only_is_a_choice_not_a_warning(formats):
    fmt = formats.get("co-production").with_overrides({"captioner_email": CAPTIONER_EMAIL,
                                                       "breakout_captions": "none"})
    plan = caption_plan(fmt, ["Room 1"])
    assert methods(plan) == [("Main room", CAPTIONER), ("Room 1", NONE)]
    assert plan.warning is None and plan.uses_captioner


def test_a_captioner_in_a_session_without_breakout_rooms_captions_the_one_room(formats):
    plan = caption_plan(formats.get("strategy").with_overrides({"captioner_email": CAPTIONER_EMAIL}))
    assert methods(plan) == [("Main room", CAPTIONER)] and plan.warning is None


def test_each_room_says_whether_its_captions_were_verified(formats):
    fmt = formats.get("co-production").with_overrides({"captioner_email": CAPTIONER_EMAIL,
                                                       "breakout_captions": "none"})
    plan = caption_plan(fmt, ["Room 1"])
    before = room_statuses(plan, "unknown", None, None)
    assert [(s.room, s.verified) for s in before] == [("Main room", False), ("Room 1", False)]
    allowed = room_statuses(plan, "on", CAPTIONER, None)
    assert allowed[0].text == "captioner: allowed for the host; caption link not sent yet (on the morning)"
    sent = room_statuses(plan, "on", CAPTIONER, datetime(2026, 12, 9, 8, tzinfo=UTC))
    assert [(s.verified, s.text) for s in sent] == [
        (True, "captioner: verified on"), (False, "no captions (the captioner is in the main room)")]
    # A check made for automated captions does not verify a captioner (the plan changed since)
    assert not room_statuses(plan, "on", AUTOMATED, None)[0].verified


def test_the_caption_link_lives_as_long_as_its_expire_says():
    url = "https://wmcc.zoom.us/closedcaption?id=200610693&ns=GZHkEA==&expire=86400&spparams=id%2Cns%2Cexpire&sig=x"
    assert token_lifetime_seconds(url) == 86400
    assert token_lifetime_seconds("https://wmcc.zoom.us/closedcaption?id=1&expire=3600") == 3600
    assert token_lifetime_seconds("https://wmcc.zoom.us/closedcaption?id=1") == 86400  # Zoom's documented example


def test_every_ai_companion_field_is_sent_off_unless_the_format_asks():
    assert ai_settings.wanted_settings(AiCompanion()) == {
        "auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
        "allow_participants_to_transcribe_meetings_with_my_notes": False}
    assert ai_settings.wanted_settings(AiCompanion(meeting_summary=True))["auto_start_meeting_summary"] is True


def test_a_read_back_meeting_is_judged_field_by_field():
    wanted = ai_settings.wanted_settings(AiCompanion())
    meeting = {"settings": {"auto_start_meeting_summary": True, "auto_start_ai_companion_questions": False}}
    check = ai_settings.check(meeting, wanted)
    assert check.unwanted_on == ("auto_start_meeting_summary",)
    assert check.unconfirmed == ("allow_participants_to_transcribe_meetings_with_my_notes",)
    assert not check.as_asked
    state = {"wanted": wanted, **check.to_dict()}
    assert ai_settings.summary(state) == "ON although not asked for: AI Companion meeting summary"
    quiet = ai_settings.check({"settings": dict.fromkeys(wanted, False)}, wanted)
    assert ai_settings.summary({"wanted": wanted, **quiet.to_dict()}) == "off (checked with Zoom)"


def test_a_format_may_ask_for_ai_companion_and_a_wrong_override_names_its_field(formats):
    fmt = formats.get("strategy").with_overrides({"ai_companion": {"meeting_summary": True}})
    assert fmt.ai_companion == AiCompanion(meeting_summary=True)
    from zoombridge.planning.formats import FormatError

    with pytest.raises(FormatError) as caught:
        formats.get("strategy").with_overrides({"ai_companion": {"summary": True}})
    assert caught.value.field == "overrides.ai_companion.summary"
    with pytest.raises(FormatError) as caught:
        formats.get("cuppa").with_overrides({"breakout_captions": "captioner"})
    assert caught.value.field == "overrides.breakout_captions"
