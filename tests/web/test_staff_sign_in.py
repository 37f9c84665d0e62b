from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import csrf_token_of, sign_in_through_zoom, zoom_user
from zoombridge.app import create_app


def test_staff_pages_send_a_stranger_to_sign_in_and_remember_where_they_were_going(client):
    response = client.get("/staff/sessions")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/sign-in?next=/staff/sessions"


def test_sign_in_starts_zoom_user_oauth_with_pkce_and_our_callback(client, settings):
    response = client.get("/staff/sign-in/zoom")
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://zoom.us/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{settings.public_base_url}/staff/sign-in/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]


def test_a_staff_member_signs_in_with_zoom_and_lands_where_they_were_going(client, staff_person):
    response = sign_in_through_zoom(client, zoom_user(email="SAM@example.org"), next_path="/staff/payments")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/payments"
    page = client.get("/staff/payments")
    assert page.status_code == 200
    assert b"Sam" in page.data and b"Sign out" in page.data


def test_a_zoom_user_not_on_the_staff_list_is_refused(client, staff_person):
    response = sign_in_through_zoom(client, zoom_user(email="someone@example.org"))
    assert response.status_code == 403
    assert b"someone@example.org is not on the staff list" in response.data
    assert client.get("/staff/sessions").status_code == 302


def test_a_staff_email_from_another_zoom_account_is_refused(settings, clock, redis_conn, staff_person, db):
    app = create_app(settings.with_changes(zoom_account_id="acct-1"), clock=clock)
    client = app.test_client()
    refused = sign_in_through_zoom(client, zoom_user(account_id="someone-elses-account"))
    assert refused.status_code == 403 and b"does not belong to the organisation" in refused.data
    accepted = sign_in_through_zoom(client, zoom_user(account_id="acct-1"))
    assert accepted.status_code == 302
    app.extensions["zoombridge.db"].dispose()


def test_a_tampered_state_is_refused_without_calling_users_me(client, staff_person):
    client.get("/staff/sign-in/zoom")
    response = client.get("/staff/sign-in/callback?code=x&state=forged")
    assert response.status_code == 400
    assert b"Zoom did not confirm who you are" in response.data
    assert client.get("/staff/sessions").status_code == 302


def test_cancelling_in_zoom_shows_a_way_back(client):
    response = client.get("/staff/sign-in/callback?error=access_denied")
    assert response.status_code == 400 and b"cancelled" in response.data


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/api/v1/whoami"])
def test_sign_in_never_redirects_off_the_staff_pages(client, staff_person, next_path):
    response = sign_in_through_zoom(client, zoom_user(), next_path=next_path)
    assert response.headers["Location"] == "/staff/sessions"


def test_the_session_cookie_is_httponly_and_lax(staff_client):
    cookie = staff_client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_in_production_the_session_cookie_is_also_secure(settings, clock, redis_conn):
    production = settings.with_changes(
        env="production", zoom_account_id="a", zoom_client_id="c", zoom_client_secret="s",
        smtp_url="smtp://mail:25", public_base_url="https://sessions.example.org")
    app = create_app(production, clock=clock)
    set_cookie = app.test_client().get("/staff/sign-in/zoom").headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    app.extensions["zoombridge.db"].dispose()


def test_sign_out_ends_the_sign_in_on_the_server_too(staff_client, redis_conn):
    with staff_client.session_transaction() as session:
        stolen_cookie_value = dict(session)
    response = staff_client.post("/staff/sign-out", data={"csrf_token": csrf_token_of(staff_client)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sign-in"
    assert staff_client.get("/staff/sessions").status_code == 302
    # Replaying the old cookie contents does not bring the sign-in back.
    with staff_client.session_transaction() as session:
        session.update(stolen_cookie_value)
    assert staff_client.get("/staff/sessions").status_code == 302


def test_a_sign_in_ends_after_twelve_hours_by_the_services_clock(staff_client, clock):
    clock.advance(hours=11, minutes=59)
    assert staff_client.get("/staff/sessions").status_code == 200
    clock.advance(minutes=1)
    response = staff_client.get("/staff/sessions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in")


def test_sign_out_without_the_csrf_token_is_refused(staff_client):
    response = staff_client.post("/staff/sign-out")
    assert response.status_code == 400
    assert b"This form has expired" in response.data
    assert staff_client.get("/staff/sessions").status_code == 200
