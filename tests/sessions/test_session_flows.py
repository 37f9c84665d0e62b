"""Whole session setups through the API and the jobs, against the Zoom stand-in (in this process) and a
real SMTP server."""


import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.builders import text_of, utc
from workers.jobs import meetings
from zoombridge.notify.organisation import load_organisation
from zoombridge.store.models import EmailMessage, Registration, Session
from zoombridge.zoom.errors import UserNotFound, ZoomUnavailable


def calendar_event(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0], part


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def session_row(db, session_id):
    with db() as s:
        return s.get(Session, session_id)


def test_a_cuppa_series_for_six_months_is_one_recurring_meeting_on_first_tuesdays(api, db, run_jobs, standin):
    body = api.new_session(kind="cuppa", title="Co-Pro Cuppa", start="2027-01-05T10:30",
                           repeat={"first": "tuesday", "count": 6})
    run_jobs()
    (create,) = standin.calls_to("POST", r"/users/host@example.org/meetings")
    sent = create.body
    assert sent["type"] == 8
    assert sent["recurrence"] == {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3,
                                  "end_times": 6}
    assert (sent["start_time"], sent["timezone"], sent["duration"]) == ("2027-01-05T10:30:00", "Europe/London", 90)
    assert sent["settings"]["approval_type"] == 1 and sent["settings"]["registration_type"] == 3
    (meeting,) = standin.live_meetings()
    occurrences = {o["start_time"]: o["occurrence_id"] for o in meeting["occurrences"]}
    sessions = [session_row(db, x["id"]) for x in body["sessions"]]
    assert [s.starts_at for s in sessions] == [utc(2027, 1, 5, 10, 30), utc(2027, 2, 2, 10, 30), utc(2027, 3, 2, 10, 30),
                                              utc(2027, 4, 6, 9, 30), utc(2027, 5, 4, 9, 30), utc(2027, 6, 1, 9, 30)]
    for s in sessions:
        assert s.zoom_meeting_state == "created" and s.zoom_meeting_id == meeting["id"]
        assert s.zoom_occurrence_id == occurrences[s.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    # Registering for the April Cuppa registers for April's occurrence only.
    april = body["sessions"][3]["id"]
    api.register(april, first_name="Amira", email="amira@example.org")
    run_jobs()
    (registrant,) = standin.state.registrants[meeting["id"]]
    assert registrant["email"] == "amira@example.org"
    (added,) = standin.calls_to("POST", r"/meetings/\d+/registrants")
    assert added.query["occurrence_ids"] == sessions[3].zoom_occurrence_id


def test_the_meeting_is_set_up_as_the_issue_asks(api, db, run_jobs, standin):
    body = api.new_session(kind="co-production", title="Payment policy", start="2026-12-08T10:00")
    run_jobs()
    (create,) = standin.calls_to("POST", r"/users/host@example.org/meetings")
    settings = create.body["settings"]
    assert settings["waiting_room"] is True and settings["join_before_host"] is False
    assert settings["mute_upon_entry"] is True and settings["auto_recording"] == "none"
    assert settings["audio"] == "both" and settings["global_dial_in_countries"] == ["GB"]
    assert settings["breakout_room"] == {"enable": True}
    assert settings["approval_type"] == 1 and settings["registrants_email_notification"] is False
    assert create.body["password"] and create.body["start_time"] == "2026-12-08T10:00:00Z"
    session = session_row(db, body["id"])
    assert session.zoom_details["dial_in_numbers"] == [
        {"number": "+44 20 3481 5237", "label": "London"}, {"number": "+44 161 250 7000", "label": "Manchester"},
        {"number": "+44 800 031 5717", "label": "United Kingdom"}]  # the stand-in's GB numbers, not the US one
    assert session.zoom_details["phone_passcode"] == create.body["password"]  # digits: typed on a keypad
    (meeting,) = standin.live_meetings()
    assert meeting["join_url"] not in str(session.zoom_details) and "zak=" not in str(session.zoom_details)
    assert session.captions_state == "on"
    # AI Companion: every field sent, off (account defaults would apply to any left out), and read back
    assert {k: settings[k] for k in ("auto_start_meeting_summary", "auto_start_ai_companion_questions",
                                     "allow_participants_to_transcribe_meetings_with_my_notes")} == {
        "auto_start_meeting_summary": False, "auto_start_ai_companion_questions": False,
        "allow_participants_to_transcribe_meetings_with_my_notes": False}
    assert session.zoom_details["ai_companion"]["as_asked"] is True
    assert standin.calls_to("GET", r"/meetings/\d+")  # the read-back


def test_a_co_production_session_with_30_registrations_sends_30_personal_emails(
        api, db, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", title="Our payment policy", start="2026-12-08T10:00")
    for n in range(29):
        api.register(session["id"], first_name=f"Person{n}", email=f"person{n}@example.org",
                     joins_by="phone" if n % 5 == 0 else "video", wants_payment=n % 2 == 0)
    response = api.post(f"/sessions/{session['id']}/registrations/import", None,
                        data="first_name,email,joins_by\nZara,zara@example.org,phone\n", content_type="text/csv")
    assert response.status_code == 201
    run_jobs()
    assert smtp_server.messages == []  # links are not due until three days before
    clock.set(utc(2026, 12, 5, 10, 0))
    run_jobs()
    emails = smtp_server.messages
    assert len(emails) == 30
    assert len({m["To"] for m in emails}) == 30
    with db() as s:
        registrations = {r.person.email: r for r in s.scalars(select(Registration))}
    (meeting,) = standin.live_meetings()
    digits = str(meeting["id"])
    for message in emails:
        registration = registrations[message["To"]]
        text, html = text_of(message), html_of(message)
        assert text.startswith(f"Hello {registration.person.first_name},\n")
        assert registration.join_url in text and f"/w/{meeting['id']}?tk=" in registration.join_url
        assert meeting["join_url"] not in text + html and "pwd=" not in text + html  # never the generic link
        assert f"Meeting ID: {digits[:3]} {digits[3:7]} {digits[7:]}" in text
        if registration.joins_by == "phone":
            assert f"enter {registration.participant_pin_code} and then #" in text
        event, part = calendar_event(message)
        assert str(event["URL"]) == registration.join_url
        assert event["DTSTART"].dt == utc(2026, 12, 8, 10, 0)
        assert str(event["UID"]) == f"session-{session['id']}@zoombridge.test"
        assert part.get_filename() == "session.ics"
        assert registration.link_sent_at == utc(2026, 12, 5, 10, 0)
    # Running the sending again, or the sweep, sends nothing twice.
    from workers.jobs.links import send_links

    with api.client.application.app_context():
        send_links(session["id"])
    assert len(smtp_server.messages) == 30


def test_registering_after_the_links_went_out_gets_the_link_at_once(api, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    clock.set(utc(2026, 12, 6, 12, 0))
    run_jobs()
    assert [m["To"] for m in smtp_server.messages] == ["amira@example.org"]
    api.register(session["id"], first_name="Late", email="late@example.org")
    run_jobs()
    assert [m["To"] for m in smtp_server.messages] == ["amira@example.org", "late@example.org"]
    assert "/w/" in text_of(smtp_server.messages[1]) and "?tk=" in text_of(smtp_server.messages[1])


def test_a_reschedule_reaches_zoom_and_resends_the_times(api, db, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    clock.set(utc(2026, 12, 5, 10, 0))
    run_jobs()
    assert len(smtp_server.messages) == 1
    assert api.patch(f"/sessions/{session['id']}", {"start": "2026-12-10T14:00"}).status_code == 200
    run_jobs()
    (patch,) = standin.calls_to("PATCH", r"/meetings/\d+")
    assert patch.body["start_time"] == "2026-12-10T14:00:00Z" and patch.body["duration"] == 180
    assert standin.live_meetings()[0]["start_time"] == "2026-12-10T14:00:00Z"
    new_time = smtp_server.messages[1]
    assert new_time["Subject"] == "New time: Co-production session, Thursday 10 December 2026 at 2pm"
    assert "?tk=" in text_of(new_time)
    event, _part = calendar_event(new_time)
    assert event["DTSTART"].dt == utc(2026, 12, 10, 14, 0) and int(event["SEQUENCE"]) == 1
    run_jobs()
    assert len(smtp_server.messages) == 2


def test_a_reschedule_before_links_go_out_moves_the_send_time(api, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    api.patch(f"/sessions/{session['id']}", {"start": "2026-12-15T10:00"})
    run_jobs()
    clock.set(utc(2026, 12, 5, 10, 0))  # the old send time
    run_jobs()
    assert smtp_server.messages == []
    clock.set(utc(2026, 12, 12, 10, 0))  # three days before the new time
    run_jobs()
    (link,) = smtp_server.messages
    assert "Tuesday 15 December 2026" in link["Subject"]


def test_cancelling_deletes_the_meeting_and_emails_everyone(api, db, run_jobs, standin, smtp_server):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    api.register(session["id"], first_name="Ben", email="ben@example.org")
    run_jobs()
    assert len(standin.live_meetings()) == 1
    api.delete(f"/sessions/{session['id']}")
    run_jobs()
    assert standin.live_meetings() == []
    assert standin.calls_to("DELETE", r"/meetings/\d+")[0].query["cancel_meeting_reminder"] == "false"
    assert sorted(m["To"] for m in smtp_server.messages) == ["amira@example.org", "ben@example.org"]
    message = smtp_server.messages[0]
    assert message["Subject"].startswith("Cancelled: ")
    event, part = calendar_event(message)
    assert str(event["STATUS"]) == "CANCELLED"
    assert session_row(db, session["id"]).zoom_meeting_state == "deleted"


def test_cancelling_one_cuppa_deletes_only_its_occurrence(api, db, run_jobs, standin):
    body = api.new_session(kind="cuppa", start="2027-01-05T10:30", repeat={"count": 3})
    run_jobs()
    api.delete(f"/sessions/{body['sessions'][1]['id']}")
    run_jobs()
    (meeting,) = standin.live_meetings()
    assert [o["status"] for o in meeting["occurrences"]] == ["available", "deleted", "available"]


def test_cancelling_a_registration_cancels_it_on_zoom(api, run_jobs, standin):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    registration = api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    api.delete(f"/sessions/{session['id']}/registrations/{registration['id']}")
    run_jobs()
    (meeting,) = standin.live_meetings()
    # Zoom lists a cancelled registrant as `denied` (its statuses are approved, pending, denied).
    assert standin.state.registrants[meeting["id"]][0]["status"] == "denied"


def test_captions_are_turned_on_and_checked_with_zoom(api, db, run_jobs, standin, smtp_server):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    run_jobs()
    (patch,) = standin.calls_to("PATCH", r"/users/host@example.org/settings")
    assert patch.body["in_meeting"]["closed_captioning"]["auto_transcribing"] is True
    assert standin.calls_to("GET", r"/users/host@example.org/settings")
    row = session_row(db, session["id"])
    assert row.captions_state == "on" and row.captions_checked_at is not None
    assert smtp_server.messages == []


@pytest.mark.parametrize("how", ["locked", "forbidden"])
def test_staff_are_told_when_zoom_will_not_turn_captions_on(api, db, run_jobs, standin, smtp_server, how):
    if how == "locked":  # an account admin locked the setting: Zoom accepts the change and keeps it off
        standin.state.locked_settings.add("in_meeting")
    else:
        standin.faults.arm("refusal", times=5, status=400, code=200, message="No permission.", method="PATCH",
                           path_prefix="/v2/users/")
    session = api.new_session(kind="co-production", title="Website day", start="2026-12-08T10:00")
    run_jobs()
    assert session_row(db, session["id"]).captions_state == "refused"
    (alert,) = smtp_server.messages
    assert alert["To"] == load_organisation().staff_email
    assert alert["Subject"] == "Action needed: captions are not on for Website day"
    assert "host@example.org" in text_of(alert)


def test_the_captioner_gets_the_caption_link_on_the_morning_with_until_when_it_works(
        api, run_jobs, standin, smtp_server, clock):
    api.new_session(kind="co-production", start="2026-12-08T10:00",
                    overrides={"captioner_email": "captions@example.net", "breakout_captions": "none"})
    run_jobs()
    clock.set(utc(2026, 12, 7, 10, 0))  # the day before: the link would expire during the session
    run_jobs()
    assert smtp_server.messages_to("captions@example.net") == []
    clock.set(utc(2026, 12, 8, 7, 30))  # the morning: half an hour before the host pack (08:00 in London)
    run_jobs()
    (captioner,) = smtp_server.messages_to("captions@example.net")
    text = text_of(captioner)
    (meeting,) = standin.live_meetings()
    assert f"/closedcaption?id={meeting['id']}&" in text and "expire=86400" in text
    assert "It works until Wednesday 9 December 2026 at 7:30am (UK time)." in text
    assert standin.calls_to("GET", r"/meetings/\d+/token")[0].query == {"type": "closed_caption_token"}


def test_a_session_moved_after_the_caption_link_went_out_sends_a_fresh_link_on_the_new_morning(
        api, db, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00",
                              overrides={"captioner_email": "captions@example.net", "breakout_captions": "none"})
    run_jobs()
    clock.set(utc(2026, 12, 8, 8, 0))
    run_jobs()
    assert len(smtp_server.messages_to("captions@example.net")) == 1
    assert api.patch(f"/sessions/{session['id']}", {"start": "2026-12-15T14:00"}).status_code == 200
    run_jobs()
    assert len(smtp_server.messages_to("captions@example.net")) == 1  # not yet: a link now would die first
    clock.set(utc(2026, 12, 15, 8, 0))
    run_jobs()
    first, second = smtp_server.messages_to("captions@example.net")
    assert "It works until Wednesday 16 December 2026 at 8am (UK time)." in text_of(second)  # fetched at 08:00
    assert len(standin.calls_to("GET", r"/meetings/\d+/token")) == 2
    assert session_row(db, session["id"]).caption_link_until == utc(2026, 12, 16, 8, 0)


def test_the_network_session_gets_its_icebreaker_poll(api, db, run_jobs, standin):
    session = api.new_session(kind="network", start="2026-12-08T18:00")
    run_jobs()
    (poll,) = standin.calls_to("POST", r"/meetings/\d+/polls")
    assert poll.body["questions"][0]["name"] == "How are you feeling?"
    assert poll.body["questions"][0]["answers"] == ["Sunny", "Cloudy with bright spells", "Storm brewing"]
    assert session_row(db, session["id"]).zoom_details["poll_id"]
    run_jobs()
    with api.client.application.app_context():
        meetings.create_poll(session["id"])
    assert len(standin.calls_to("POST", r"/meetings/\d+/polls")) == 1


def test_the_morning_reminder_and_the_host_pack(api, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org", access_needs="Large print")
    api.register(session["id"], first_name="Ben", email="ben@example.org", joins_by="phone")
    run_jobs()
    clock.set(utc(2026, 12, 5, 10, 0))
    run_jobs()
    clock.set(utc(2026, 12, 8, 8, 0))
    run_jobs()
    subjects = sorted(m["Subject"] for m in smtp_server.messages[2:])
    assert subjects == ["Host pack: Co-production session, Tuesday 8 December 2026",
                        "Today: Co-production session at 10am", "Today: Co-production session at 10am"]
    (pack,) = smtp_server.messages_to(load_organisation().staff_email)
    text = text_of(pack)
    assert "Amira: Large print" in text and "Ben (participant ID" in text and "Captions: on" in text


def test_a_session_hosted_by_another_zoom_user_is_made_checked_and_named_as_hers(
        api, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00", host="Bea.Host@Example.org")
    assert session["host"] == "bea.host@example.org"
    other = api.new_session(kind="co-production", start="2026-12-09T10:00")
    assert other["host"] == "host@example.org"  # ZOOM_HOST_USER
    run_jobs()
    assert len(standin.calls_to("POST", r"/users/bea.host@example.org/meetings")) == 1
    assert len(standin.calls_to("POST", r"/users/host@example.org/meetings")) == 1
    assert standin.calls_to("PATCH", r"/users/bea.host@example.org/settings")  # her captions
    clock.set(utc(2026, 12, 8, 8, 0))
    run_jobs()
    (pack,) = [m for m in smtp_server.messages_to(load_organisation().staff_email)
               if m["Subject"].startswith("Host pack: ")]
    assert "as the host user, bea.host@example.org)" in text_of(pack)


@pytest.mark.parametrize("host", ["me", "", "two words@example.org", 7, "bea\x00@example.org"])
def test_a_host_zoom_cannot_name_is_refused_naming_the_field(api, host):
    response = api.post("/sessions", {"kind": "co-production", "start": "2026-12-08T10:00", "host": host})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "host"


def test_a_captioner_with_breakout_rooms_is_a_warning_until_staff_choose_automated_captions_everywhere(
        api, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00",
                              overrides={"captioner_email": "captions@example.net"})
    run_jobs()
    captions = api.get(f"/sessions/{session['id']}").get_json()["captions"]
    assert captions["rooms"] == [{"room": "Main room", "method": "captioner"},
                                 {"room": "Breakout rooms", "method": "none"}]
    assert "no automated captions" in captions["warning"]
    (patch,) = standin.calls_to("PATCH", r"/users/host@example.org/settings")
    assert patch.body["in_meeting"]["manual_captioning"]["third_party_captioning_service"] is True

    overrides = {"captioner_email": "captions@example.net", "breakout_captions": "automated"}
    assert api.patch(f"/sessions/{session['id']}", {"overrides": overrides}).status_code == 200
    run_jobs()
    captions = api.get(f"/sessions/{session['id']}").get_json()["captions"]
    assert captions["warning"] is None and {r["method"] for r in captions["rooms"]} == {"automated"}
    latest = standin.calls_to("PATCH", r"/users/host@example.org/settings")[-1]
    assert latest.body["in_meeting"]["manual_captioning"]["auto_generated_captions"] is True
    assert captions["checked_for"] == "automated"
    clock.set(utc(2026, 12, 8, 8, 0))
    run_jobs()
    assert smtp_server.messages_to("captions@example.net") == []  # staff chose Zoom's captions instead
    assert standin.calls_to("GET", r"/meetings/\d+/token") == []


def test_the_host_pack_says_room_by_room_how_captions_are_and_warns_of_uncaptioned_breakout_rooms(
        api, client, staff_headers, run_jobs, standin, smtp_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00",
                              overrides={"captioner_email": "captions@example.net"})
    for n in range(7):
        api.register(session["id"], first_name=f"P{n}", email=f"p{n}@example.org")
    run_jobs()
    plan = client.post(f"/api/v1/sessions/{session['id']}/breakout-plan", json={"seed": 1}, headers=staff_headers)
    assert [room["name"] for room in plan.get_json()["rounds"][0]["rooms"]] == ["Room 1", "Room 2"]
    clock.set(utc(2026, 12, 8, 8, 0))
    run_jobs()
    (pack,) = [m for m in smtp_server.messages_to(load_organisation().staff_email)
               if m["Subject"].startswith("Host pack: ")]
    text = text_of(pack)
    assert "CAPTIONS WARNING: A captioner is booked and this session has breakout rooms" in text
    assert "  - Main room: captioner: verified on\n" in text  # allowed for the host and the link sent
    assert "  - Room 1: no captions (the captioner is in the main room)\n" in text
    assert "  - Room 2: no captions (the captioner is in the main room)\n" in text
    assert "AI Companion: off (checked with Zoom)" in text


def test_a_timeout_on_create_is_not_resent_and_the_retry_adopts_the_meeting(app, db, api, standin):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    standin.lose_answers("POST", r"/users/[^/]+/meetings")  # Zoom makes the meeting, but the answer never arrives
    with app.app_context(), pytest.raises(ZoomUnavailable, match="not sent twice"):
        meetings.create_meeting(session["id"])
    assert session_row(db, session["id"]).zoom_meeting_state == "creating"
    assert len(standin.live_meetings()) == 1  # the client did not send the POST again
    with app.app_context():
        meetings.create_meeting(session["id"])
    (meeting,) = standin.live_meetings()
    row = session_row(db, session["id"])
    assert row.zoom_meeting_state == "created" and row.zoom_meeting_id == meeting["id"]
    assert len(standin.calls_to("POST", r"/users/host@example.org/meetings")) == 1  # adopted, not made again
    with app.app_context():
        assert meetings.create_meeting(session["id"]) == "already created"
    assert len(standin.live_meetings()) == 1


def test_two_runs_that_both_created_a_meeting_leave_one(app, db, api, standin):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    standin.lose_answers("POST", r"/users/[^/]+/meetings")
    with app.app_context(), pytest.raises(ZoomUnavailable):
        meetings.create_meeting(session["id"])
    with db() as s:  # as if a second run had read the session before the first marked it `creating`
        s.get(Session, session["id"]).zoom_meeting_state = "none"
    with app.app_context():
        meetings.create_meeting(session["id"])
    (meeting,) = standin.live_meetings()
    assert len(standin.calls_to("POST", r"/users/host@example.org/meetings")) == 2
    assert session_row(db, session["id"]).zoom_meeting_id == meeting["id"]


def test_a_poll_zoom_made_before_a_timeout_is_adopted_not_made_twice(app, db, api, standin):
    session = api.new_session(kind="network", start="2026-12-08T18:00")
    with app.app_context():
        meetings.create_meeting(session["id"])
        standin.lose_answers("POST", r"/meetings/\d+/polls")  # Zoom makes the poll; the answer is lost
        with pytest.raises(ZoomUnavailable):
            meetings.create_poll(session["id"])
        assert "poll_id" not in session_row(db, session["id"]).zoom_details
        assert meetings.create_poll(session["id"]).endswith("adopted")
    (poll,) = next(iter(standin.state.polls.values()))
    assert len(standin.calls_to("POST", r"/meetings/\d+/polls")) == 1
    assert session_row(db, session["id"]).zoom_details["poll_id"] == poll["id"]


def test_a_zoom_refusal_marks_the_meeting_failed_with_the_reason(app, db, api, standin):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    standin.faults.arm("refusal", status=404, code=1001, message="User does not exist: host@example.org.",
                       method="POST", path_prefix="/v2/users/")
    with app.app_context(), pytest.raises(UserNotFound) as refused:
        meetings.create_meeting(session["id"])
    assert refused.value.code == 1001
    row = session_row(db, session["id"])
    assert row.zoom_meeting_state == "failed" and "User does not exist" in row.zoom_details["error"]
    assert row.zoom_meeting_id is None


def test_a_refused_email_is_retried_and_arrives_once(api, db, run_jobs, standin, smtp_server, clock, app):
    from workers.jobs.links import send_links
    from workers.jobs.mail import SomeEmailsNotSent

    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    api.register(session["id"], first_name="Ben", email="ben@example.org")
    run_jobs()
    clock.set(utc(2026, 12, 5, 10, 0))
    smtp_server.handler.refuse_next = 1
    with app.app_context(), pytest.raises(SomeEmailsNotSent):
        send_links(session["id"])
    assert len(smtp_server.messages) == 1
    with app.app_context():
        send_links(session["id"])
        send_links(session["id"])
    assert sorted(m["To"] for m in smtp_server.messages) == ["amira@example.org", "ben@example.org"]
    with db() as s:
        assert sorted(s.scalars(select(EmailMessage.status))) == ["sent", "sent"]


def test_the_sweep_enqueues_what_was_missed(api, app, db, run_jobs, standin, smtp_server, clock, monkeypatch):
    import redis as redis_module

    from workers.jobs.sweep import sweep_sessions

    def down():
        raise redis_module.ConnectionError("down")

    with monkeypatch.context() as patched:
        patched.setattr("zoombridge.queue.intents.current_redis", down)
        session = api.new_session(kind="co-production", start="2026-12-08T10:00")
        api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    assert standin.live_meetings() == []
    with app.app_context():
        assert sweep_sessions()["create"] == 1
    run_jobs()
    assert len(standin.live_meetings()) == 1
    clock.set(utc(2026, 12, 5, 10, 0))
    with app.app_context():
        sweep_sessions()
    run_jobs()
    assert [m["To"] for m in smtp_server.messages] == ["amira@example.org"]
