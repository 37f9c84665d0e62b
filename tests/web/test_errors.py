"""The one error handler: refusals by kind, and a 500 that is logged in full but says nothing."""

from __future__ import annotations

import logging

import pytest

from zoombridge.refusals import Refused


@pytest.fixture
def failing_app(app):
    """The test app with two extra routes: one refuses, one breaks with personal data in its error."""

    @app.get("/api/v1/_refuse/<kind>")
    def refuse(kind):
        raise Refused("thing", f"That {kind} thing cannot be done.", kind)

    @app.get("/api/v1/_break")
    def breaks():
        secret_details = {"email": "sam.jones@example.org", "phone": "07700 900123"}  # a local: never logged
        raise RuntimeError(f"could not send to {secret_details['email']} via https://zoom.us/w/123?tk=abc")

    @app.get("/staff/_break")
    def page_breaks():
        raise RuntimeError("page broke")

    return app


@pytest.mark.parametrize(("kind", "status"), [("invalid", 400), ("not_found", 404), ("conflict", 409)])
def test_a_refusal_answers_json_with_the_status_of_its_kind(failing_app, staff_headers, kind, status):
    response = failing_app.test_client().get(f"/api/v1/_refuse/{kind}", headers=staff_headers)
    assert response.status_code == status
    assert response.get_json() == {"error": {"code": kind, "message": f"That {kind} thing cannot be done.",
                                             "field": "thing"}}


def test_an_unexpected_error_is_a_500_logged_at_error_with_a_scrubbed_traceback(failing_app, staff_headers, caplog):
    caplog.set_level(logging.ERROR, logger="zoombridge.web.errors")
    response = failing_app.test_client().get("/api/v1/_break", headers=staff_headers)

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "Traceback" not in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "event=unhandled_error" in logged and "error=RuntimeError" in logged
    assert "Traceback (most recent call last)" in logged and "in breaks" in logged  # where it broke
    assert "RuntimeError: could not send to s***@e*** via https://zoom.us/***" in logged
    assert "sam.jones@example.org" not in logged and "tk=abc" not in logged
    assert "07700 900123" not in logged  # the local holding it is not printed


def test_an_unexpected_error_on_a_page_is_a_plain_500_page(failing_app, caplog):
    caplog.set_level(logging.ERROR, logger="zoombridge.web.errors")
    response = failing_app.test_client().get("/staff/_break")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == "Something went wrong on our side; nothing was saved."
    assert any("page broke" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


def test_a_method_the_route_does_not_have_is_405_json_that_lists_the_allowed_ones(client, staff_headers):
    """The JSON error kept the `Allow` header off (found by schemathesis' allow-header check)."""
    response = client.open("/api/v1/audit", method="TRACE", headers=staff_headers)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
