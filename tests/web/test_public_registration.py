import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from zoombridge.store.models import Person, Registration, Session
from zoombridge.web import public_registration


def make_session(db, clock, kind="co-production", title="Shaping our website", **changes) -> int:
    now = clock.now()
    with db() as s:
        row = Session(kind=kind, title=title, starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                      duration_minutes=120, created_at=now, updated_at=now, **changes)
        s.add(row)
        s.flush()
        return row.id


def form_token(client, session_id) -> str:
    page = client.get(f"/register/{session_id}").data.decode()
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post(client, session_id, **fields):
    data = {"csrf_token": form_token(client, session_id), "first_name": "Ada", "email": "ada@example.org",
            "phone": "", "joins_by": "video", "access_needs": "", **fields}
    return client.post(f"/register/{session_id}", data=data)


@pytest.fixture
def session_id(db, clock):
    return make_session(db, clock)


def registrations(db):
    with db() as s:
        return [(r.person.first_name, r.person.email, r.joins_by, r.access_needs, r.wants_payment, r.source)
                for r in s.scalars(select(Registration).order_by(Registration.id))]


def test_the_page_asks_each_question_with_a_label(client, session_id):
    page = client.get(f"/register/{session_id}").data.decode()
    for field, label in [("first_name", "First name"), ("email", "Email address"), ("phone", "Phone number (optional)"),
                         ("access_needs", "Is there anything that would help you take part?"),
                         ("wants_payment", "I would like to be paid for my time")]:
        assert f'<label for="{field}">{label}' in page
    assert "How will you join?" in page and "benefits" in page


def test_an_unpaid_kind_does_not_ask_about_payment(client, db, clock):
    cuppa = make_session(db, clock, kind="cuppa", title="Co-Pro Cuppa")
    page = client.get(f"/register/{cuppa}").data.decode()
    assert "paid for my time" not in page


def test_a_registration_is_saved_and_confirmed_with_what_happens_next(client, session_id, db):
    response = post(client, session_id, first_name=" Ada ", email="Ada@Example.org", joins_by="phone",
                    access_needs="A quiet room please", wants_payment="yes")
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).data.decode()
    assert "Thank you, Ada" in confirmation and "Ada@Example.org" in confirmation
    assert "participant ID" in confirmation
    assert registrations(db) == [("Ada", "ada@example.org", "phone", "A quiet room please", True, "public")]


def test_each_problem_is_shown_next_to_its_field_and_nothing_is_saved(client, session_id, db):
    response = post(client, session_id, first_name="", email="not-an-email", phone="call me", joins_by="pigeon")
    page = response.data.decode()
    assert response.status_code == 400
    assert page.startswith("<!doctype html>") and "<title>Error: " in page
    assert 'id="first_name-error"' in page and "First name is required" in page
    assert 'id="email-error"' in page and "Email address must be an email address, like name@example.com" in page
    assert 'id="phone-error"' in page and 'id="joins_by-error"' in page
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in page
    assert 'value="not-an-email"' in page  # what they typed is kept
    assert registrations(db) == []


def test_payment_is_never_recorded_for_an_unpaid_kind(client, db, clock):
    cuppa = make_session(db, clock, kind="cuppa", title="Co-Pro Cuppa")
    post(client, cuppa, wants_payment="yes")
    assert registrations(db)[0][4] is False


def test_registering_twice_keeps_one_place_and_reveals_nothing(client, session_id, db):
    first = post(client, session_id)
    second = post(client, session_id, first_name="Someone else")
    assert first.status_code == second.status_code == 303
    assert len(registrations(db)) == 1


def test_a_filled_honeypot_looks_like_success_but_saves_nothing(client, session_id, db):
    response = post(client, session_id, website="http://spam.example")
    assert response.status_code == 303
    assert registrations(db) == []


def test_too_many_registrations_from_one_address_are_refused_for_a_while(client, session_id, db, monkeypatch):
    monkeypatch.setattr(public_registration, "RATE_LIMIT", 2)
    assert post(client, session_id, email="a@example.org").status_code == 303
    assert post(client, session_id, email="b@example.org").status_code == 303
    refused = post(client, session_id, email="c@example.org")
    assert refused.status_code == 429 and b"too many registrations" in refused.data
    other_address = client.post(f"/register/{session_id}", environ_base={"REMOTE_ADDR": "10.1.2.3"},
                                data={"csrf_token": form_token(client, session_id), "first_name": "Di",
                                      "email": "d@example.org", "joins_by": "video"})
    assert other_address.status_code == 303
    assert [r[1] for r in registrations(db)] == ["a@example.org", "b@example.org", "d@example.org"]


def test_the_registration_limit_lifts_an_hour_later_by_the_services_clock(client, session_id, db, monkeypatch,
                                                                             clock):
    monkeypatch.setattr(public_registration, "RATE_LIMIT", 1)
    clock.set(clock.now().replace(minute=0, second=0))
    assert post(client, session_id, email="a@example.org").status_code == 303
    clock.advance(minutes=59)
    assert post(client, session_id, email="b@example.org").status_code == 429  # same hour
    clock.advance(minutes=1)
    assert post(client, session_id, email="c@example.org").status_code == 303  # the next hour: no waiting
    assert [r[1] for r in registrations(db)] == ["a@example.org", "c@example.org"]


def test_a_post_without_the_form_token_is_refused(client, session_id, db):
    response = client.post(f"/register/{session_id}", data={"first_name": "Ada", "email": "ada@example.org",
                                                            "joins_by": "video"})
    assert response.status_code == 400 and b"This form has expired" in response.data
    assert registrations(db) == []


@pytest.mark.parametrize("changes", [{"status": "cancelled"},
                                     {"starts_at": datetime(2026, 11, 1, 10, 0, tzinfo=UTC)}])
def test_a_cancelled_or_past_session_takes_no_registrations(client, db, clock, changes):
    now = clock.now()
    with db() as s:
        row = Session(kind="cuppa", title="Old", starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
                      duration_minutes=90, created_at=now, updated_at=now)
        for key, value in changes.items():
            setattr(row, key, value)
        s.add(row)
        s.flush()
        old = row.id
    response = client.get(f"/register/{old}")
    assert response.status_code == 404 and b"not open for registration" in response.data


def test_an_unknown_session_is_a_friendly_404(client):
    assert client.get("/register/999").status_code == 404


def test_the_confirmation_page_without_a_registration_goes_back_to_the_form(client, session_id):
    response = client.get(f"/register/{session_id}/registered")
    assert response.status_code == 302 and response.headers["Location"] == f"/register/{session_id}"


def test_staff_on_the_list_are_never_marked_for_payment(client, session_id, db, staff_person):
    post(client, session_id, email="sam@example.org", wants_payment="yes")
    with db() as s:
        person = s.scalar(select(Person).where(Person.email == "sam@example.org"))
        assert person.is_staff and registrations(db)[0][4] is False


def test_a_registration_enqueues_its_zoom_registrant_job(client, session_id, db, redis_conn):
    from rq.job import Job

    from zoombridge.queue.queues import job_id_for

    post(client, session_id)
    with db() as s:
        registration_id = s.scalar(select(Registration.id))
    job = Job.fetch(job_id_for(f"register:{registration_id}"), connection=redis_conn)
    assert job.func_name == "workers.jobs.registrations.register" and job.args == (registration_id,)


def test_registering_again_with_someone_elses_email_changes_nothing_of_theirs(client, session_id, db):
    post(client, session_id, first_name="Ada", phone="07700 900123")
    again = post(client, session_id, first_name="Mallory", phone="07700 900999")
    assert again.status_code == 303
    with db() as s:
        person = s.scalar(select(Person))
        assert (person.first_name, person.phone) == ("Ada", "+447700900123")


def test_a_full_session_says_so_and_saves_nothing(client, db, clock):
    full = make_session(db, clock, kind="cuppa", overrides={"max_people": 2})
    assert post(client, full, email="a@example.org").status_code == 303
    assert post(client, full, email="b@example.org").status_code == 303
    refused = post(client, full, email="c@example.org")
    assert refused.status_code == 409 and b"this session is full" in refused.data
    assert [r[1] for r in registrations(db)] == ["a@example.org", "b@example.org"]


def test_with_redis_down_a_registration_is_still_saved_without_the_rate_limit(client, session_id, db, monkeypatch):
    import redis

    from zoombridge.web import public_registration

    def unreachable():
        return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)

    page = client.get(f"/register/{session_id}")  # the form token is taken while Redis still answers
    assert page.status_code == 200
    monkeypatch.setattr(public_registration, "current_redis", unreachable)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode()).group(1)
    response = client.post(f"/register/{session_id}", data={
        "csrf_token": token, "first_name": "Ada", "email": "ada@example.org", "joins_by": "video"})
    assert response.status_code == 303
    assert [r[1] for r in registrations(db)] == ["ada@example.org"]
