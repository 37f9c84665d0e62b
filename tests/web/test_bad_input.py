"""Bad input never becomes a 500, on every route at once (issue 13, item 11).

The routes are read from the app's own URL map, so a route added later is probed too: ids too
large for any database column in every path, numbers and text no database can hold in every
JSON body, huge or malformed numbers in query strings and forms, CR/LF in redirect targets,
`inf`/`1e309` typed as an amount, and a chunked webhook body over 1 MiB.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests.sample_session import add_held_session, add_person, join, register
from tests.web.conftest import csrf_token_of, sign_in_through_zoom, zoom_user
from zoombridge.store.models import AuditEntry, PaymentDecision

HUGE_IDS = ("9223372036854775808", "99999999999999999999999999999999", "1" * 5000)
BODY_METHODS = ("POST", "PUT", "PATCH")
NOT_JSON = {"/api/v1/sessions/<int:session_id>/registrations/import"}  # a CSV upload: tested below


@pytest.fixture
def rows(db):
    """One of everything, so that routes reach their body checks rather than stopping at a 404."""
    with db() as s:
        session = add_held_session(s, meeting_uuid="bad-input")
        ann = add_person(s, "Ann")
        register(s, session, ann)
        join(s, session, ann, segments=((0, 120),))
        return {"session": session.id, "person": ann.id}


def _rules(app, prefix: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            yield rule


def _url(rule, value: str) -> str:
    return re.sub(r"<int:\w+>", value, rule.rule)


def test_every_api_route_answers_an_id_too_large_for_a_database_with_404_naming_it(app, client, staff_headers, rows):
    probed = 0
    for rule in _rules(app, "/api/"):
        if "<int:" not in rule.rule:
            continue
        names = re.findall(r"<int:(\w+)>", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for huge in HUGE_IDS:
                response = client.open(_url(rule, huge), method=method, headers=staff_headers, json={})
                assert response.status_code == 404, (rule.rule, method, response.get_data(as_text=True)[:200])
                assert response.get_json()["error"]["field"] in names
                probed += 1
    assert probed > 60


def test_every_page_with_an_id_answers_one_too_large_with_a_404_page(app, client, staff_person, rows):
    assert sign_in_through_zoom(client, zoom_user()).status_code == 302
    token = csrf_token_of(client)
    probed = 0
    for rule in list(_rules(app, "/staff")) + list(_rules(app, "/register")):
        if "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule, HUGE_IDS[0]), method=method, data={"csrf_token": token})
            assert response.status_code == 404, (rule.rule, method)
            assert response.mimetype == "text/html"
            probed += 1
    assert probed >= 10


NOT_STORABLE = [
    ("[" * 100_000 + "]" * 100_000, "body"),
    ('{"title": 1e309}', "title"),
    ('{"title": -Infinity}', "title"),
    ('{"title": NaN}', "title"),
    ('{"person_id": 99999999999999999999999}', "person_id"),
    ('{"overrides": {"breakouts": {"room_size": 18446744073709551616}}}', "overrides.breakouts.room_size"),
    ('{"title": "nul \\u0000 inside"}', "title"),
    ('{"title": "half a pair \\ud800"}', "title"),
    ('{"keep_together": [[1, 2], [3, 99999999999999999999]]}', "keep_together.1.1"),
]


@pytest.mark.parametrize("body, field", NOT_STORABLE, ids=[f for _, f in NOT_STORABLE])
def test_every_json_body_refuses_what_a_database_cannot_hold_naming_the_field(app, client, staff_headers, rows, db,
                                                                              body, field):
    def audit_lines():
        with db() as s:
            return s.scalar(select(func.count()).select_from(AuditEntry))

    probed = 0
    for rule in _rules(app, "/api/"):
        if rule.rule in NOT_JSON:
            continue
        for method in sorted(rule.methods & set(BODY_METHODS)):
            url = rule.rule.replace("<int:session_id>", str(rows["session"])).replace(
                "<int:person_id>", str(rows["person"]))
            url = re.sub(r"<int:\w+>", "1", url)
            before = audit_lines()
            response = client.open(url, method=method, data=body, content_type="application/json",
                                   headers=staff_headers)
            assert response.status_code < 500, (rule.rule, method)
            if response.status_code == 400:
                assert response.get_json()["error"]["field"] == field, (rule.rule, method, response.get_json())
                assert audit_lines() == before, (rule.rule, method)  # refused: nothing written
                probed += 1
    assert probed >= 10


def test_the_webhook_refuses_a_body_no_database_can_hold_naming_the_field(client, clock):
    from tests.conftest import WEBHOOK_SECRET
    from zoombridge.zoom.signature import signed_headers

    raw = json.dumps({"event": "meeting.started", "payload": {"object": {"topic": "x\u0000y"}}}).encode()
    response = client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()),
                           content_type="application/json")
    assert (response.status_code, response.get_json()["error"]["field"]) == (400, "payload.object.topic")


@pytest.mark.parametrize("query, field", [
    ("/api/v1/audit?before_id=9223372036854775808", "before_id"),
    ("/api/v1/audit?before_id=" + "9" * 5000, "before_id"),
    ("/api/v1/audit?before_id=-1", "before_id"),
    ("/api/v1/audit?limit=1e3", "limit"),
    ("/api/v1/audit?subject_id=%00", "subject_id"),
    ("/api/v1/people/{person}/statement?session_id=99999999999999999999", "session_id"),
    ("/api/v1/sessions/{session}/breakout-plan?plan=99999999999999999999", "plan"),
    ("/api/v1/sessions/{session}/breakout-plan?plan=%D9%A3", "plan"),
])
def test_query_numbers_out_of_range_or_malformed_are_refused_naming_the_parameter(client, staff_headers, rows, query,
                                                                                  field):
    response = client.get(query.format(**rows), headers=staff_headers)
    assert (response.status_code, response.get_json()["error"]["field"]) == (400, field)


@pytest.mark.parametrize("next_path", ["/staff/sessions%0D%0ASet-Cookie:%20x=1", "/staff/%0Aevil", "//evil.example/staff",
                                       "/staff\\..\\x", "https://evil.example/staff"])
def test_a_redirect_target_with_line_breaks_or_another_site_goes_to_the_staff_home(client, staff_person, next_path):
    response = sign_in_through_zoom(client, zoom_user(), next_path=next_path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/sessions"
    again = client.get(f"/staff/sign-in?next={next_path}")
    assert (again.status_code, again.headers["Location"]) == (302, "/staff/sessions")


@pytest.mark.parametrize("amount", ["inf", "1e309", "nan", "-1", "12.345", "1e3", "£1,000.001", "1000.01", "٣"])
def test_an_amount_typed_on_the_payments_page_that_is_not_pounds_and_pence_is_refused(staff_client, db, rows,
                                                                                       amount):
    staff_client.post(f"/staff/sessions/{rows['session']}/payments/recompute",
                      data={"csrf_token": csrf_token_of(staff_client, f"/staff/sessions/{rows['session']}")})
    with db() as s:
        decision = s.scalar(select(PaymentDecision).where(PaymentDecision.person_id == rows["person"]))
    token = csrf_token_of(staff_client, "/staff/payments")
    response = staff_client.post(f"/staff/payments/{decision.id}", data={
        "csrf_token": token, "action": "adjust", "amount": amount, "reason": "checked", "back": "/staff/payments"})
    assert response.status_code == 400
    assert "Amount:" in response.get_data(as_text=True)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(PaymentDecision)) == 1


def test_a_form_value_holding_nul_is_refused_on_a_page(staff_client, db, rows):
    with db() as s:
        decision_count = s.scalar(select(func.count()).select_from(PaymentDecision))
    token = csrf_token_of(staff_client, "/staff/payments")
    response = staff_client.post(f"/staff/sessions/{rows['session']}/payments/recompute",
                                 data={"csrf_token": token, "note": "a\x00b"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    with db() as s:
        assert s.scalar(select(func.count()).select_from(PaymentDecision)) == decision_count


CHUNKED = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}  # as a server hands on a chunked body


def test_a_chunked_webhook_body_over_a_mebibyte_is_413_not_401(client):
    big = io.BytesIO(b'{"event": "x", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    response = client.post("/zoom/webhook", input_stream=big, headers={"Transfer-Encoding": "chunked"},
                           content_type="application/json", environ_overrides=CHUNKED)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    small = io.BytesIO(b'{"event": "x"}')
    unsigned = client.post("/zoom/webhook", input_stream=small, headers={"Transfer-Encoding": "chunked"},
                           content_type="application/json", environ_overrides=CHUNKED)
    assert unsigned.status_code == 401  # a small chunked body still reaches the signature check


def test_a_registration_import_the_csv_module_cannot_read_is_refused_naming_the_file(client, staff_headers, rows):
    response = client.post(f"/api/v1/sessions/{rows['session']}/registrations/import", headers=staff_headers,
                           data="first_name,email\n" + "x" * 200_000 + ",a@example.org\n", content_type="text/csv")
    assert (response.status_code, response.get_json()["error"]["field"]) == (400, "file")


def test_leading_zeros_do_not_make_an_id_too_large(client, staff_headers, rows):
    padded = "0" * 30 + str(rows["session"])
    response = client.get(f"/api/v1/sessions/{padded}", headers=staff_headers)
    assert (response.status_code, response.get_json()["id"]) == (200, rows["session"])
    assert client.get(f"/api/v1/audit?before_id={'0' * 30}5", headers=staff_headers).status_code == 200
