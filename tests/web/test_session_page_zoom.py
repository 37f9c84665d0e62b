"""The session page says what Zoom holds: host, AI Companion, captions room by room, what waits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.builders import add_session
from tests.web.conftest import csrf_token_of
from zoombridge.store import zoom_waits
from zoombridge.store.models import AuditEntry, Session

START = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def upcoming(db, now, **fields) -> int:
    with db() as s:
        return add_session(s, starts_at=START, minutes=180, title="Website day", zoom_meeting_state="created",
                           zoom_meeting_id=85746065101, **fields).id


def test_the_page_names_the_host_and_what_zoom_confirmed_about_ai_companion(staff_client, db, clock):
    kept_on = {"wanted": dict.fromkeys(["auto_start_meeting_summary", "auto_start_ai_companion_questions"], False),
               "as_asked": False, "unwanted_on": ["auto_start_meeting_summary"], "unwanted_off": [], "unconfirmed": []}
    session_id = upcoming(db, clock.now(), host="bea@example.org", zoom_details={"ai_companion": kept_on})
    page = staff_client.get(f"/staff/sessions/{session_id}").data.decode()
    assert "<dt>Zoom host</dt><dd>bea@example.org</dd>" in page
    assert "<strong>ON although not asked for: AI Companion meeting summary</strong>" in page


def test_what_waits_on_zoom_is_listed_with_its_limit_and_until_when(staff_client, db, clock):
    session_id = upcoming(db, clock.now())
    with db() as s:
        zoom_waits.record(s, intent="register:7", session_id=session_id, what="registering Ann",
                          limit="Zoom's limit of 3 registrations a day for one person on one meeting",
                          until=datetime(2026, 11, 25, tzinfo=UTC), now=clock.now())
    page = staff_client.get(f"/staff/sessions/{session_id}").data.decode()
    assert "Waiting on Zoom" in page
    assert ("Registering Ann: waits for Zoom&#39;s limit of 3 registrations a day for one person on one meeting; "
            "tries again Wednesday 25 November 2026 at 00:00 (UK time).") in page


def test_nothing_waiting_shows_no_waiting_section(staff_client, db, clock):
    page = staff_client.get(f"/staff/sessions/{upcoming(db, clock.now())}").data.decode()
    assert "Waiting on Zoom" not in page


def test_a_captioner_with_breakout_rooms_warns_and_staff_choose_from_the_page(staff_client, db, clock):
    session_id = upcoming(db, clock.now(), overrides={"captioner_email": "captions@example.net"},
                          captions_state="on", captions_method="captioner")
    page = staff_client.get(f"/staff/sessions/{session_id}").data.decode()
    assert "Breakout rooms have no captions." in page
    assert '<th scope="row">Breakout rooms</th>' in page and "no captions (the captioner is in the main room)" in page
    token = csrf_token_of(staff_client, f"/staff/sessions/{session_id}")
    response = staff_client.post(f"/staff/sessions/{session_id}/captions",
                                 data={"csrf_token": token, "breakout_captions": "automated"}, follow_redirects=True)
    page = response.data.decode()
    assert "Zoom&#39;s automated captions in every room, without the captioner." in page
    assert "Breakout rooms have no captions." not in page
    with db() as s:
        session = s.get(Session, session_id)
        assert session.overrides == {"captioner_email": "captions@example.net", "breakout_captions": "automated"}
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "session.updated")).actor == "sam@example.org"
    # The host's captions are checked again for the new plan (the job is queued; Zoom is not called here)
    assert "Zoom&#39;s automated captions: not verified yet" in page


def test_a_missing_captions_choice_is_refused_and_nothing_changes(staff_client, db, clock):
    session_id = upcoming(db, clock.now(), overrides={"captioner_email": "captions@example.net"})
    token = csrf_token_of(staff_client, f"/staff/sessions/{session_id}")
    response = staff_client.post(f"/staff/sessions/{session_id}/captions", data={"csrf_token": token},
                                 follow_redirects=True)
    assert "Choose how the breakout rooms are captioned." in response.data.decode()
    with db() as s:
        assert s.get(Session, session_id).overrides == {"captioner_email": "captions@example.net"}
