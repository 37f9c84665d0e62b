"""One confirmation link pressed twice at once changes the person once (issue 13, item 9).

Real threads send real requests through the app to the real database (SQLite here, PostgreSQL
when ZOOMBRIDGE_TEST_DATABASE_URL is set), as in tests/payments/test_review_races.py: one request
is held just before its first write while the other runs to the end, then let go; the other test
starts eight presses together.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from tests.payments.test_review_races import WAIT_SECONDS, Racer, overtaken
from tests.people import test_person_details as person_details
from zoombridge.store.models import AuditEntry, PersonChange

settings = person_details.settings  # a real SMTP server for the confirmation email
sessions = person_details.sessions
ada = person_details.ada


def _link(client, app, smtp_server, redis_conn, sessions) -> str:
    person_details.register_publicly(app.test_client(), sessions[1], first_name="Ada Lovelace", email="ada@example.org")
    person_details.send_emails(app, redis_conn)
    (email,) = person_details.confirmation_emails(smtp_server, "ada@example.org")
    return person_details.link_in(email)


def _press(link: str, opened: threading.Barrier | None = None):
    """Open the link in a browser of its own (for its form token), then press Confirm (all
    together, when `opened` is given: each waits there until every browser has the page)."""
    def press(client):
        assert client.get(link).status_code == 200
        with client.session_transaction() as cookie:
            csrf = cookie["csrf_token"]
        if opened is not None:
            opened.wait()
        token = parse_qs(urlsplit(link).query)["token"][0]
        return client.post("/register/confirm-details", data={"csrf_token": csrf, "token": token})
    return press


def _changes(db) -> list[dict]:
    with db() as s:
        return [e.details for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "person.changed"))]


def test_a_link_pressed_again_while_the_first_press_is_saving_changes_the_person_once(
        app, db, client, sessions, ada, smtp_server, redis_conn):
    link = _link(client, app, smtp_server, redis_conn, sessions)
    slow, fast = overtaken(app, ("slow", _press(link)), ("fast", _press(link)))
    assert (fast.status_code, slow.status_code) == (303, 409)
    assert "already been used" in slow.get_data(as_text=True)
    assert person_details.details(db, "ada@example.org")[0] == "Ada Lovelace"
    assert [c["fields"] for c in _changes(db)] == [["first_name"]]
    with db() as s:
        request = s.scalar(select(PersonChange))
        assert (request.outcome, request.nonce) == ("confirmed", None)


def test_eight_presses_of_one_link_at_once_change_the_person_once(
        app, db, client, sessions, ada, smtp_server, redis_conn):
    link = _link(client, app, smtp_server, redis_conn, sessions)
    press = _press(link, threading.Barrier(8, timeout=WAIT_SECONDS))
    racers = [Racer(app, f"press-{n}", press) for n in range(8)]
    for racer in racers:
        racer.start()
    statuses = sorted(racer.result().status_code for racer in racers)
    assert statuses == [303] + [409] * 7
    assert len(_changes(db)) == 1


def test_two_first_registrations_of_one_email_at_once_make_one_person_and_two_places(app, db, sessions):
    """The slower one finds the person the faster one made (and, its name differing, asks them)
    instead of failing on the unique email with a 500."""
    def registering(session_id, first_name):
        return lambda c: person_details.register_publicly(c, session_id, first_name=first_name,
                                                          email="new@example.org")

    slow, fast = overtaken(app, ("slow", registering(sessions[0], "Nia")), ("fast", registering(sessions[1], "Nye")))
    assert (slow.status_code, fast.status_code) == (303, 303)
    with db() as s:
        from zoombridge.store.models import Person, Registration

        (person,) = s.scalars(select(Person)).all()
        assert person.first_name == "Nye"
        assert sorted(r.session_id for r in s.scalars(select(Registration))) == sorted(sessions)
        assert [r.wanted for r in s.scalars(select(PersonChange))] == [{"first_name": "Nia"}]
