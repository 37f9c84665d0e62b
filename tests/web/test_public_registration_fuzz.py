"""Fuzzing the public registration form: whatever is typed (or forged), the page answers with a
confirmation or an HTML page naming the problem, never a 500, and writes a whole registration or
nothing. Also: a forged form token is refused, and the per-address limit holds.
"""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.web.test_public_registration import form_token, make_session
from zoombridge.notify.addresses import normalise_email
from zoombridge.store.models import Person, Registration
from zoombridge.web import public_registration

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Anything a browser (or a script) can send: any text, including control characters and NUL;
# plausible values mixed in so that successes are explored too.
any_text = st.text(max_size=300)
fields = st.fixed_dictionaries({}, optional={
    "first_name": st.one_of(any_text, st.sampled_from(["Ada", " Bo ", "x" * 64, "x" * 65])),
    "email": st.one_of(any_text, st.emails().map(str), st.sampled_from(["a@example.org", "A@EXAMPLE.ORG"])),
    "phone": st.one_of(any_text, st.from_regex(r"\+?[0-9 ]{6,20}", fullmatch=True)),
    "joins_by": st.one_of(any_text, st.sampled_from(["video", "phone", ""])),
    "access_needs": st.one_of(any_text, st.text(min_size=1990, max_size=2010)),
    "wants_payment": st.one_of(any_text, st.sampled_from(["yes", "no", ""])),
    "website": st.sampled_from(["", "", "", "http://spam.example"]),
})


def counts(db) -> tuple[int, int]:
    with db() as s:
        return (s.scalar(select(func.count()).select_from(Person)),
                s.scalar(select(func.count()).select_from(Registration)))


def test_any_form_is_confirmed_or_refused_with_a_named_problem_never_half_saved(client, db, clock, monkeypatch):
    monkeypatch.setattr(public_registration, "RATE_LIMIT", 10_000)
    session_id = make_session(db, clock)
    token = form_token(client, session_id)

    @FUZZ
    @given(form=fields)
    @example(form={"first_name": "A\x00da", "email": "ada@example.org"})  # PostgreSQL refuses NUL in text
    @example(form={"first_name": "Ada", "email": "a\x00da@example.org", "access_needs": "\x1b[31m"})
    @example(form={"first_name": "Ada", "email": "ada@example.org", "access_needs": "Line one\r\nLine two"})
    def check(form):
        before = counts(db)
        response = client.post(f"/register/{session_id}", data={"csrf_token": token, **form})
        after = counts(db)
        assert response.status_code in (303, 400), (response.status_code, form)
        if response.status_code == 400:
            page = response.data.decode()
            assert page.startswith("<!doctype html>") and "There is a problem" in page
            named = re.findall(r'id="(\w+)-error"><span class="visually-hidden">Error:</span> ([^<]+)<', page)
            assert named and all(message.startswith(public_registration.LABELS[field]) for field, message in named)
            assert after == before, "a refused registration wrote something"
            return
        email = normalise_email(form.get("email"))
        if form.get("website"):
            assert after == before
            return
        assert email is not None
        with db() as s:
            person = s.scalar(select(Person).where(Person.email == email))
            assert person is not None and s.scalar(select(Registration).where(
                Registration.person_id == person.id, Registration.session_id == session_id,
                Registration.status == "active")) is not None
        assert after[1] - before[1] in (0, 1) and after[0] - before[0] in (0, 1)

    check()


def test_a_forged_or_stale_form_token_is_refused_and_nothing_is_written(client, db, clock):
    session_id = make_session(db, clock)
    real = form_token(client, session_id)

    @FUZZ
    @given(token=st.text(max_size=80).filter(lambda t: t != real))
    def check(token):
        response = client.post(f"/register/{session_id}", data={
            "csrf_token": token, "first_name": "Ada", "email": "ada@example.org", "joins_by": "video"})
        assert response.status_code == 400 and b"This form has expired" in response.data
        assert counts(db) == (0, 0)

    check()


@pytest.mark.parametrize("form", [
    {"first_name": "Q", "email": "q@example.org"},  # a good form
    {"email": "not an email"},  # a bad one
    {"website": "spam"},  # the honeypot
], ids=["valid", "invalid", "honeypot"])
def test_the_rate_limit_refuses_every_kind_of_form_once_it_is_reached(client, db, clock, monkeypatch, form):
    monkeypatch.setattr(public_registration, "RATE_LIMIT", 3)
    session_id = make_session(db, clock)
    token = form_token(client, session_id)
    answers = [client.post(f"/register/{session_id}", data={
        "csrf_token": token, "first_name": "P", "email": f"p{n}@example.org", "joins_by": "video"}).status_code
        for n in range(3)]
    assert answers == [303, 303, 303]
    refused = client.post(f"/register/{session_id}", data={"csrf_token": token, **form})
    assert refused.status_code == 429 and b"Too many tries" in refused.data
    assert counts(db) == (3, 3)
