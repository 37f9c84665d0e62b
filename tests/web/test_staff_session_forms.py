"""The new-session form and a session's registration forms: the staff API's own views behind HTML.

Each test checks what the page shows (errors next to the field, what was typed kept) and that
the write, audit and job are the API's: same rows, same `create-meeting:`/`register:` intents.
"""

import re
from datetime import UTC, datetime

from rq.job import Job
from sqlalchemy import func, select

from tests.web.conftest import csrf_token_of
from zoombridge.queue.queues import job_id_for
from zoombridge.store.models import AuditEntry, Registration, Session, SessionSeries


def post_new_session(staff_client, **fields):
    token = csrf_token_of(staff_client, "/staff/sessions/new")
    return staff_client.post("/staff/sessions/new", data={"csrf_token": token, **fields})


def count(db, model) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(model))


def field_error(page: str, name: str) -> str:
    found = re.search(rf'id="{name}-error"><span class="visually-hidden">Error:</span> ([^<]*)<', page)
    return found.group(1) if found else ""


def test_the_form_asks_for_kind_date_time_title_overrides_and_a_monthly_series(staff_client):
    page = staff_client.get("/staff/sessions/new").data.decode()
    for label in ["Kind of session", "Date", "Start time", "Title (optional)", "Zoom host (optional)", "Most people",
                  "Repeat monthly", "On the first", "How many sessions", "Other overrides as JSON"]:
        assert f">{label}" in page, label
    assert '<option value="cuppa">Co-Pro Cuppa</option>' in page and "Europe/London" in page


def test_the_navigation_marks_new_session_as_the_current_page(staff_client):
    page = staff_client.get("/staff/sessions/new").data.decode()
    current = re.findall(r'<a href="([^"]*)" aria-current="page">([^<]*)</a>', page)
    assert current == [("/staff/sessions/new", "New session")]


def test_a_session_is_created_in_london_time_with_its_overrides_and_zoom_job(staff_client, db, redis_conn):
    response = post_new_session(staff_client, kind="co-production", start_date="2027-06-01", start_time="10:30",
                                title="Our website", max_people="12", reminder="none")
    assert response.status_code == 303
    with db() as s:
        session = s.scalar(select(Session))
        assert (session.title, session.kind) == ("Our website", "co-production")
        assert session.starts_at == datetime(2027, 6, 1, 9, 30, tzinfo=UTC)  # BST
        assert session.overrides == {"max_people": 12, "reminder": "none"}
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "session.created")) == "sam@example.org"
    assert response.headers["Location"] == f"/staff/sessions/{session.id}"
    assert Job.fetch(job_id_for(f"create-meeting:{session.id}"), connection=redis_conn)
    assert "the Zoom meeting is being set up" in staff_client.get(response.headers["Location"]).data.decode()


def test_a_session_hosted_by_another_zoom_user_is_made_from_the_form(staff_client, db):
    response = post_new_session(staff_client, kind="cuppa", start_date="2027-01-05", start_time="10:00",
                                host="Bea@Example.org")
    assert response.status_code == 303
    with db() as s:
        assert s.scalar(select(Session.host)) == "bea@example.org"
    page = staff_client.get(response.headers["Location"]).data.decode()
    assert "<dt>Zoom host</dt><dd>bea@example.org</dd>" in page


def test_a_monthly_series_makes_one_session_per_first_weekday(staff_client, db):
    response = post_new_session(staff_client, kind="cuppa", start_date="2027-01-05", start_time="10:00",
                                monthly="yes", repeat_first="tuesday", repeat_count="3")
    assert response.status_code == 303
    with db() as s:
        starts = [x.starts_at.date().isoformat() for x in s.scalars(select(Session).order_by(Session.starts_at))]
        assert count(db, SessionSeries) == 1
    assert starts == ["2027-01-05", "2027-02-02", "2027-03-02"]


def test_each_refusal_is_shown_next_to_its_field_keeping_what_was_typed(staff_client, db):
    cases = [({"kind": ""}, "kind", "Kind must be one of"),
             ({"start_date": ""}, "start_date", "Start is required"),
             ({"start_date": "2020-01-01"}, "start_date", "Start must be in the future"),
             ({"max_people": "lots"}, "max_people", "Max people must be a whole number"),
             ({"duration_minutes": "5"}, "duration_minutes", "Duration minutes must be between 15 and 600"),
             ({"overrides_json": "{not json"}, "overrides_json", "Other overrides must be a JSON object"),
             ({"overrides_json": '{"paid": true}'}, "overrides_json", "Paid is not something a session can override"),
             ({"monthly": "yes", "repeat_count": "99"}, "repeat_count", "Count must be a whole number from 2 to 50"),
             ({"host": "me"}, "host", "Host must name the Zoom user")]
    for fields, name, message in cases:
        form = {"kind": "cuppa", "start_date": "2027-01-05", "start_time": "10:00", "title": "Kept", **fields}
        response = post_new_session(staff_client, **form)
        page = response.data.decode()
        assert response.status_code == 400, fields
        assert field_error(page, name).startswith(message), (fields, field_error(page, name))
        assert 'value="Kept"' in page and "There is a problem" in page
    assert count(db, Session) == 0


def session_id(db, clock, kind="co-production") -> int:
    now = clock.now()
    with db() as s:
        row = Session(kind=kind, title="Shaping our website", starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                      duration_minutes=120, created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        return row.id


def test_staff_add_a_registration_through_the_api_and_its_job_is_enqueued(staff_client, db, clock, redis_conn):
    sid = session_id(db, clock)
    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}")
    response = staff_client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": token, "first_name": "Ada", "email": "Ada@Example.org", "joins_by": "phone",
        "access_needs": "Large print", "wants_payment": "yes"})
    assert response.status_code == 303
    with db() as s:
        registration = s.scalar(select(Registration))
        assert (registration.source, registration.joins_by, registration.wants_payment) == ("staff", "phone", True)
    assert Job.fetch(job_id_for(f"register:{registration.id}"), connection=redis_conn)
    page = staff_client.get(response.headers["Location"]).data.decode()
    assert "Registered; Zoom and their emails follow" in page and "Large print" in page


def test_a_refused_registration_is_shown_next_to_its_field(staff_client, db, clock):
    sid = session_id(db, clock)
    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}")
    response = staff_client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": token, "first_name": "Ada", "email": "not an email"})
    page = response.data.decode()
    assert response.status_code == 400 and 'value="not an email"' in page
    assert field_error(page, "email").startswith("Email must be an email address")
    staff_client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": token, "first_name": "Ada", "email": "ada@example.org"})
    again = staff_client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": token, "first_name": "Ada", "email": "ada@example.org"})
    assert again.status_code == 409 and "is already registered" in field_error(again.data.decode(), "email")
    assert count(db, Registration) == 1


def upload(staff_client, sid, text: str):
    import io

    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}")
    return staff_client.post(f"/staff/sessions/{sid}/registrations/import", content_type="multipart/form-data",
                             data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "people.csv")})


def test_a_csv_import_adds_every_row_or_names_the_wrong_line(staff_client, db, clock):
    sid = session_id(db, clock)
    refused = upload(staff_client, sid, "first_name,email\nAda,ada@example.org\nBo,bo-at-example\n")
    assert refused.status_code == 400
    assert field_error(refused.data.decode(), "file").startswith("Line 3 (email): must be an email address")
    assert count(db, Registration) == 0
    response = upload(staff_client, sid, "first_name,email,joins_by\nAda,ada@example.org,video\nBo,bo@example.org,phone\n")
    assert response.status_code == 303
    assert "Imported 2 registrations" in staff_client.get(response.headers["Location"]).data.decode()
    assert count(db, Registration) == 2


def test_cancelling_a_registration_goes_through_the_api(staff_client, db, clock, redis_conn):
    sid = session_id(db, clock)
    upload(staff_client, sid, "first_name,email\nAda,ada@example.org\n")
    with db() as s:
        registration_id = s.scalar(select(Registration.id))
    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}")
    page = staff_client.get(f"/staff/sessions/{sid}").data.decode()
    assert "Cancel<span class=\"visually-hidden\"> Ada's registration" in page
    response = staff_client.post(f"/staff/sessions/{sid}/registrations/{registration_id}/cancel",
                                 data={"csrf_token": token})
    assert response.status_code == 303
    assert "registration is cancelled" in staff_client.get(response.headers["Location"]).data.decode()
    with db() as s:
        assert s.get(Registration, registration_id).status == "cancelled"
    assert Job.fetch(job_id_for(f"unregister:{registration_id}"), connection=redis_conn)
