"""No one changes a stored person without proof (issue 13, item 9).

A person is shared by every session they join: their first name is what the meeting shows,
their email is where their links go, their phone number is how a caller is recognised (and so
paid), and `is_staff` is an access right. The public page may make a registration, but changes
to a stored person need the person (a link emailed to the address we hold: signed, single use,
judged by the app's clock) or staff, and each change is audited. These tests drive the real
pages, API and commands; the confirmation email goes through the real mailer to a real SMTP
server (aiosmtpd).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.builders import add_session, utc
from tests.web import conftest as staff_pages
from tests.web.conftest import csrf_token_of, sign_in_through_zoom, zoom_user
from workers.worker import make_worker
from zoombridge.queue.queues import EMAIL, all_queues
from zoombridge.store.models import AuditEntry, Person, Registration

staff_person = staff_pages.staff_person  # the staff-page fixtures, used here by name
staff_client = staff_pages.staff_client
START = utc(2026, 12, 8, 10, 30)
LINK = re.compile(r"http://zoombridge\.test(/register/confirm-details\?token=[A-Za-z0-9._~%-]+)")


@pytest.fixture
def settings(settings, smtp_server):
    return settings.with_changes(smtp_url=smtp_server.url)


@pytest.fixture
def sessions(db) -> list[int]:
    """Two Cuppas still to come: Ada registered for the first; the second is where strangers try."""
    with db() as s:
        return [add_session(s, kind="cuppa", title=f"Cuppa {n}", starts_at=START + timedelta(days=7 * n)).id
                for n in (0, 1)]


@pytest.fixture
def ada(client, sessions, db) -> int:
    assert register_publicly(client, sessions[0], first_name="Ada", email="ada@example.org",
                             phone="07700 900123").status_code == 303
    with db() as s:
        return s.scalar(select(Person.id).where(Person.email == "ada@example.org"))


def register_publicly(client, session_id: int, **fields):
    """What anyone on the internet can do: load the form (for its token) and send it."""
    page = client.get(f"/register/{session_id}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"/register/{session_id}", data={"csrf_token": token, "joins_by": "video", **fields})


def details(db, email: str) -> tuple:
    with db() as s:
        person = s.scalar(select(Person).where(Person.email == email))
        return person.first_name, person.phone, person.is_staff


def audit(db, action: str | None = None) -> list[tuple]:
    with db() as s:
        query = select(AuditEntry).where(AuditEntry.subject_type == "person").order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return [(e.action, e.actor, e.subject_id, e.details) for e in s.scalars(query)]


def send_emails(app, redis_conn) -> None:
    """Run what is waiting on the email queue (Zoom's jobs stay queued: no Zoom in these tests)."""
    queues = [q for q in all_queues(redis_conn) if q.name == EMAIL]
    make_worker(app, redis_conn, queues, simple=True, name="email-test").work(burst=True, with_scheduler=False)


def confirmation_emails(smtp_server, to: str) -> list:
    return [m for m in smtp_server.messages_to(to)
            if m["X-Zoombridge-Intent"].startswith("details-confirmation:")]


def link_in(message) -> str:
    return LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)


def confirm(client, link: str):
    """Open the emailed link, then press Confirm on the page it shows."""
    page = client.get(link)
    assert page.status_code == 200, page.data
    token = parse_qs(urlsplit(link).query)["token"][0]
    with client.session_transaction() as cookie:
        csrf = cookie["csrf_token"]
    return client.post("/register/confirm-details", data={"csrf_token": csrf, "token": token})


def test_a_stranger_cannot_change_a_stored_persons_name_or_phone_from_the_public_page(
        client, app, db, sessions, ada, smtp_server, redis_conn):
    attempt = register_publicly(client, sessions[1], first_name="Hacked", email="ADA@example.org",
                                phone="07700 900999", access_needs="Large print")
    assert attempt.status_code == 303  # answered like any registration: nothing tells a stranger more
    assert details(db, "ada@example.org") == ("Ada", "+447700900123", False)
    with db() as s:  # the registration is made, with this session's own answers, under Ada's stored name
        places = {r.session_id: (r.person.first_name, r.person.phone, r.access_needs)
                  for r in s.scalars(select(Registration))}
    assert places == {sessions[0]: ("Ada", "+447700900123", ""), sessions[1]: ("Ada", "+447700900123", "Large print")}

    send_emails(app, redis_conn)
    (email,) = confirmation_emails(smtp_server, "ada@example.org")
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert email["Subject"] == "Please confirm the change to your details"
    assert "first name and phone number" in text and "Nothing has changed yet" in text
    assert "Hacked" not in text and "900999" not in text  # the new details are shown only behind the link
    assert [(a[0], a[1], a[3]["fields"]) for a in audit(db)] == [
        ("person.change_requested", "public registration page", ["first_name", "phone"])]


def test_a_staff_members_record_is_never_changed_from_the_public_page(
        client, app, db, sessions, staff_person, smtp_server, redis_conn):
    attempt = register_publicly(client, sessions[1], first_name="Hacked", email="sam@example.org",
                                phone="07700 900999")
    assert attempt.status_code == 303
    assert details(db, "sam@example.org") == ("Sam", None, True)
    send_emails(app, redis_conn)
    assert confirmation_emails(smtp_server, "sam@example.org") == []  # not even a link could change it
    assert [(a[0], a[3]) for a in audit(db) if a[0] != "staff.added"] == [
        ("person.change_refused", {"fields": ["first_name", "phone"], "reason": "staff", "source": "public"})]
    signed_in = sign_in_through_zoom(client, zoom_user())
    assert signed_in.status_code == 302
    page = client.get("/staff/sessions").data.decode()
    assert "<span>Sam</span>" in page and "Hacked" not in page


def test_the_emailed_link_changes_the_details_once_and_the_change_is_audited(
        client, app, db, sessions, ada, smtp_server, redis_conn):
    register_publicly(client, sessions[1], first_name="Ada Lovelace", email="ada@example.org",
                      phone="+44 7700 900456")
    send_emails(app, redis_conn)
    link = link_in(confirmation_emails(smtp_server, "ada@example.org")[0])

    shown = client.get(link)
    assert shown.status_code == 200
    page = shown.data.decode()
    assert "Ada Lovelace" in page and "07700 900456" in page and ">Confirm" in page
    assert shown.headers["Referrer-Policy"] == "no-referrer" and shown.headers["Cache-Control"] == "no-store"
    assert details(db, "ada@example.org") == ("Ada", "+447700900123", False)  # opening the link changes nothing

    done = confirm(client, link)
    assert done.status_code == 303
    assert "Your details are updated" in client.get(done.headers["Location"]).data.decode()
    assert details(db, "ada@example.org") == ("Ada Lovelace", "+447700900456", False)
    (requested, changed) = audit(db)
    assert requested[0] == "person.change_requested"
    assert changed[:3] == ("person.changed", "the person, by the link emailed to them", str(ada))
    assert changed[3] == {"fields": ["first_name", "phone"], "proof": "person", "request": requested[3]["request"]}

    again = client.post("/register/confirm-details", data={
        "csrf_token": _csrf(client), "token": parse_qs(urlsplit(link).query)["token"][0]})
    assert again.status_code == 409 and "already been used" in again.data.decode()
    assert client.get(link).status_code == 409
    assert len(audit(db, "person.changed")) == 1


def _csrf(client) -> str:
    with client.session_transaction() as cookie:
        return cookie["csrf_token"]


def test_a_confirmation_link_expires_after_48_hours_by_the_apps_clock(
        client, app, db, sessions, ada, smtp_server, redis_conn, clock):
    with db() as s:
        third = add_session(s, kind="cuppa", title="Cuppa 3", starts_at=START + timedelta(days=21)).id
    register_publicly(client, sessions[1], first_name="Adah", email="ada@example.org")
    send_emails(app, redis_conn)
    (link,) = [link_in(m) for m in confirmation_emails(smtp_server, "ada@example.org")]
    clock.advance(hours=48, seconds=1)
    late = client.get(link)
    assert late.status_code == 409 and "has expired" in late.data.decode()
    refused = client.post("/register/confirm-details", data={
        "csrf_token": _csrf(client), "token": parse_qs(urlsplit(link).query)["token"][0]})
    assert refused.status_code == 409
    assert details(db, "ada@example.org")[0] == "Ada"

    register_publicly(client, third, first_name="Adah", email="ada@example.org")
    send_emails(app, redis_conn)
    fresh = link_in(confirmation_emails(smtp_server, "ada@example.org")[-1])
    assert fresh != link
    clock.advance(hours=47, minutes=59)
    assert confirm(client, fresh).status_code == 303
    assert details(db, "ada@example.org")[0] == "Adah"


@pytest.mark.parametrize("tamper", ["signature", "nonce", "other_key", "other_request", "garbage", "missing"])
def test_a_link_that_was_altered_or_made_elsewhere_changes_nothing(
        client, app, db, sessions, ada, smtp_server, redis_conn, tamper):
    from itsdangerous import URLSafeSerializer

    from zoombridge.people import details as rule

    register_publicly(client, sessions[1], first_name="Mallory", email="ada@example.org")
    send_emails(app, redis_conn)
    token = parse_qs(urlsplit(link_in(confirmation_emails(smtp_server, "ada@example.org")[0])).query)["token"][0]
    request_id, nonce = URLSafeSerializer(app.config["SECRET_KEY"], salt=rule.TOKEN_SALT).loads(
        token.removeprefix(rule.TOKEN_PREFIX))
    forged = {
        "signature": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "nonce": rule.TOKEN_PREFIX + URLSafeSerializer(app.config["SECRET_KEY"], salt=rule.TOKEN_SALT).dumps(
            [request_id, "x" * len(nonce)]),
        "other_key": rule.TOKEN_PREFIX + URLSafeSerializer("another-key-another-key-another-key",
                                                           salt=rule.TOKEN_SALT).dumps([request_id, nonce]),
        "other_request": rule.TOKEN_PREFIX + URLSafeSerializer(app.config["SECRET_KEY"], salt=rule.TOKEN_SALT).dumps(
            [request_id + 1, nonce]),
        "garbage": "zbc_" + "A" * 5000,
        "missing": "",
    }[tamper]
    shown = client.get("/register/confirm-details", query_string={"token": forged})
    assert shown.status_code == 404 and "not valid" in shown.data.decode()
    page = client.get(f"/register/{sessions[0]}")  # a CSRF token for the POST
    assert page.status_code == 200
    refused = client.post("/register/confirm-details", data={"csrf_token": _csrf(client), "token": forged})
    assert refused.status_code == 404
    assert details(db, "ada@example.org")[0] == "Ada"
    assert audit(db, "person.changed") == []


def test_a_link_made_before_a_newer_change_cannot_undo_it(
        client, app, db, sessions, ada, smtp_server, redis_conn, staff_headers):
    register_publicly(client, sessions[1], first_name="Ada Old", email="ada@example.org")
    send_emails(app, redis_conn)
    link = link_in(confirmation_emails(smtp_server, "ada@example.org")[0])
    with db() as s:
        third = add_session(s, kind="cuppa", title="Cuppa 3", starts_at=START + timedelta(days=21)).id
    by_staff = client.post(f"/api/v1/sessions/{third}/registrations", headers=staff_headers,
                           json={"first_name": "Ada Staff-Fixed", "email": "ada@example.org"})
    assert by_staff.status_code == 201
    late = client.get(link)
    assert late.status_code == 409 and "changed since" in late.data.decode()
    assert details(db, "ada@example.org")[0] == "Ada Staff-Fixed"


def test_staff_may_change_a_persons_details_and_each_change_is_audited(
        staff_client, client, db, sessions, ada, staff_headers):
    api = client.post(f"/api/v1/sessions/{sessions[1]}/registrations", headers=staff_headers,
                      json={"first_name": "Ada B", "email": "ada@example.org", "phone": "07700 900777"})
    assert api.status_code == 201 and api.get_json()["first_name"] == "Ada B"
    with db() as s:
        third = add_session(s, kind="cuppa", title="Cuppa 3", starts_at=START + timedelta(days=21)).id
    page = staff_client.post(f"/staff/sessions/{third}/registrations", data={
        "csrf_token": csrf_token_of(staff_client, f"/staff/sessions/{third}"), "first_name": "Ada C",
        "email": "ada@example.org", "joins_by": "video"})
    assert page.status_code == 303
    assert details(db, "ada@example.org") == ("Ada C", "+447700900777", False)
    assert [(a[0], a[1], a[3]) for a in audit(db) if a[0].startswith("person.")] == [
        ("person.changed", "Test Staff", {"fields": ["first_name", "phone"], "proof": "staff", "source": "staff"}),
        ("person.changed", "sam@example.org", {"fields": ["first_name"], "proof": "staff", "source": "staff"}),
    ]


def test_a_person_is_asked_at_most_three_times_a_day(client, app, db, sessions, ada, smtp_server, redis_conn,
                                                       clock):
    with db() as s:
        more = [add_session(s, kind="cuppa", title=f"Cuppa {n}", starts_at=START + timedelta(days=7 * n)).id
                for n in range(2, 6)]
    for n, session_id in enumerate([sessions[1], *more]):
        register_publicly(client, session_id, first_name=f"Name {n}", email="ada@example.org")
    send_emails(app, redis_conn)
    assert len(confirmation_emails(smtp_server, "ada@example.org")) == 3
    assert [a[3].get("reason") for a in audit(db, "person.change_refused")] == ["too_many_requests"] * 2
    assert details(db, "ada@example.org")[0] == "Ada"


# --- the class: every way a person is written goes through the one rule -------------------------

def _people(db) -> dict[int, tuple]:
    with db() as s:
        return {p.id: (p.first_name, p.email, p.phone, p.is_staff) for p in s.scalars(select(Person))}


def _changed(before: dict, after: dict) -> dict[str, list[str]]:
    names = ("first_name", "email", "phone", "is_staff")
    return {str(pid): sorted(n for n, old, new in zip(names, before[pid], row, strict=True) if old != new)
            for pid, row in after.items() if pid in before and before[pid] != row}


def test_every_way_a_person_is_written_is_authorised_and_audited(
        staff_client, staff_person, client, app, db, sessions, ada, staff_headers, smtp_server,
        redis_conn, zoombridge_cli):
    """Each door is tried with a change to a stored person; afterwards a person changed only
    through a door that had proof, and each change has its audit line naming the fields."""
    with db() as s:
        spare = [add_session(s, kind="cuppa", title=f"Spare {n}", starts_at=START + timedelta(days=7 * n)).id
                 for n in range(2, 8)]

    stranger = app.test_client()

    def public(): register_publicly(stranger, sessions[1], first_name="Mallory", email="ada@example.org",
                                    phone="07700 900666")

    def public_staff(): register_publicly(stranger, sessions[1], first_name="Mallory", email="sam@example.org")

    def api(): client.post(f"/api/v1/sessions/{spare[0]}/registrations", headers=staff_headers,
                           json={"first_name": "Ada Api", "email": "ada@example.org"})

    def page(): staff_client.post(f"/staff/sessions/{spare[1]}/registrations", data={
        "csrf_token": csrf_token_of(staff_client, f"/staff/sessions/{spare[1]}"), "first_name": "Ada Page",
        "email": "ada@example.org", "joins_by": "video"})

    def api_import(): client.post(f"/api/v1/sessions/{spare[2]}/registrations/import", headers=staff_headers,
                                  data="first_name,email,phone\nAda Csv,ada@example.org,07700 900111\n",
                                  content_type="text/csv")

    def page_import():
        import io
        staff_client.post(f"/staff/sessions/{spare[3]}/registrations/import", data={
            "csrf_token": csrf_token_of(staff_client, f"/staff/sessions/{spare[3]}"),
            "file": (io.BytesIO(b"first_name,email\nAda Upload,ada@example.org\n"), "people.csv")},
            content_type="multipart/form-data")

    def staff_add(): zoombridge_cli("staff", "add", "ada@example.org", "Ignored", check=False)

    def staff_remove(): zoombridge_cli("staff", "remove", "ada@example.org", check=False)

    def emails(): send_emails(app, redis_conn)

    def link():
        (emailed,) = confirmation_emails(smtp_server, "ada@example.org")
        target = link_in(emailed)
        assert stranger.get(target).status_code == 409
        token = parse_qs(urlsplit(target).query)["token"][0]
        assert stranger.post("/register/confirm-details",
                             data={"csrf_token": _csrf(stranger), "token": token}).status_code == 409

    doors = [("public page", public, []), ("public page, staff email", public_staff, []),
             ("email jobs", emails, []), ("staff API", api, ["first_name"]), ("staff page", page, ["first_name"]),
             ("API import", api_import, ["first_name", "phone"]), ("page import", page_import, ["first_name"]),
             ("staff add", staff_add, ["is_staff"]), ("staff remove", staff_remove, ["is_staff"])]
    seen = []
    for name, door, fields in doors:
        before, lines_before = _people(db), len(audit(db))
        door()
        changed = _changed(before, _people(db))
        seen.append((name, changed, [(a[0], a[2], a[3].get("fields")) for a in audit(db)[lines_before:]
                                     if a[3].get("fields") is not None and a[0] != "person.change_requested"]))
        assert changed == ({str(ada): fields} if fields else {}), (name, changed)
    # The confirmation: the request was made under Ada's name and phone as they were then, and staff
    # have changed both since: the link is out of date and changes nothing.
    before = _people(db)
    link()
    assert _changed(before, _people(db)) == {}
    assert [(name, lines) for name, _changed_, lines in seen] == [
        ("public page", []),
        ("public page, staff email", [("person.change_refused", str(staff_person["id"]), ["first_name"])]),
        ("email jobs", []),
        ("staff API", [("person.changed", str(ada), ["first_name"])]),
        ("staff page", [("person.changed", str(ada), ["first_name"])]),
        ("API import", [("person.changed", str(ada), ["first_name", "phone"])]),
        ("page import", [("person.changed", str(ada), ["first_name"])]),
        ("staff add", [("staff.added", str(ada), ["is_staff"])]),
        ("staff remove", [("staff.removed", str(ada), ["is_staff"])]),
    ]


def test_a_write_to_a_person_outside_the_rule_is_refused_and_saves_nothing(app, db, ada):
    """What catches a door not yet written: a new view or job that sets a person's field itself, or
    an UPDATE statement on the people table, fails its unit of work instead of changing anyone."""
    from sqlalchemy import update

    from zoombridge.store.person_writes import UnallowedPersonWrite

    attempts = {
        "attribute": lambda s: setattr(s.get(Person, ada), "first_name", "Hacked"),
        "is_staff": lambda s: setattr(s.get(Person, ada), "is_staff", True),
        "new person": lambda s: s.add(Person(first_name="Ghost", email="ghost@example.org",
                                             created_at=utc(2026, 11, 1))),
        "statement": lambda s: s.execute(update(Person).where(Person.id == ada).values(phone="07700 900000")),
        "delete": lambda s: s.delete(s.get(Person, ada)),
    }
    for name, attempt in attempts.items():
        with pytest.raises(UnallowedPersonWrite), db() as s:
            attempt(s)
            s.flush()
        assert details(db, "ada@example.org") == ("Ada", "+447700900123", False), name
    with db() as s:
        assert s.scalar(select(Person).where(Person.email == "ghost@example.org")) is None


def test_only_the_rule_allows_a_write_to_a_person():
    """`person_writes.allowed` is the guard's one key; only the rule (`zoombridge/people/details.py`)
    may use it, and nothing writes the people table with SQL text."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    users = []
    for path in sorted([*(root / "zoombridge").rglob("*.py"), *(root / "workers").rglob("*.py")]):
        tree = ast.parse(path.read_text())
        text = path.read_text().upper()
        if re.search(r"(UPDATE|INSERT INTO|DELETE FROM)\s+PEOPLE\b", text):
            users.append(f"{path.relative_to(root)}: SQL on people")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "allowed" and \
                    isinstance(node.value, ast.Name) and node.value.id == "person_writes":
                users.append(str(path.relative_to(root)))
    assert sorted(set(users)) == ["zoombridge/people/details.py"]


def test_a_confirmation_link_or_its_token_in_an_error_is_masked_before_it_is_logged():
    """Log records are scrubbed (zoombridge.privacy); the suite's log scan fails the run on a
    `zbc_` token in any record, and this checks the scrubbing itself."""
    from zoombridge.privacy import scrub

    token = "zbc_WzEsIjNxMlY5blNrMHFrUjBiUzl5UWJKN1l2MXoifQ.c2lnbmF0dXJlLXNpZ24"
    assert token not in scrub(f"failed for http://zoombridge.test/register/confirm-details?token={token}")
    assert token not in scrub(f"could not read the token {token}")


def test_a_confirmation_email_whose_job_was_lost_is_sent_by_the_safety_sweep_once(
        client, app, db, sessions, ada, smtp_server, redis_conn):
    from workers.jobs.sweep import sweep_sessions

    register_publicly(client, sessions[1], first_name="Ada L", email="ada@example.org")
    redis_conn.flushdb()  # the job is lost, as when Redis restarts empty after the commit
    with app.app_context():
        assert sweep_sessions()["details"] == 1
    send_emails(app, redis_conn)
    assert len(confirmation_emails(smtp_server, "ada@example.org")) == 1
    with app.app_context():
        assert sweep_sessions()["details"] == 0  # sent: nothing to do
