from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from zoombridge.notify import messages
from zoombridge.notify.messages import Attendee, DialIn, JoiningDetails, SessionFacts
from zoombridge.notify.organisation import load_organisation
from zoombridge.planning.formats import load_formats
from zoombridge.privacy import fingerprint

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PERSONAL = "https://zoom.us/w/85746065123?tk=personal-token&uuid=WN_abc"


@pytest.fixture
def org():
    return load_organisation()


def facts(kind="cuppa", **changes):
    fmt = load_formats().get(kind)
    values = dict(id=3, title="Co-Pro Cuppa", description=fmt.description,
                  starts_at=datetime(2027, 1, 5, 10, 30, tzinfo=UTC), duration_minutes=fmt.duration_minutes,
                  revision=0, joining=JoiningDetails(85746065123, "123456", (DialIn("+44 203 481 5237", "London"),)),
                  agenda=fmt.agenda, separate_halves=fmt.separate_halves, pre_reading=fmt.pre_reading,
                  paid=fmt.paid, captions="on", breakouts=fmt.breakouts, poll=fmt.poll)
    values.update(changes)
    return SessionFacts(**values)


def attendee(**changes):
    values = dict(registration_id=7, first_name="Amira", email="amira@example.org", joins_by="video",
                  join_url=PERSONAL, participant_pin="448812", access_needs="", wants_payment=False)
    values.update(changes)
    return Attendee(**values)


def test_the_link_email_greets_by_first_name_and_carries_the_personal_link(org):
    out = messages.personal_link(facts(), attendee(), org, "zoombridge.test", NOW)
    assert out.intent.startswith("link:7:") and out.to == "amira@example.org"
    assert out.text.startswith("Hello Amira,\n")
    assert PERSONAL in out.text
    assert 'href="https://zoom.us/w/85746065123?tk=personal-token&amp;uuid=WN_abc"' in out.html


def test_the_link_email_has_everything_a_phone_joiner_needs(org):
    text = messages.personal_link(facts(), attendee(joins_by="phone"), org, "zoombridge.test", NOW).text
    assert "+44 203 481 5237 (London)" in text
    assert "Meeting ID: 857 4606 5123" in text
    assert "Passcode: 123456" in text
    assert "When asked for your participant ID, enter 448812 and then #." in text


def test_the_link_email_covers_agenda_captions_support_costs_and_halves(org):
    text = messages.personal_link(facts(), attendee(), org, "zoombridge.test", NOW).text
    assert "  10:30am  Welcome (10 minutes)" in text
    assert "  10:40am  Breakout rooms" in text
    assert "Live captions are on" in text
    assert "ACCESS SUPPORT" in text and org.support_email in text
    assert "phone minutes, landline charges or mobile data" in text
    assert "one half only: 10:30am to 11:15am, or 11:15am to 12pm" in text


def test_pre_reading_and_payment_appear_only_when_they_apply(org):
    from zoombridge.planning.formats import PreReading

    cuppa = messages.personal_link(facts(), attendee(), org, "zoombridge.test", NOW).text
    assert "BEFORE THE SESSION" not in cuppa and "PAYMENT" not in cuppa
    paid = facts("co-production", pre_reading=(PreReading("Our strategy draft", "https://example.org/s"),))
    text = messages.personal_link(paid, attendee(wants_payment=True), org, "zoombridge.test", NOW).text
    assert "Our strategy draft: https://example.org/s" in text
    assert "You asked to be paid" in text


def test_the_html_email_is_accessible(org):
    html = messages.personal_link(facts(), attendee(), org, "zoombridge.test", NOW).html
    assert '<html lang="en">' in html
    assert "<title>Your link for Co-Pro Cuppa, Tuesday 5 January 2027</title>" in html
    assert "<h2>Join by video</h2>" in html and "<h2>Join by phone</h2>" in html
    assert "<img" not in html


def test_names_are_escaped_in_html(org):
    html = messages.personal_link(facts(), attendee(first_name="<b>Jo</b>"), org, "zoombridge.test", NOW).html
    assert "&lt;b&gt;Jo&lt;/b&gt;" in html


def test_the_calendar_file_has_uid_utc_times_summary_description_and_url(org):
    out = messages.personal_link(facts(revision=2), attendee(), org, "zoombridge.test", NOW)
    (attachment,) = out.attachments
    assert attachment.filename == "session.ics" and attachment.content_type == "text/calendar"
    event = Calendar.from_ical(attachment.data).walk("VEVENT")[0]
    assert str(event["UID"]) == "session-3@zoombridge.test"
    assert event["DTSTART"].dt == datetime(2027, 1, 5, 10, 30, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    assert b"DTSTART:20270105T103000Z" in attachment.data
    assert str(event["SUMMARY"]) == "Co-Pro Cuppa"
    assert str(event["URL"]) == PERSONAL
    assert PERSONAL in str(event["DESCRIPTION"])
    assert int(event["SEQUENCE"]) == 2


def test_a_cancellation_calendar_file_cancels_the_same_entry(org):
    out = messages.cancellation(facts(), attendee(), org, "zoombridge.test", NOW)
    calendar = Calendar.from_ical(out.attachments[0].data)
    assert str(calendar["METHOD"]) == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == "session-3@zoombridge.test" and str(event["STATUS"]) == "CANCELLED"


def test_the_host_pack_lists_people_access_needs_phone_callers_and_captions(org):
    people = [attendee(), attendee(registration_id=8, first_name="Ben", joins_by="phone", participant_pin="111222",
                                   access_needs="Needs a BSL interpreter", join_url="https://zoom.us/w/1?tk=b")]
    out = messages.host_pack(facts(captions="refused"), people, org)
    assert out.to == org.staff_email
    assert "WHO IS COMING (2)" in out.text
    assert "Ben: Needs a BSL interpreter" in out.text
    assert "Ben (participant ID 111222)" in out.text
    assert "NOT on: Zoom refused" in out.text
    assert "tk=" not in out.text  # no personal links in the host pack


def test_intents_make_each_email_distinct(org):
    session, person = facts(), attendee()
    intents = {
        messages.personal_link(session, person, org, "d", NOW).intent,
        messages.reminder(session, person, org).intent,
        messages.new_time(facts(revision=1), person, org, "d", NOW).intent,
        messages.new_time(facts(revision=2), person, org, "d", NOW).intent,
        messages.cancellation(session, person, org, "d", NOW).intent,
        messages.host_pack(session, [person], org).intent,
    }
    assert intents == {f"link:7:{fingerprint(PERSONAL)}", "reminder:7:0", "new-time:7:1", "new-time:7:2", "cancelled:7", "host-pack:3:0"}


def test_no_generic_link_or_web_passcode_appears_anywhere(org):
    out = messages.personal_link(facts(), attendee(), org, "zoombridge.test", NOW)
    for part in (out.text, out.html, out.attachments[0].data.decode()):
        assert "zoom.us/j/" not in part
        assert "pwd=" not in part
