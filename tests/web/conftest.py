"""Fixtures for the HTML side: a staff member, and a test client signed in through Zoom OAuth.

Zoom's token and `/users/me` endpoints are answered with `responses`; the authorize step is
only a redirect, so the test follows it by hand with the `state` it carries.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from zoombridge import staff_members

ZOOM_OAUTH = "https://zoom.us/oauth"
ZOOM_API = "https://api.zoom.us/v2"


def zoom_user(email: str = "sam@example.org", account_id: str = "acct-1", status: str = "active") -> dict:
    return {"id": "zu-123", "email": email, "account_id": account_id, "status": status,
            "first_name": "Sam", "last_name": "Staff"}


def sign_in_through_zoom(client, user: dict, next_path: str | None = None):
    """Walk the OAuth dance with Zoom's side mocked; returns the callback's response."""
    start = client.get("/staff/sign-in/zoom" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    with responses.RequestsMock() as zoom:
        zoom.post(f"{ZOOM_OAUTH}/token", json={"access_token": "user-token", "token_type": "bearer",
                                                "expires_in": 3600, "refresh_token": "r"})
        zoom.get(f"{ZOOM_API}/users/me", json=user)
        return client.get(f"/staff/sign-in/callback?code=the-code&state={query['state'][0]}")


def csrf_token_of(client, page: str = "/staff/sessions") -> str:
    """The CSRF token a form on `page` carries (loading the page makes it)."""
    client.get(page)
    with client.session_transaction() as session:
        return session.get("csrf_token", "")


@pytest.fixture
def staff_person(app, db):
    with app.app_context(), db() as s:
        person = staff_members.add(s, "Sam@Example.org", "Sam", app.extensions["zoombridge.clock"].now())
        return {"id": person.id, "email": person.email}


@pytest.fixture
def staff_client(client, staff_person):
    response = sign_in_through_zoom(client, zoom_user())
    assert response.status_code == 302, response.data
    return client
