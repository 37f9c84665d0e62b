"""Payment choices per person and session: paid in full, a lower amount they name, paid to a charity
they name, a voucher, declined (docs/payments.md: NIHR, SCIE). Through the claims API, the
registration API and the public page; carried in the finance export; a lower amount is a ceiling
no recompute (and no staff adjustment) goes above. Expenses stay out of income.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.builders import add_session
from tests.sample_session import add_held_session, add_person, join, register
from zoombridge.payments.choices import Choice, applied, checked
from zoombridge.payments.policy import Claim, decide, load_policy
from zoombridge.refusals import Refused
from zoombridge.store.models import Registration

POLICY = load_policy()


def claim(**fields) -> Claim:
    base = dict(session_kind="co-production", scheduled_seconds=7200, attended_seconds=7200, opted_in=True,
                claim_confirmed=True)
    return Claim(**{**base, **fields})


# --- the rule (pure) -------------------------------------------------------------------------

@pytest.mark.parametrize(("lower", "paid"), [(2000, 2000), (4999, 4999), (5000, 5000), (8000, 5000)])
def test_a_lower_amount_is_a_ceiling_never_a_top_up(lower, paid):
    outcome = decide(POLICY, claim(payment_choice="lower", lower_amount_pence=lower))
    assert (outcome.eligible, outcome.amount_pence, outcome.method) == (True, paid, "cash")
    assert ("lower amount they asked for" in outcome.reason) is (lower < 5000)


def test_an_unconfirmed_claim_would_pay_the_lower_amount_too():
    outcome = decide(POLICY, claim(payment_choice="lower", lower_amount_pence=1500, claim_confirmed=False))
    assert (outcome.eligible, outcome.pending_amount_pence) == (False, 1500)


def test_a_charity_choice_pays_the_full_amount_to_the_charity_they_named():
    outcome = decide(POLICY, claim(payment_choice="charity", charity="Mind"))
    assert (outcome.amount_pence, outcome.method, outcome.payee) == (5000, "charity", "Mind")
    assert outcome.reason.endswith("Paid to Mind, as they asked.")


@pytest.mark.parametrize(("kind", "method"), [("cash", "cash"), ("voucher", "voucher")])
def test_paid_in_full_or_as_a_voucher_is_the_same_amount(kind, method):
    outcome = decide(POLICY, claim(payment_choice=kind))
    assert (outcome.amount_pence, outcome.method, outcome.payee) == (5000, method, None)


def test_declining_pays_nothing():
    assert decide(POLICY, claim(payment_choice="declined")).amount_pence == 0


@pytest.mark.parametrize(("given", "field"), [
    (("cheque", None, None), "payment_choice"),
    (("lower", None, None), "lower_amount_pence"),
    (("lower", 0, None), "lower_amount_pence"),
    (("lower", 100_001, None), "lower_amount_pence"),
    (("lower", True, None), "lower_amount_pence"),
    (("lower", "2000", None), "lower_amount_pence"),
    (("cash", 2000, None), "lower_amount_pence"),
    (("charity", None, None), "charity"),
    (("charity", None, "  "), "charity"),
    (("charity", None, "x" * 121), "charity"),
    (("charity", None, "Mind\nand more"), "charity"),
    (("voucher", None, "Mind"), "charity"),
])
def test_a_choice_that_does_not_add_up_is_refused_naming_the_field(given, field):
    with pytest.raises(Refused) as refused:
        checked(*given, full_pence=5000)
    assert refused.value.field == field


@pytest.mark.parametrize(("lower", "allowed"), [(1, True), (4999, True), (5000, False), (5001, False), (0, False),
                                               (-100, False), ("10", False), (10.5, False), (1e3, False)])
def test_a_lower_amount_is_whole_pence_above_nothing_and_below_the_full_payment(lower, allowed):
    if allowed:
        assert checked("lower", lower, full_pence=5000).lower_amount_pence == lower
        return
    with pytest.raises(Refused) as refused:
        checked("lower", lower, full_pence=5000)
    assert refused.value.field == "lower_amount_pence"


@pytest.mark.parametrize(("minutes", "preparation", "full"), [
    (120, 0, 5000),  # two hours at £25 an hour
    (120, 30, 6250),  # and half an hour's preparation
    (30, 0, 2500),  # a written response (£25) pays more than half an hour (£12.50)
])
def test_the_full_payment_is_the_most_the_policy_pays_one_person_for_the_session(minutes, preparation, full):
    assert POLICY.full_pence(minutes * 60, preparation) == full


def test_a_charity_name_is_kept_as_one_line():
    assert checked("charity", None, "  Age   UK ", full_pence=5000) == Choice("charity", None, "Age UK")
    assert applied(Choice("charity", None, "Age UK"), 2500).payee == "Age UK"


# --- through the API ---------------------------------------------------------------------------

@pytest.fixture
def coprod(db):
    """A held co-production session; five people attended all of it, each will choose differently."""
    with db() as s:
        session = add_held_session(s)
        ids = {"session": session.id}
        for name in ("Ann", "Bo", "Cy", "Di", "Ed"):
            person = add_person(s, name)
            register(s, session, person)
            join(s, session, person, segments=((0, 120),))
            ids[name.lower()] = person.id
    return ids


def put_claim(client, headers, session_id, person_id, **body):
    return client.put(f"/api/v1/sessions/{session_id}/claims/{person_id}", headers=headers, json=body)


def current(client, headers, session_id) -> dict:
    body = client.get(f"/api/v1/sessions/{session_id}/payments", headers=headers).get_json()
    return {p["person_id"]: p for p in body["payments"]}


@pytest.mark.parametrize(("body", "field"), [
    ({"payment_choice": "lower"}, "lower_amount_pence"),
    ({"payment_choice": "lower", "lower_amount_pence": "20"}, "lower_amount_pence"),
    ({"payment_choice": "lower", "lower_amount_pence": 10.5}, "lower_amount_pence"),
    ({"payment_choice": "lower", "lower_amount_pence": 0}, "lower_amount_pence"),
    ({"payment_choice": "lower", "lower_amount_pence": 5000}, "lower_amount_pence"),  # the full £50: not lower
    ({"payment_choice": "lower", "lower_amount_pence": 8000}, "lower_amount_pence"),
    ({"payment_choice": "charity"}, "charity"),
    ({"lower_amount_pence": 2000}, "lower_amount_pence"),
    ({"payment_choice": "gift card"}, "payment_choice"),
])
def test_the_claims_api_refuses_a_choice_that_does_not_add_up_and_writes_nothing(client, staff_headers, coprod, db,
                                                                                 body, field):
    answer = put_claim(client, staff_headers, coprod["session"], coprod["ann"], **body)
    assert answer.status_code == 400 and answer.get_json()["error"] | {"message": ""} == {
        "code": "invalid", "field": field, "message": ""}
    with db() as s:
        registration = s.scalar(select(Registration).where(Registration.person_id == coprod["ann"]))
        assert (registration.payment_choice, registration.lower_amount_pence, registration.charity) == ("cash", None, None)


def test_each_choice_through_the_api_is_paid_as_chosen_and_carried_in_the_export(client, staff_headers, coprod, db):
    sid = coprod["session"]
    assert put_claim(client, staff_headers, sid, coprod["bo"], payment_choice="lower",
                     lower_amount_pence=2000).status_code == 200
    answer = put_claim(client, staff_headers, sid, coprod["cy"], payment_choice="charity", charity="Mind")
    chosen = answer.get_json()["claim"]
    assert (chosen["payment_choice"], chosen["charity"], chosen["lower_amount_pence"]) == ("charity", "Mind", None)
    put_claim(client, staff_headers, sid, coprod["di"], payment_choice="voucher")
    put_claim(client, staff_headers, sid, coprod["ed"], payment_choice="declined")
    claim_made = client.post(f"/api/v1/sessions/{sid}/cost-claims", headers=staff_headers,
                             json={"person_id": coprod["ann"], "amount_pence": 450, "what_for": "bus fare"})
    client.patch(f"/api/v1/cost-claims/{claim_made.get_json()['cost_claim']['id']}", headers=staff_headers,
                 json={"action": "approve"})
    payments = current(client, staff_headers, sid)
    assert {name: (payments[coprod[name]]["amount_pence"], payments[coprod[name]]["method"])
            for name in ("ann", "bo", "cy", "di", "ed")} == {
        "ann": (5000, "cash"), "bo": (2000, "cash"), "cy": (5000, "charity"), "di": (5000, "voucher"),
        "ed": (0, "none")}
    assert payments[coprod["cy"]]["payee"] == "Mind"
    for name in ("ann", "bo", "cy", "di"):
        assert client.patch(f"/api/v1/payments/{payments[coprod[name]]['id']}", headers=staff_headers,
                            json={"action": "approve"}).status_code == 200

    exported = client.post("/api/v1/payments/export", headers=staff_headers)
    rows = {(r["first_name"], r["type"]): r for r in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))}
    assert {key: (r["amount_pence"], r["pay_by"], r["payment_choice"], r["payee"], r["counts_as"])
            for key, r in rows.items()} == {
        ("Ann", "session_payment"): ("5000", "cash", "cash", "", "income"),
        ("Bo", "session_payment"): ("2000", "cash", "lower", "", "income"),
        ("Cy", "session_payment"): ("5000", "charity", "charity", "Mind", "charity"),
        ("Di", "session_payment"): ("5000", "voucher", "voucher", "", "income"),
        ("Ann", "cost_claim"): ("450", "cash", "", "", "expense"),
    }
    assert (exported.headers["X-Export-Income-Pence"], exported.headers["X-Export-Charity-Pence"],
            exported.headers["X-Export-Expenses-Pence"], exported.headers["X-Export-Total-Pence"]) == (
        "12000", "5000", "450", "17450")


def test_a_recompute_never_raises_a_lower_amount_nor_may_staff(client, staff_headers, coprod, db):
    sid = coprod["session"]
    put_claim(client, staff_headers, sid, coprod["bo"], payment_choice="lower", lower_amount_pence=2000)
    first = current(client, staff_headers, sid)[coprod["bo"]]
    assert (first["amount_pence"], first["version"]) == (2000, 1)

    # Paid preparation raises what the policy would pay everyone (£50 → £62.50): not Bo's £20.
    answer = client.put(f"/api/v1/sessions/{sid}/preparation", headers=staff_headers, json={"preparation_minutes": 30})
    assert answer.status_code == 200
    after = current(client, staff_headers, sid)
    assert after[coprod["ann"]]["amount_pence"] == 6250
    assert after[coprod["bo"]]["amount_pence"] == 2000

    raise_it = client.patch(f"/api/v1/payments/{after[coprod['bo']]['id']}", headers=staff_headers,
                            json={"action": "adjust", "amount_pence": 2500, "reason": "more preparation"})
    assert raise_it.status_code == 409 and "lower amount" in raise_it.get_json()["error"]["message"]
    lower_still = client.patch(f"/api/v1/payments/{after[coprod['bo']]['id']}", headers=staff_headers,
                               json={"action": "adjust", "amount_pence": 1500, "reason": "she asked for less"})
    assert lower_still.status_code == 200

    # Changing the choice back is what lets the full amount through again.
    put_claim(client, staff_headers, sid, coprod["bo"], payment_choice="cash")
    assert current(client, staff_headers, sid)[coprod["bo"]]["amount_pence"] == 6250


def test_a_registration_through_the_api_carries_the_choice(client, staff_headers, db, clock):
    with db() as s:
        session_id = add_session(s, kind="co-production", starts_at=clock.now() + timedelta(days=7)).id
    answer = client.post(f"/api/v1/sessions/{session_id}/registrations", headers=staff_headers, json={
        "first_name": "Fay", "email": "fay@example.org", "wants_payment": True, "payment_choice": "lower",
        "lower_amount_pence": 1200})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert (answer.get_json()["payment_choice"], answer.get_json()["lower_amount_pence"]) == ("lower", 1200)
    refused = client.post(f"/api/v1/sessions/{session_id}/registrations", headers=staff_headers, json={
        "first_name": "Gus", "email": "gus@example.org", "wants_payment": True, "payment_choice": "charity"})
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "charity"


def test_a_lower_amount_below_the_full_payment_once_preparation_is_paid_is_taken(client, staff_headers, coprod):
    """£50 is the full payment for the two hours; with half an hour's paid preparation it is £62.50."""
    sid = coprod["session"]
    assert put_claim(client, staff_headers, sid, coprod["bo"], payment_choice="lower",
                     lower_amount_pence=5000).status_code == 400
    client.put(f"/api/v1/sessions/{sid}/preparation", headers=staff_headers, json={"preparation_minutes": 30})
    answer = put_claim(client, staff_headers, sid, coprod["bo"], payment_choice="lower", lower_amount_pence=5000)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert current(client, staff_headers, sid)[coprod["bo"]]["amount_pence"] == 5000


@pytest.fixture
def coming(db, clock):
    """A two-hour co-production session next week: its full payment is £50."""
    with db() as s:
        return add_session(s, kind="co-production", starts_at=clock.now() + timedelta(days=7)).id


def registering(client, headers, session_id, **fields):
    return client.post(f"/api/v1/sessions/{session_id}/registrations", headers=headers, json={
        "first_name": "Fay", "email": "fay@example.org", "wants_payment": True, "payment_choice": "lower", **fields})


@pytest.mark.parametrize("lower", ["10", "1200", 10.5, 1200.0, True, 0, -5, 5000, 5001, None])
def test_the_registration_api_takes_a_lower_amount_only_as_whole_pence_below_the_full_payment(
        client, staff_headers, db, coming, lower):
    answer = registering(client, staff_headers, coming, lower_amount_pence=lower)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["field"] == "lower_amount_pence"
    with db() as s:
        assert s.scalar(select(Registration)) is None
    assert registering(client, staff_headers, coming, lower_amount_pence=4999).status_code == 201


def test_the_csv_import_reads_whole_pence_from_digits_and_checks_them_the_same_way(client, staff_headers, db, coming):
    def importing(*rows):
        text = "first_name,email,wants_payment,payment_choice,lower_amount_pence\n" + "\n".join(rows) + "\n"
        return client.post(f"/api/v1/sessions/{coming}/registrations/import", headers=staff_headers,
                           data=text, content_type="text/csv")

    for cell in ("12.50", "5000", "0", "1e3"):
        answer = importing("Fay,fay@example.org,yes,lower,1200", f"Gus,gus@example.org,yes,lower,{cell}")
        assert answer.status_code == 400, cell
        assert answer.get_json()["error"]["field"] == "rows[3].lower_amount_pence", cell
    answer = importing("Fay,fay@example.org,yes,lower, 1200 ", "Gus,gus@example.org,yes,lower,4999")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert [r["lower_amount_pence"] for r in answer.get_json()["registrations"]] == [1200, 4999]


def test_an_unpaid_session_asks_no_payment_choice(client, staff_headers, db, clock):
    with db() as s:
        session_id = add_session(s, kind="cuppa", minutes=90, starts_at=clock.now() + timedelta(days=7)).id
    answer = client.post(f"/api/v1/sessions/{session_id}/registrations", headers=staff_headers, json={
        "first_name": "Fay", "email": "fay@example.org", "payment_choice": "voucher"})
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "payment_choice"
