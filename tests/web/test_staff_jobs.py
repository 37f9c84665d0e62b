"""The "Jobs" staff page and the session page's work in progress: jobs by business intent in plain
words, failures in plain words, a retry that re-enqueues the same intent (audited), and "n of N"
progress of long work from the job's own metadata."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import utc
from tests.sessions.api_client import Api
from tests.standin_fixtures import IN_PROCESS_SETTINGS
from tests.web.conftest import csrf_token_of
from zoombridge import job_board
from zoombridge.queue import intents, progress
from zoombridge.queue.queues import job_id_for
from zoombridge.store.models import AuditEntry, Person, Session
from zoombridge.web import staff_sign_in
from zoombridge.zoom import SLEEP_EXTENSION

HOST_REFUSED = {"status": 404, "code": 1001, "message": "User does not exist: host@example.org.",
                "method": "POST", "path_prefix": "/v2/users/"}


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(**IN_PROCESS_SETTINGS, smtp_url=smtp_server.url)


@pytest.fixture
def standin(app, standin_in_process):
    app.extensions[SLEEP_EXTENSION] = lambda seconds: None
    return standin_in_process


@pytest.fixture
def api(client, staff_headers):
    return Api(client, staff_headers)


@pytest.fixture
def staff_client(client, staff_person, redis_conn, clock):
    """Signed in as Sam (a sign-in held in Redis, as the Zoom sign-in leaves it): Zoom's OAuth is the
    in-process stand-in here, which the sign-in fixture of tests/web cannot reach."""
    sign_in_id = "test-sign-in"
    staff = {"email": staff_person["email"], "name": "Sam", "person_id": staff_person["id"], "zoom_user_id": "zu",
             "expires_at": (clock.now() + timedelta(hours=12)).isoformat()}
    redis_conn.set(f"staff-sign-in:{sign_in_id}", json.dumps(staff))
    with client.session_transaction() as session:
        session[staff_sign_in.SESSION_KEY] = sign_in_id
    return client


def text(page) -> str:
    """A page's words, without its tags or the spaces between them."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())


@pytest.mark.parametrize(("error_line", "words"), [
    ("zoombridge.zoom.errors.ZoomUnavailable: /users/{userId}/meetings: HTTP 502", "Zoom did not answer"),
    ("zoombridge.zoom.errors.UserNotFound: User does not exist: host@example.org.", "host user is not in the account"),
    ("zoombridge.zoom.errors.DailyLimitReached: daily limit for meeting-write reached", "daily limit"),
    ("workers.jobs.mail.SomeEmailsNotSent: 2 email(s) refused; first: jo@example.org", "refused some of the emails"),
    ("rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (600 seconds)", "ran longer"),
    ("Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ", "stopped in the middle"),
    ("KeyError: 'jo@example.org'", "An unexpected error (KeyError)"),
])
def test_a_failure_is_told_in_plain_words_never_by_its_message(error_line, words):
    said = job_board.reason_in_words(error_line)
    assert words in said
    assert "@" not in said and "host@" not in said


def test_a_failed_job_is_shown_by_its_intent_and_retried_once_audited(
        api, staff_client, db, run_jobs, standin, redis_conn):
    session = api.new_session(kind="co-production", title="Co-Pro Cuppa", start="2027-02-02T10:00")
    standin.faults.arm("refusal", times=6, **HOST_REFUSED)  # the first try and its five retries
    run_jobs()
    (failed,) = run_jobs.failed()
    assert failed.id == job_id_for(f"create-meeting:{session['id']}")

    page = text(staff_client.get("/staff/jobs"))
    assert "Failed (1)" in page
    assert "Create the Zoom meeting for Co-Pro Cuppa, Tue 2 Feb 2027" in page
    assert "Zoom says the host user is not in the account (ZOOM_HOST_USER)." in page
    assert "host@example.org" not in page  # Zoom's own message is never shown
    session_page = text(staff_client.get(f"/staff/sessions/{session['id']}"))
    assert "Failed Work for this session that failed" in session_page and "host user is not in the account" in session_page

    back = f"/staff/sessions/{session['id']}#work"
    token = csrf_token_of(staff_client, "/staff/jobs")
    answer = staff_client.post(f"/staff/jobs/{failed.id}/retry", data={"csrf_token": token, "back": back})
    assert answer.status_code == 302 and answer.headers["Location"] == back
    assert "Trying again: Create the Zoom meeting for Co-Pro Cuppa, Tue 2 Feb 2027." in text(
        staff_client.get(f"/staff/sessions/{session['id']}"))
    assert "Queued (1)" in text(staff_client.get("/staff/jobs"))

    again = staff_client.post(f"/staff/jobs/{failed.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "not failed any more" in text(again)  # a second click changes nothing
    with db() as s:
        (audit,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "job.retried"))
        assert (audit.actor, audit.subject_type, audit.subject_id) == ("sam@example.org", "job", failed.id)
        assert audit.details == {"what": "Create the Zoom meeting for Co-Pro Cuppa, Tue 2 Feb 2027",
                                 "session": session["id"], "failure": job_board.REASONS["UserNotFound"]}

    run_jobs()  # the same intent runs again, and this time Zoom makes the meeting
    assert run_jobs.failed() == []
    with db() as s:
        assert s.get(Session, session["id"]).zoom_meeting_state == "created"


def test_retrying_a_job_that_is_not_there_is_refused(staff_client, db):
    token = csrf_token_of(staff_client, "/staff/jobs")
    page = staff_client.post("/staff/jobs/create-meeting_404/retry", data={"csrf_token": token},
                             follow_redirects=True)
    assert "There is no such job" in text(page)
    with db() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "job.retried")) is None


def test_queued_and_waiting_jobs_are_listed_by_intent_with_when(api, staff_client, db, redis_conn, clock, standin):
    session = api.new_session(kind="co-production", title="Co-Pro Cuppa", start="2027-02-02T10:00")
    api.register(session["id"], first_name="Ada", email="ada@example.org")
    with db() as s:
        ada = s.scalar(select(Person.id).where(Person.email == "ada@example.org"))
    intents.send_links(redis_conn, session["id"], at=utc(2027, 1, 26, 10), now=clock.now())
    intents.send_statement(redis_conn, session["id"], ada)
    page = text(staff_client.get("/staff/jobs"))
    assert "Create the Zoom meeting for Co-Pro Cuppa, Tue 2 Feb 2027" in page  # queued by the service
    assert "Register Ada with Zoom for Co-Pro Cuppa, Tue 2 Feb 2027" in page
    assert "Email Ada their statement for Co-Pro Cuppa, Tue 2 Feb 2027" in page
    assert "Waiting for their time (1)" in page
    assert "Send links for Co-Pro Cuppa, Tue 2 Feb 2027 email Tue 26 Jan 2027, 10:00" in page


def test_importing_hundreds_registers_them_in_one_job_that_counts_n_of_n(api, db, run_jobs, standin, monkeypatch):
    session = api.new_session(kind="co-production", start="2027-02-02T10:00", overrides={"max_people": 150})
    run_jobs()  # the meeting first
    seen: list[tuple[int, int]] = []
    report = progress.report
    monkeypatch.setattr(progress, "report", lambda done, total: (seen.append((done, total)), report(done, total)))
    rows = "".join(f"Person{n},person{n}@example.org\n" for n in range(120))
    answer = api.post(f"/sessions/{session['id']}/registrations/import", None, data="first_name,email\n" + rows,
                      content_type="text/csv")
    assert answer.status_code == 201
    run_jobs()
    assert seen == [(n, 120) for n in range(120)] + [(120, 120)]
    assert len(standin.calls_to("POST", r"/meetings/\d+/registrants")) == 120


def test_sending_links_counts_each_email_in_the_jobs_metadata(api, db, run_jobs, standin, clock, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    for n in range(5):
        api.register(session["id"], first_name=f"P{n}", email=f"p{n}@example.org")
    run_jobs()
    clock.set(utc(2026, 12, 5, 10))  # the links are due
    job = intents.send_links(redis_conn, session["id"])
    run_jobs()
    job.refresh()
    assert progress.of(job) == progress.Progress(5, 5)


def test_the_session_page_shows_progress_and_refreshes_it_without_javascript_too(
        api, staff_client, redis_conn, standin, clock):
    session = api.new_session(kind="co-production", title="Co-Pro Cuppa", start="2027-02-02T10:00")
    job = intents.register_people(redis_conn, session["id"])
    job.meta[progress.META_KEY] = {"done": 40, "total": 120}  # as the job writes it, part way through
    job.save_meta()
    page = staff_client.get(f"/staff/sessions/{session['id']}").get_data(as_text=True)
    assert "Register everyone waiting with Zoom for Co-Pro Cuppa, Tue 2 Feb 2027:" in page
    assert '<progress max="120" value="40"' in page and "40 of 120" in page
    assert f'href="/staff/sessions/{session["id"]}#work">Refresh</a>' in page  # without the script
    assert 'src="/assets/refresh.js"' in page
    part = staff_client.get(f"/staff/sessions/{session['id']}/work").get_data(as_text=True)
    assert part.strip().startswith('<div id="session-work"') and 'data-refresh-active="yes"' in part
    redis_conn.delete(f"rq:queue:{job.origin}")
    job.delete()
    done = staff_client.get(f"/staff/sessions/{session['id']}/work").get_data(as_text=True)
    assert "Nothing is in progress." in done and "data-refresh-active" not in done  # the script stops asking


def test_the_jobs_page_needs_a_signed_in_staff_member(client):
    answer = client.get("/staff/jobs")
    assert answer.status_code == 302 and "/staff/sign-in" in answer.headers["Location"]
    token_free = client.post("/staff/jobs/x/retry")
    assert token_free.status_code in (302, 400, 403)


def test_the_breakout_push_reports_its_three_steps(api, db, run_jobs, standin, redis_conn, clock, monkeypatch):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    for n in range(6):
        api.register(session["id"], first_name=f"P{n}", email=f"p{n}@example.org")
    run_jobs()
    assert api.post(f"/sessions/{session['id']}/breakout-plan", {"room_size": 3, "seed": 1}).status_code == 201
    seen: list[tuple[int, int]] = []
    report = progress.report
    monkeypatch.setattr(progress, "report", lambda done, total: (seen.append((done, total)), report(done, total)))
    assert api.post(f"/sessions/{session['id']}/breakout-plan/push", {}).status_code == 202
    clock.advance(minutes=1)
    run_jobs()
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_every_job_the_service_enqueues_has_its_plain_words():
    """A new intent needs its words in `intents.WORDS`, or the Jobs page would show its function."""
    from pathlib import Path

    from workers.scheduler import PERIODIC_JOBS
    from zoombridge.queue.ingest import INGEST_JOB

    source = Path(intents.__file__).read_text()
    enqueued = {f"workers.jobs.{name}" for name in re.findall(r'f"\{JOBS\}\.(\w+\.\w+)"', source)}
    enqueued |= {INGEST_JOB, "workers.jobs.breakout.push_breakout_plan",
                 *(job.func for job in PERIODIC_JOBS)}
    assert len(enqueued) > 20
    assert sorted(enqueued - set(intents.WORDS)) == []
