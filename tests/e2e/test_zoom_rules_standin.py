"""End to end on the Zoom stand-in: the rules of the real Zoom that issue 14 is about.

Real parts: the staff API, the jobs, the real Zoom client over HTTP, the stand-in (its answers
checked against Zoom's spec; Zoom's per-host and per-registrant daily limits, 4,999 registrants
per meeting, AI Companion fields that take the account's defaults) and a real SMTP server.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.sessions.api_client import Api
from tests.standin_fixtures import on_the_standin
from zoombridge.notify.organisation import load_organisation
from zoombridge.store.models import AuditEntry, Registration, Session, ZoomWait

pytestmark = pytest.mark.e2e
AI_FIELDS = ("auto_start_meeting_summary", "auto_start_ai_companion_questions",
             "allow_participants_to_transcribe_meetings_with_my_notes")
MIDNIGHT = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
def settings(settings, smtp_server, standin_server):
    return on_the_standin(settings, standin_server, smtp_server)


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)


def sessions(db) -> dict[int, Session]:
    with db() as s:
        return {x.id: x for x in s.scalars(select(Session).order_by(Session.starts_at))}


def waits(db) -> list[tuple[str, str, datetime]]:
    with db() as s:
        return [(w.intent, w.limit, w.until) for w in s.scalars(select(ZoomWait).order_by(ZoomWait.intent))]


# --- item 4: no AI Companion by surprise -------------------------------------------------------

def test_ai_companion_stays_off_on_an_account_that_defaults_it_on(api, db, run_jobs, standin_server, smtp_server):
    assert all(standin_server.state.account_ai_defaults[f] for f in AI_FIELDS)  # left out, they would be on
    session = api.new_session(kind="cuppa", start="2026-12-01T10:30")
    run_jobs()
    (meeting,) = standin_server.state.meetings.values()
    assert {f: meeting["settings"][f] for f in AI_FIELDS} == dict.fromkeys(AI_FIELDS, False)
    stored = sessions(db)[session["id"]].zoom_details["ai_companion"]
    assert stored["as_asked"] is True and stored["unconfirmed"] == []
    assert api.get(f"/sessions/{session['id']}").get_json()["ai_companion"]["unwanted_on"] == []
    assert smtp_server.messages == []


def test_an_account_that_keeps_ai_companion_on_is_turned_off_once_then_staff_are_told(
        api, db, run_jobs, standin_server, smtp_server, standin_answers):
    standin_server.state.ai_locked_on = {"auto_start_meeting_summary"}
    session = api.new_session(kind="cuppa", title="Cuppa for everyone", start="2026-12-01T10:30")
    run_jobs()
    meeting_id = sessions(db)[session["id"]].zoom_meeting_id
    assert standin_answers.statuses("PATCH", f"/v2/meetings/{meeting_id}") == Counter({204: 1})  # turned off once
    stored = sessions(db)[session["id"]].zoom_details["ai_companion"]
    assert stored["unwanted_on"] == ["auto_start_meeting_summary"]
    (alert,) = smtp_server.messages_to(load_organisation().staff_email)
    assert alert["Subject"] == "Action needed: AI Companion is on for Cuppa for everyone"
    assert "Still on: AI Companion meeting summary" in alert.get_body(("plain",)).get_content()


# --- items 5 and 6: one host's or one person's limit never stops everyone --------------------

def test_one_hosts_daily_limit_holds_back_only_that_hosts_meetings_until_midnight(
        api, db, run_jobs, standin_server, standin_answers, clock):
    standin_server.state.meeting_writes_per_host = 2  # Zoom's 100 a day, made small
    first = [api.new_session(kind="co-production", title=f"Ours {n}", start=f"2026-12-0{n + 1}T10:00")["id"]
             for n in range(3)]
    theirs = api.new_session(kind="co-production", title="Bea's", start="2026-12-05T10:00", host="bea@example.org")
    run_jobs()
    made = sessions(db)
    assert [made[i].zoom_meeting_state for i in first] == ["created", "created", "creating"]
    assert made[theirs["id"]].zoom_meeting_state == "created"  # another host's budget
    assert standin_answers.statuses("POST", "/meetings")[429] == 1  # then the breaker kept it at home
    assert waits(db) == [(f"create-meeting:{first[2]}", "the host's daily limit of 100 meeting creates and updates",
                          MIDNIGHT)]
    assert not run_jobs.failed()  # waiting, not failing: no retries spent

    clock.set(MIDNIGHT + timedelta(seconds=1))
    run_jobs()
    assert sessions(db)[first[2]].zoom_meeting_state == "created"
    assert waits(db) == []
    assert standin_answers.statuses("POST", "/meetings")[201] == 4


def test_one_persons_registration_limit_holds_back_only_that_person(
        api, db, run_jobs, standin_server, clock):
    standin_server.state.registrations_per_registrant = 1  # Zoom's 3 a day, made small
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    ann = api.register(session["id"], first_name="Ann", email="ann@example.org")
    run_jobs()
    api.delete(f"/sessions/{session['id']}/registrations/{ann['id']}")
    run_jobs()
    again = api.register(session["id"], first_name="Ann", email="ann@example.org")  # her second POST today
    api.register(session["id"], first_name="Bo", email="bo@example.org")
    run_jobs()
    with db() as s:
        registered = {r.person.first_name: bool(r.join_url) for r in s.scalars(
            select(Registration).where(Registration.status == "active"))}
    assert registered == {"Ann": False, "Bo": True}
    assert waits(db) == [(f"register:{again['id']}",
                          "Zoom's limit of 3 registrations a day for one person on one meeting", MIDNIGHT)]
    clock.set(MIDNIGHT + timedelta(seconds=1))
    run_jobs()
    with db() as s:
        assert s.get(Registration, again["id"]).join_url
    assert waits(db) == []


# --- item 7: a meeting holds at most 4,999 registrants ----------------------------------------

def test_a_full_series_meeting_hands_the_later_sessions_to_a_new_recurring_meeting(
        api, db, run_jobs, standin_server, smtp_server):
    standin_server.state.max_registrants = 5  # Zoom's 4,999, made small
    body = api.new_session(kind="cuppa", start="2027-01-05T10:30", repeat={"first": "tuesday", "count": 4})
    jan, feb, mar, apr = [x["id"] for x in body["sessions"]]
    run_jobs()
    (full_id,) = standin_server.state.meetings
    for session_id, people in ((jan, "ab"), (feb, "cd"), (mar, "ef")):
        for name in people:
            api.register(session_id, first_name=name.upper(), email=f"{name}@example.org")
        run_jobs()

    made = sessions(db)
    assert {made[jan].zoom_meeting_id, made[feb].zoom_meeting_id} == {full_id}
    new_id = made[mar].zoom_meeting_id
    assert new_id not in (None, full_id) and made[apr].zoom_meeting_id == new_id
    assert (made[mar].meeting_part, made[apr].meeting_part) == (1, 1)
    new = standin_server.state.meetings[new_id]
    assert new["recurrence"]["end_times"] == 2 and new["occurrences"][0]["start_time"] == "2027-03-02T10:30:00Z"
    old = standin_server.state.meetings[full_id]
    assert [o["status"] for o in old["occurrences"]] == ["available", "available", "deleted", "deleted"]
    with db() as s:
        for registration in s.scalars(select(Registration)):
            meeting = made[registration.session_id].zoom_meeting_id
            assert registration.join_url and f"/w/{meeting}?" in registration.join_url, registration.person.email
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "series.split")).details["sessions"] == [
            mar, apr]
    api.register(apr, first_name="G", email="g@example.org")  # later registrations go to the new meeting
    run_jobs()
    assert [r["email"] for r in standin_server.state.registrants[new_id]] == [
        "e@example.org", "f@example.org", "g@example.org"]
