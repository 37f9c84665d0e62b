"""End to end: the staff API, the jobs, the real Zoom client and the Zoom stand-in over HTTP,
and a real SMTP server. What staff do every week, from one API call to personal links."""

from __future__ import annotations

import os
import random
import threading

import pytest
from icalendar import Calendar

from tests.builders import text_of, utc
from tests.sessions.api_client import Api
from workers.jobs import meetings
from zoombridge.store.models import Registration, Session
from zoombridge.zoom import CLIENT_EXTENSION
from zoombridge.zoom.errors import ZoomUnavailable

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings(settings, smtp_server, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url,
                                 smtp_url=smtp_server.url)


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)


class _CreatesAtTheStandin:
    """Counts meeting-create requests the stand-in started and answered, and waits for the rest.

    Waiting is on an event (the stand-in finishing), never a fixed sleep: a loaded machine only
    makes the wait longer, it cannot make the test pass or fail.
    """

    def __init__(self, standin_server):
        self.started = self.answered = 0
        self._changed = threading.Condition()
        inner = standin_server.app.wsgi_app

        def counting(environ, start_response):
            is_create = environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/meetings")
            if is_create:
                with self._changed:
                    self.started += 1
            try:
                return inner(environ, start_response)
            finally:
                if is_create:
                    with self._changed:
                        self.answered += 1
                        self._changed.notify_all()

        standin_server.app.wsgi_app = counting

    def wait_until_all_answered(self, patience: float = 60.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.started and self.answered == self.started, patience)


def standin_meetings(standin_server):
    return list(standin_server.state.meetings.values())


def test_thirty_people_get_personal_links_from_the_standin(api, db, run_jobs, smtp_server, standin_server, clock):
    session = api.new_session(kind="co-production", title="Our website", start="2026-12-08T10:00")
    for n in range(29):
        api.register(session["id"], first_name=f"Person{n}", email=f"person{n}@example.org",
                     joins_by="phone" if n % 4 == 0 else "video")
    imported = api.post(f"/sessions/{session['id']}/registrations/import", None,
                        data="first_name,email\nZara,zara@example.org\n", content_type="text/csv")
    assert imported.status_code == 201
    run_jobs()
    (meeting,) = standin_meetings(standin_server)
    assert len(standin_server.state.registrants[meeting["id"]]) == 30
    clock.set(utc(2026, 12, 5, 10, 0))
    run_jobs()
    emails = smtp_server.messages
    assert len(emails) == 30 and len({m["To"] for m in emails}) == 30
    with db() as s:
        by_email = {r.person.email: r for r in s.query(Registration)}
    for message in emails:
        registration = by_email[message["To"]]
        text = text_of(message)
        assert registration.join_url.startswith(f"{standin_server.url}/w/{meeting['id']}?tk=")
        assert registration.join_url in text
        assert f"{standin_server.url}/j/" not in text and meeting["join_url"] not in text
        assert meeting["registration_url"] not in text
        if registration.joins_by == "phone":
            assert f"enter {registration.participant_pin_code} and then #" in text
        (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
        assert str(event["URL"]) == registration.join_url and event["DTSTART"].dt == utc(2026, 12, 8, 10, 0)


def test_a_six_month_cuppa_series_on_the_standin(api, db, run_jobs, standin_server):
    body = api.new_session(kind="cuppa", start="2027-01-05T10:30", repeat={"first": "tuesday", "count": 6})
    run_jobs()
    (meeting,) = standin_meetings(standin_server)
    assert meeting["type"] == 8 and len(meeting["occurrences"]) == 6
    with db() as s:
        sessions = [s.get(Session, x["id"]) for x in body["sessions"]]
    assert [x.starts_at.date().isoformat() for x in sessions] == [
        "2027-01-05", "2027-02-02", "2027-03-02", "2027-04-06", "2027-05-04", "2027-06-01"]
    assert [x.zoom_occurrence_id for x in sessions] == [o["occurrence_id"] for o in meeting["occurrences"]]
    assert all(x.zoom_meeting_state == "created" for x in sessions)


def test_reschedule_cancel_and_captions_on_the_standin(api, db, run_jobs, smtp_server, standin_server, clock):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    run_jobs()
    settings = standin_server.state.get_user_settings("host@example.org")
    assert settings["in_meeting"]["closed_captioning"]["auto_transcribing"] is True
    with db() as s:
        assert s.get(Session, session["id"]).captions_state == "on"
    clock.set(utc(2026, 12, 5, 10, 0))
    run_jobs()
    api.patch(f"/sessions/{session['id']}", {"start": "2026-12-10T14:00"})
    run_jobs()
    (meeting,) = standin_meetings(standin_server)
    assert meeting["start_time"] == "2026-12-10T14:00:00Z"
    assert [m["Subject"].split(":")[0] for m in smtp_server.messages] == ["Your link for Co-production session, "
                                                                          "Tuesday 8 December 2026", "New time"]
    api.delete(f"/sessions/{session['id']}")
    run_jobs()
    assert standin_meetings(standin_server) == []
    assert smtp_server.messages[-1]["Subject"].startswith("Cancelled: ")


def test_a_create_that_times_out_is_not_resent_and_the_retry_adopts_it_on_the_standin(app, api, db, standin_server,
                                                                                redis_conn, clock):
    from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
    from zoombridge.sandbox.app import FAULTS_KEY
    from zoombridge.zoom.client import ZoomClient
    from zoombridge.zoom.token import Credentials

    # A client that gives up reading after 1 s, and a stand-in that takes 2.5 s to create.
    client = ZoomClient(credentials=Credentials(STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET),
                        api_base=standin_server.url + "/v2", oauth_base=standin_server.url, connection=redis_conn,
                        clock=clock, sleep=lambda s: None, rng=random.Random(1), timeout=(2.0, 1.0), max_attempts=2)
    app.extensions[CLIENT_EXTENSION] = (os.getpid(), client)
    posts_sent = []  # every meeting-create POST the client put on the wire, counted where it sends
    send = client.session.send

    def counting_send(request, **kwargs):
        if request.method == "POST" and request.url.endswith("/meetings"):
            posts_sent.append(request.url)
        return send(request, **kwargs)

    client.session.send = counting_send
    creates = _CreatesAtTheStandin(standin_server)
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    standin_server.app.extensions[FAULTS_KEY].arm("slow", times=2, delay_seconds=2.5, method="POST",
                                                  path_prefix="/v2/users")
    with app.app_context(), pytest.raises(ZoomUnavailable, match="not sent twice"):
        meetings.create_meeting(session["id"])
    assert len(posts_sent) == 1  # the timed-out POST was not sent again
    creates.wait_until_all_answered()  # the stand-in finishes the request the client stopped waiting for
    assert creates.started == 1 and len(standin_meetings(standin_server)) == 1
    with app.app_context():
        meetings.create_meeting(session["id"])
    (meeting,) = standin_meetings(standin_server)
    with db() as s:
        row = s.get(Session, session["id"])
        assert (row.zoom_meeting_state, row.zoom_meeting_id) == ("created", meeting["id"])
