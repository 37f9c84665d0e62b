"""The public registration page: a person chooses how to be paid (paid in full, a lower amount they
give in pounds, a charity they name, a voucher) or leaves the box unticked and is not paid."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.web.test_public_registration import make_session, post
from zoombridge.store.models import Registration


@pytest.fixture
def session_id(db, clock):
    return make_session(db, clock)


def saved(db):
    with db() as s:
        r = s.scalar(select(Registration))
        return None if r is None else (r.wants_payment, r.payment_choice, r.lower_amount_pence, r.charity)


@pytest.mark.parametrize(("fields", "stored"), [
    ({"wants_payment": "yes", "payment_choice": "cash"}, (True, "cash", None, None)),
    ({"wants_payment": "yes", "payment_choice": "lower", "lower_amount": "£12.50"}, (True, "lower", 1250, None)),
    ({"wants_payment": "yes", "payment_choice": "lower", "lower_amount": "49.99"}, (True, "lower", 4999, None)),
    ({"wants_payment": "yes", "payment_choice": "charity", "charity": " Age  UK "}, (True, "charity", None, "Age UK")),
    ({"wants_payment": "yes", "payment_choice": "voucher"}, (True, "voucher", None, None)),
    # Unticked: not paid, whatever else was left filled in.
    ({"payment_choice": "lower", "lower_amount": "10"}, (False, "cash", None, None)),
])
def test_each_payment_choice_on_the_page_is_saved_as_chosen(client, db, session_id, fields, stored):
    answer = post(client, session_id, **fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert saved(db) == stored


NOT_POUNDS = "The lower amount must be an amount in pounds, like 12.50"
NOT_LOWER = "The lower amount must be more than £0 and less than the full payment for this session, £50.00"


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"payment_choice": "lower", "lower_amount": ""}, "lower_amount", NOT_POUNDS),
    ({"payment_choice": "lower", "lower_amount": "1e3"}, "lower_amount", NOT_POUNDS),
    ({"payment_choice": "lower", "lower_amount": "12.345"}, "lower_amount", NOT_POUNDS),
    # £50 is the full payment for this two-hour session: £50, £5,000 (not 5,000 pence) or £1,000.01 is not lower.
    ({"payment_choice": "lower", "lower_amount": "1000.01"}, "lower_amount", NOT_LOWER),
    ({"payment_choice": "lower", "lower_amount": "5000"}, "lower_amount", NOT_LOWER),
    ({"payment_choice": "lower", "lower_amount": "50"}, "lower_amount", NOT_LOWER),
    ({"payment_choice": "lower", "lower_amount": "0"}, "lower_amount", NOT_LOWER),
    ({"payment_choice": "charity", "charity": ""}, "charity", "The charity must be named, on one line of at most 120 characters"),
    ({"payment_choice": "bitcoin"}, "payment_choice", "How you would like to be paid must be one of"),
])
def test_a_choice_that_does_not_add_up_is_shown_next_to_its_field_and_nothing_is_saved(client, db, session_id, fields,
                                                                                      field, message):
    answer = post(client, session_id, wants_payment="yes", **fields)
    assert answer.status_code == 400
    page = html.unescape(" ".join(answer.get_data(as_text=True).split()))
    assert f'id="{field}-error"' in page or f'id="{field}-cash"' in page
    assert message in page
    assert f'href="#{field if field != "payment_choice" else "payment_choice-cash"}"' in page
    assert saved(db) is None


def test_an_unpaid_session_does_not_ask_how_to_be_paid(client, db, clock):
    cuppa = make_session(db, clock, kind="cuppa", title="Co-Pro Cuppa")
    page = client.get(f"/register/{cuppa}").get_data(as_text=True)
    assert "How would you like to be paid?" not in page
    assert post(client, cuppa, payment_choice="voucher").status_code == 303
    assert saved(db) == (False, "cash", None, None)


def test_the_page_says_what_the_lower_amount_must_be_below(client, session_id):
    page = " ".join(client.get(f"/register/{session_id}").get_data(as_text=True).split())
    assert "Less than the full £50.00. For example 10 or 12.50." in page
