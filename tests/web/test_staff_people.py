"""The staff person page: a person's sessions, attendance, payments and claims under their first
name, with their data export and erasure going through the same service as the API."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.builders import add_session, register
from tests.people.conftest import BO_TRACES, build_held
from tests.web.conftest import csrf_token_of
from zoombridge.store.models import AuditEntry, Person


def page_text(answer) -> str:
    return " ".join(answer.get_data(as_text=True).split())


def test_the_person_page_shows_sessions_attendance_payments_and_claims_by_first_name(
        staff_client, db, client, staff_headers, clock, run_jobs):
    held = build_held(db, staff_client, staff_headers, clock, run_jobs)
    answer = staff_client.get(f"/staff/people/{held.ann}")
    assert answer.status_code == 200
    text = page_text(answer)
    assert "<h1>Ann</h1>" in text
    assert "Shaping our website" in text and ">120<" in text  # the session, the minutes attended
    assert "£50.00" in text and "exported" in text  # the payment
    assert "mobile data" in text and "£3.50" in text  # the cost claim
    assert "Wants to be paid: paid in full, confirmed" in text
    assert "Income from us in tax year 2026-27 (6 April 2026 to 5 April 2027) so far: <strong>£50.00</strong>" in text
    assert "Ann lip-reads" in text
    assert "<dt>Phone</dt><dd>07700 900461</dd>" in text, "stored as E.164, shown as people write it"
    assert "Ann Example" not in text, "the name people see is their first name, not Zoom's display name"
    assert [trace for trace in BO_TRACES if trace in text] == []
    assert f'href="/staff/people/{held.ann}/export.json"' in text
    assert f'href="/staff/people/{held.ann}/erase"' in text
    session_page = page_text(staff_client.get(f"/staff/sessions/{held.session_id}"))
    assert f'<a href="/staff/people/{held.ann}">Ann</a>' in session_page


def test_the_export_link_downloads_the_same_export_as_the_api_audited_as_the_signed_in_staff_member(
        staff_client, staff_person, db, staff_headers, clock, run_jobs):
    held = build_held(db, staff_client, staff_headers, clock, run_jobs)
    download = staff_client.get(f"/staff/people/{held.ann}/export.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f'attachment; filename="person-{held.ann}.json"'
    assert download.headers["Cache-Control"] == "no-store"
    from_page = json.loads(download.get_data(as_text=True))
    from_api = staff_client.get(f"/api/v1/people/{held.ann}/export", headers=staff_headers).get_json()
    assert {k: v for k, v in from_page.items() if k != "audit"} == {k: v for k, v in from_api.items() if k != "audit"}
    with db() as s:
        actors = list(s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "person.exported")
                                .order_by(AuditEntry.id)))
    assert actors == [staff_person["email"], "Test Staff"]


def test_erasing_from_the_page_asks_first_then_erases_and_says_so(staff_client, staff_person, db, staff_headers,
                                                                  clock, run_jobs):
    held = build_held(db, staff_client, staff_headers, clock, run_jobs)
    confirm = staff_client.get(f"/staff/people/{held.ann}/erase")
    assert confirm.status_code == 200
    assert "What is kept, and why" in page_text(confirm)

    token = csrf_token_of(staff_client, f"/staff/people/{held.ann}/erase")
    without_token = staff_client.post(f"/staff/people/{held.ann}/erase", data={"reason": "asked"})
    assert without_token.status_code == 400
    with db() as s:
        assert s.get(Person, held.ann).erased_at is None

    done = staff_client.post(f"/staff/people/{held.ann}/erase", data={"reason": "asked by phone",
                                                                       "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/people/{held.ann}"
    after = page_text(staff_client.get(done.headers["Location"]))
    assert "<h1>(erased)</h1>" in after and "Their details were erased" in after
    assert "ann@example.org" not in after and "£50.00" in after
    with db() as s:
        line = s.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        assert (line.actor, line.details["reason"]) == (staff_person["email"], "asked by phone")


def test_the_erase_page_says_what_to_do_first_and_offers_no_button_while_it_is_not_possible(
        staff_client, db, staff_headers, clock, run_jobs):
    held = build_held(db, staff_client, staff_headers, clock, run_jobs)
    with db() as s:
        later = add_session(s, title="Next month", starts_at=clock.now() + timedelta(days=30))
        register(s, later, s.get(Person, held.ann), None)
    page = page_text(staff_client.get(f"/staff/people/{held.ann}/erase"))
    assert "Not possible yet" in page and "Next month" in page and "Cancel it first" in page
    assert 'type="submit" class="warning"' not in page
    assert "(not possible yet: 1 thing to do first)" in page_text(staff_client.get(f"/staff/people/{held.ann}"))

    token = csrf_token_of(staff_client, f"/staff/people/{held.ann}/erase")
    refused = staff_client.post(f"/staff/people/{held.ann}/erase", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "There is a problem" in page_text(refused)
    with db() as s:
        assert s.get(Person, held.ann).erased_at is None


def test_a_person_page_for_no_one_is_a_404_page(staff_client):
    answer = staff_client.get("/staff/people/999")
    assert answer.status_code == 404 and "There is no person 999." in page_text(answer)


def test_the_person_pages_need_a_staff_sign_in(client, db, staff_headers, clock, run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs)
    for path in (f"/staff/people/{held.ann}", f"/staff/people/{held.ann}/export.json",
                 f"/staff/people/{held.ann}/erase"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/sign-in"), path

