"""Nothing personal in any cookie (issue 13, item 10).

Flask's session cookie is signed, not encrypted: whoever holds it (a shared computer, a browser
extension, a proxy that logs headers) reads it with a base64 decoder and no key. So a cookie
holds opaque values only: the CSRF token, the staff sign-in id, and for the public page a random
handle whose meaning stays on the server. These tests read every cookie the pages set the way
such a person would, and look for the names, emails and phone numbers the test typed.
"""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_token_of, sign_in_through_zoom, zoom_user
from tests.web.staff_page_data import held_session
from tests.web.test_public_registration import make_session
from zoombridge.store.models import Registration

PERSONAL = ("Ada", "Lovelace", "ada@example.org", "900123", "Bo", "bo@example.org", "900456", "Sam", "sam@example.org")


def readable(value: str) -> str:
    """A Flask session cookie as anyone can read it: `[.]payload.timestamp.signature`, the payload
    base64 (zlib-compressed when the value starts with a dot)."""
    payload = value.removeprefix(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if value.startswith(".") else data).decode()


class CookieWatch:
    """Every cookie value any response sets, read as plain text."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def __call__(self, response, where: str):
        for header in response.headers.getlist("Set-Cookie"):
            value = header.split(";", 1)[0].split("=", 1)[1]
            if value:
                self.seen.append((where, readable(value) if "." in value else value))
        return response

    def personal(self) -> list[tuple[str, str]]:
        """Each personal word found as a word (random tokens are runs of base64 characters, so
        "bo" inside one is not Bo)."""
        return [(where, word) for where, text in self.seen for word in PERSONAL
                if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", text, re.IGNORECASE)]


def post_public(client, session_id, **fields):
    page = client.get(f"/register/{session_id}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"/register/{session_id}", data={"csrf_token": token, "joins_by": "video", **fields})


def test_the_public_registration_cookie_holds_an_opaque_handle_only(client, db, clock):
    session_id = make_session(db, clock)
    watch = CookieWatch()
    answer = watch(post_public(client, session_id, first_name="Ada", email="ada@example.org",
                               phone="07700 900123", joins_by="phone"), "register")
    assert answer.status_code == 303
    (where, text), = watch.seen
    cookie = json.loads(text)
    assert watch.personal() == []
    assert set(cookie) == {"csrf_token", "registered"}
    mark = cookie["registered"]  # the session's id (it is in the page's address anyway) and a random handle
    assert set(mark) == {"session_id", "handle"} and mark["session_id"] == session_id
    assert isinstance(mark["handle"], str) and len(mark["handle"]) >= 32
    # The page still thanks them by the name they typed and shows the address they typed.
    page = client.get(answer.headers["Location"]).data.decode()
    assert "Thank you, Ada" in page and "ada@example.org" in page and "participant ID" in page


def test_the_confirmation_page_forgets_what_was_typed_after_half_an_hour(client, db, clock):
    session_id = make_session(db, clock)
    answer = post_public(client, session_id, first_name="Ada", email="ada@example.org")
    clock.advance(minutes=31)
    page = client.get(answer.headers["Location"]).data.decode()
    assert "You are registered" in page and "Ada" not in page and "ada@example.org" not in page


def test_the_confirmation_page_never_shows_what_is_stored_about_someone(client, app, db, clock):
    """A stranger who types Ada's email is thanked by the name the stranger typed: the page tells
    them nothing we hold about Ada."""
    first, second = make_session(db, clock), make_session(db, clock, title="Another")
    post_public(client, first, first_name="Ada", email="ada@example.org", phone="07700 900123", joins_by="phone")
    stranger = app.test_client()
    answer = post_public(stranger, second, first_name="Mallory", email="ada@example.org")
    page = stranger.get(answer.headers["Location"]).data.decode()
    assert "Thank you, Mallory" in page and "Ada" not in page and "900123" not in page


def test_no_page_puts_personal_data_in_a_cookie(app, db, clock, staff_person, staff_headers):
    """Staff sign in, make and cancel registrations, match a guest; the public registers and
    confirms new details: no cookie along the way carries a name, an email or a phone number."""
    client = app.test_client()
    watch = CookieWatch()
    ids = held_session(db, clock.now())
    # With the stand-in the sign-in names who signs in (a login hint): OAuth's state is kept server-side.
    watch(client.get("/staff/sign-in/zoom?login_hint=sam@example.org"), "sign-in with a hint")
    signed_in = watch(sign_in_through_zoom(client, zoom_user()), "sign-in")
    assert signed_in.status_code == 302
    watch(client.get(signed_in.headers["Location"]), "after sign-in")
    sid = make_session(db, clock, title="Open one")
    added = watch(client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": csrf_token_of(client, f"/staff/sessions/{sid}"), "first_name": "Ada Lovelace",
        "email": "ada@example.org", "phone": "07700 900123", "joins_by": "video"}), "staff registers")
    assert added.status_code == 303
    watch(client.get(added.headers["Location"]), "session page")
    with db() as s:
        registration_id = s.scalar(select(Registration.id).where(Registration.session_id == sid))
    cancelled = watch(client.post(f"/staff/sessions/{sid}/registrations/{registration_id}/cancel", data={
        "csrf_token": csrf_token_of(client, f"/staff/sessions/{sid}")}), "staff cancels")
    watch(client.get(cancelled.headers["Location"]), "session page")
    again = watch(client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": csrf_token_of(client, f"/staff/sessions/{sid}"), "first_name": "Ada",
        "email": "ada@example.org", "joins_by": "video"}), "staff registers again")
    watch(client.get(again.headers["Location"]), "session page")
    refused = watch(client.post(f"/staff/sessions/{sid}/registrations", data={
        "csrf_token": csrf_token_of(client, f"/staff/sessions/{sid}"), "first_name": "Ada",
        "email": "ada@example.org", "joins_by": "video"}), "already registered")
    assert refused.status_code == 409
    matched = watch(client.post(f"/staff/sessions/{ids['session_id']}/participants/{ids['guest_participant']}/match",
                                data={"csrf_token": csrf_token_of(client, f"/staff/sessions/{ids['session_id']}"),
                                      "person_id": ids["bo"]}), "match")
    watch(client.get(matched.headers["Location"]), "session page")

    public = app.test_client()
    answer = watch(post_public(public, sid, first_name="Bo", email="bo@example.org", phone="07700 900456"),
                   "public registers")
    watch(public.get(answer.headers["Location"]), "public confirmation")
    watch(client.post("/staff/sign-out", data={"csrf_token": csrf_token_of(client)}), "sign-out")

    assert len(watch.seen) >= 8
    assert watch.personal() == []


@pytest.mark.parametrize("value, expected", [
    ('eyJhIjoiQWRhIn0.Z0Nq4A.sig', '{"a":"Ada"}'),
    ('.eJyrVkpUslJyTElUqgUAEjwDIg.Z0Nq4A.sig', '{"a":"Ada"}'),
])
def test_the_cookie_reader_reads_plain_and_compressed_cookies(value, expected):
    """The check above reads cookies as an attacker would, in both of Flask's forms."""
    assert readable(value).replace(" ", "") == expected
