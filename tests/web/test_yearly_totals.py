"""Yearly totals in the UK tax year: on the statement (income apart from gifts to charity and from
expenses), and for staff before they approve a payment that would take someone's income from us
over the configured threshold (`tax_year_income_threshold_pence`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import add_person, add_session, register
from tests.web.conftest import csrf_token_of
from zoombridge.store.models import CostClaim, PaymentDecision, Person


def paid(s, person, starts_at, amount, status="approved", method="cash", payee=None, title=None):
    """A session and a current decision for it (how decisions are made is tested elsewhere)."""
    session = add_session(s, starts_at=starts_at, title=title, held_for=120)
    decision = PaymentDecision(session_id=session.id, person_id=person.id, version=1, is_current=True,
                               rule_version="test", eligible=True, amount_pence=amount, reason="Attended.",
                               status=status, created_at=starts_at,
                               inputs={"attended_seconds": 7200,
                                       "outcome": {"method": method, "payee": payee, "amount_pence": amount}})
    s.add(decision)
    s.flush()
    return session, decision


@pytest.fixture
def ann_this_year(db):
    """Ann's year: £50 and £20 this tax year, £50 given to charity, £50 last tax year, £4.50 of bus fare."""
    with db() as s:
        ann = add_person(s, "Ann")
        november, _ = paid(s, ann, datetime(2026, 11, 20, 10, tzinfo=UTC), 5000, status="exported", title="November")
        paid(s, ann, datetime(2026, 5, 10, 10, tzinfo=UTC), 2000, title="May")
        paid(s, ann, datetime(2026, 6, 1, 10, tzinfo=UTC), 5000, method="charity", payee="Mind", title="June")
        paid(s, ann, datetime(2026, 4, 5, 18, tzinfo=UTC), 5000, status="exported", title="Last tax year")
        paid(s, ann, datetime(2026, 10, 1, 10, tzinfo=UTC), 5000, status="proposed", title="Not reviewed yet")
        s.add(CostClaim(session_id=november.id, person_id=ann.id, amount_pence=450, what_for="bus fare",
                        status="approved", created_by="staff", created_at=datetime(2026, 11, 21, tzinfo=UTC)))
        return ann.id


def test_the_statement_keeps_income_gifts_to_charity_and_expenses_apart_and_totals_this_tax_year(
        client, staff_headers, ann_this_year):
    answer = client.get(f"/api/v1/people/{ann_this_year}/statement", headers=staff_headers).get_json()
    assert answer["totals"] == {"income_pence": 12000, "charity_pence": 5000, "expenses_pence": 450,
                                "tax_year": "2026-27", "tax_year_income_pence": 7000}
    text = " ".join(answer["text"].split())
    assert "Paid for your time at these sessions (this is income): £120.00." in text
    assert "Given to charities you named (not your income): £50.00." in text
    assert "Costs paid back (not income): £4.50." in text
    assert "Your income from us in this tax year (6 April 2026 to 5 April 2027) so far: £70.00." in text
    assert "Phone, data and travel costs paid back (not income): £4.50 for bus fare: approved." in text
    assert "to Mind, as you asked" in text


def test_staff_see_who_a_payment_would_take_over_the_threshold_before_approving(app, db, client, staff_headers,
                                                                             ann_this_year, staff_client):
    app.config["ZOOMBRIDGE_SETTINGS"] = app.config["ZOOMBRIDGE_SETTINGS"].with_changes(
        tax_year_income_threshold_pence=10000)
    with db() as s:
        ann = s.get(Person, ann_this_year)
        bo = add_person(s, "Bo")
        session = add_session(s, starts_at=datetime(2026, 11, 17, 10, tzinfo=UTC), title="Shaping", held_for=120)
        for person in (ann, bo):
            register(s, session, person)
            s.add(PaymentDecision(session_id=session.id, person_id=person.id, version=1, is_current=True,
                                  rule_version="test", eligible=True, amount_pence=5000, reason="Attended.",
                                  status="proposed", created_at=session.starts_at,
                                  inputs={"outcome": {"method": "cash", "amount_pence": 5000}}))
        session_id, bo_id = session.id, bo.id

    payments = {p["person_id"]: p for p in client.get(f"/api/v1/sessions/{session_id}/payments",
                                                      headers=staff_headers).get_json()["payments"]}
    assert payments[ann_this_year]["tax_year"] == {"tax_year": "2026-27", "income_with_this_pence": 12000,
                                                   "threshold_pence": 10000, "over_threshold": True}
    assert payments[bo_id]["tax_year"]["over_threshold"] is False

    page = " ".join(staff_client.get(f"/staff/sessions/{session_id}").get_data(as_text=True).split())
    assert "Tax year 2026-27: £120.00 with this payment, over the £100.00 threshold" in page
    assert "Tax year 2026-27: £50.00 with this payment</span>" in page
    assert "over the £100.00 threshold" in " ".join(staff_client.get("/staff/payments").get_data(as_text=True).split())

    # Approving it does not count it twice.
    token = csrf_token_of(staff_client, f"/staff/sessions/{session_id}")
    staff_client.post(f"/staff/payments/{payments[ann_this_year]['id']}", data={"action": "approve", "csrf_token": token})
    after = {p["person_id"]: p for p in client.get(f"/api/v1/sessions/{session_id}/payments",
                                                   headers=staff_headers).get_json()["payments"]}
    assert after[ann_this_year]["status"] == "approved"
    assert after[ann_this_year]["tax_year"]["income_with_this_pence"] == 12000
