"""Yearly totals in the UK tax year: on the statement (income apart from gifts to charity and from
expenses), and for staff before they approve a payment that would take someone's income from us
over the configured threshold (`tax_year_income_threshold_pence`). Every one of them is the same
figure: what the ledger paid plus what a reviewed decision waiting for the export will move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import add_person, add_session, register
from tests.sample_session import add_held_session, join
from tests.web.conftest import csrf_token_of
from zoombridge.store.models import CostClaim, LedgerLine, PaymentDecision, Person


def paid(s, person, starts_at, amount, status="approved", method="cash", payee=None, title=None):
    """A session and a current decision for it, and for an exported one the ledger line its export
    wrote (how decisions are made and exported is tested elsewhere)."""
    session = add_session(s, starts_at=starts_at, title=title, held_for=120)
    exported_at = starts_at + timedelta(days=1) if status == "exported" else None
    decision = PaymentDecision(session_id=session.id, person_id=person.id, version=1, is_current=True,
                               rule_version="test", eligible=True, amount_pence=amount, reason="Attended.",
                               status=status, created_at=starts_at, exported_at=exported_at,
                               inputs={"attended_seconds": 7200,
                                       "outcome": {"method": method, "payee": payee, "amount_pence": amount}})
    s.add(decision)
    s.flush()
    if exported_at is not None:
        s.add(LedgerLine(session_id=session.id, person_id=person.id, decision_id=decision.id, decision_version=1,
                         kind="payment", amount_pence=amount, due_pence=amount, paid_before_pence=0, method=method,
                         payee=payee, policy_pence=amount, reason="Attended.", batch="test", exported_at=exported_at,
                         exported_by="staff"))
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


# --- one figure, from the ledger and what waits for the export --------------------------------

@pytest.fixture
def ann_paid_every_way(db, client, staff_headers):
    """Ann's sessions this tax year (each £50 in full), each at a different point of payment:

    paid      approved and exported                                  counts £50
    waiting   approved, not exported yet                             counts £50
    raised    exported at £50, then adjusted to £60 (not exported)   counts £60, not £110 nor £50
    moved     exported at £50, then her claim changed to a voucher,
              so a new version waits for review                      counts the £50 paid
    taken     exported at £50, then rejected (not exported)          counts nothing
    declined  she declined payment                                   counts nothing
    new       attended, not reviewed yet                             counts nothing (yet)
    and £4.50 of bus fare paid back (an expense, not income).
    """
    with db() as s:
        ann = add_person(s, "Ann")
        ids = {"ann": ann.id}
        for name in ("paid", "waiting", "raised", "moved", "taken", "declined", "new"):
            session = add_held_session(s, meeting_uuid=f"{name}==", title=name.title())
            register(s, session, ann)
            join(s, session, ann, segments=((0, 120),))
            ids[name] = session.id

    def call(method, path, **body):
        answer = getattr(client, method)(f"/api/v1{path}", headers=staff_headers, json=body or None)
        assert answer.status_code < 300, (path, answer.get_data(as_text=True))
        return answer.get_json() if answer.is_json else answer

    def decision(name):
        (payment,) = call("get", f"/sessions/{ids[name]}/payments")["payments"]
        return payment

    call("put", f"/sessions/{ids['declined']}/claims/{ann.id}", payment_choice="declined")
    for name in ("paid", "waiting", "raised", "moved", "taken", "new"):
        call("post", f"/sessions/{ids[name]}/attendance/recompute")
    for name in ("paid", "raised", "moved", "taken"):
        call("patch", f"/payments/{decision(name)['id']}", action="approve")
    call("post", "/payments/export")
    call("patch", f"/payments/{decision('waiting')['id']}", action="approve")
    call("patch", f"/payments/{decision('raised')['id']}", action="adjust", amount_pence=6000, reason="prepared too")
    call("put", f"/sessions/{ids['moved']}/claims/{ann.id}", payment_choice="voucher")
    call("patch", f"/payments/{decision('taken')['id']}", action="reject", reason="counted twice")
    made = call("post", f"/sessions/{ids['paid']}/cost-claims", person_id=ann.id, amount_pence=450,
                what_for="bus fare")
    call("patch", f"/cost-claims/{made['cost_claim']['id']}", action="approve")
    assert [decision(name)["status"] for name in ("paid", "waiting", "raised", "moved", "taken", "declined", "new")] \
        == ["exported", "approved", "approved", "needs_review", "rejected", "proposed", "proposed"]
    ids["decisions"] = {name: decision(name) for name in ("waiting", "moved", "new")}
    return ids


def test_income_is_what_was_paid_plus_what_waits_for_the_export_each_counted_once_everywhere(
        app, client, staff_headers, staff_client, ann_paid_every_way):
    ids = ann_paid_every_way
    app.config["ZOOMBRIDGE_SETTINGS"] = app.config["ZOOMBRIDGE_SETTINGS"].with_changes(
        tax_year_income_threshold_pence=22000)
    income = 5000 + 5000 + 6000 + 5000  # paid, waiting, raised, moved; nothing for taken, declined, new

    statement = client.get(f"/api/v1/people/{ids['ann']}/statement", headers=staff_headers).get_json()
    assert statement["totals"] == {"income_pence": income, "charity_pence": 0, "expenses_pence": 450,
                                   "tax_year": "2026-27", "tax_year_income_pence": income}

    page = " ".join(staff_client.get(f"/staff/people/{ids['ann']}").get_data(as_text=True).split())
    assert "Income from us in tax year 2026-27 (6 April 2026 to 5 April 2027) so far: <strong>£210.00</strong>" in page

    def check(name):
        (payment,) = client.get(f"/api/v1/sessions/{ids[name]}/payments", headers=staff_headers).get_json()["payments"]
        return payment["tax_year"]["income_with_this_pence"], payment["tax_year"]["over_threshold"]

    assert check("new") == (income + 5000, True)  # the one payment not yet in the figure
    assert check("waiting") == (income, False)  # approved already: not counted a second time
    assert check("moved") == (income, False)  # the same £50 as a voucher: paid already
