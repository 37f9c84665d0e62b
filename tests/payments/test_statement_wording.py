"""What a statement and the registration page tell people about payment, income and benefits.

Public-involvement guidance (docs/payments.md): money and vouchers are both income (NIHR, April
2024); a person may decline, ask for a lower amount or have it paid to a charity, and repaid
expenses are not income (SCIE); people are pointed to independent advice. The old wording
offered a voucher "instead", as if it were safer for benefits: it is not.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tests.builders import add_session
from zoombridge.payments.statement import PAYMENT_NOTES, StatementLine, statement_for

LINE = StatementLine(session_id=1, title="Shaping our website", date="Tuesday 17 November 2026, 10:00", minutes=120,
                     payment="£50.00 proposed; our staff are checking it.")


def plain(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def test_a_statement_says_vouchers_are_income_and_never_offers_one_as_the_safer_choice():
    statement = statement_for(7, "Ann", [LINE], [])
    for text in (statement.text, plain(statement.html)):
        flat = " ".join(text.split())
        assert "Payments for your time count as income, and so do vouchers" in flat
        assert "a voucher is not safer for your benefits or your tax than money" in flat
        assert "voucher instead" not in flat


def test_a_statement_names_every_choice_that_protects_benefits_and_where_to_get_advice():
    flat = " ".join(statement_for(7, "Ann", [LINE], []).text.split())
    assert "choose not to be paid, to be paid a lower amount that you name, or to have your payment given to a " \
           "charity that you name" in flat
    assert "phone, data or travel costs is not income" in flat
    assert "Citizens Advice (citizensadvice.org.uk, Adviceline 0800 144 8848) or a welfare rights adviser" in flat
    assert "tell the office that pays them (for example Jobcentre Plus)" in flat


def test_the_html_statement_gives_each_note_its_own_paragraph():
    html = statement_for(7, "Ann", [LINE], []).html
    for note in PAYMENT_NOTES:
        assert f"<p>{note}</p>" in html


def test_the_registration_page_for_a_paid_session_says_the_same(client, db, clock):
    with db() as s:
        session_id = add_session(s, kind="co-production", starts_at=clock.now() + timedelta(days=7)).id
    page = " ".join(client.get(f"/register/{session_id}").get_data(as_text=True).split())
    for note in PAYMENT_NOTES:
        assert note in page
    assert "voucher instead" not in page

