"""A participant statement: what a person attended and what they are (or are not) paid, and why.

Worded here as plain text and HTML (pure: the rows are loaded by `zoombridge.store.statements`);
sending it is the mailer's job (`zoombridge/notify`). The wording follows public-involvement
guidance (sources in docs/payments.md): money and vouchers are both income; a person may decline,
ask for a lower amount or have it paid to a charity; expenses paid back are not income; and
where to get free, independent advice.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from zoombridge.payments.money import pounds
from zoombridge.payments.tax_year import TaxYear

# What every statement (and the registration page) says about income and benefits. NIHR: "Monetary
# awards and vouchers are classed as income"; SCIE: people may decline, ask for a lower amount or
# have it paid to a charity without being treated as paid the full amount (docs/payments.md).
INCOME_NOTE = (
    "Payments for your time count as income, and so do vouchers: a voucher is not safer for your "
    "benefits or your tax than money. Whether you pay tax on it depends on your other income. If you "
    "receive benefits, tell the office that pays them (for example Jobcentre Plus) about any payment "
    "or voucher you are offered."
)
CHOICES_NOTE = (
    "You can choose not to be paid, to be paid a lower amount that you name, or to have your payment "
    "given to a charity that you name. Tell us before we pay and we will do that instead. Money we pay "
    "back for phone, data or travel costs is not income."
)
ADVICE_NOTE = (
    "For free, independent advice before you accept, contact Citizens Advice (citizensadvice.org.uk, "
    "Adviceline 0800 144 8848) or a welfare rights adviser."
)
PAYMENT_NOTES = (INCOME_NOTE, CHOICES_NOTE, ADVICE_NOTE)


@dataclass(frozen=True)
class StatementLine:
    session_id: int
    title: str
    date: str
    minutes: int
    payment: str


@dataclass(frozen=True)
class Totals:
    """Money on the statement, kept apart as the guidance asks: income, gifts to charity, expenses."""

    income_pence: int = 0  # approved or paid for their time at these sessions (money or vouchers)
    charity_pence: int = 0  # given to charities they named (not their income)
    expenses_pence: int = 0  # costs paid back (not income)
    tax_year: TaxYear | None = None
    tax_year_income_pence: int = 0  # their income from us in that tax year so far, every session

    def sentences(self) -> list[str]:
        said = [f"Paid for your time at these sessions (this is income): £{pounds(self.income_pence)}."]
        if self.charity_pence:
            said.append(f"Given to charities you named (not your income): £{pounds(self.charity_pence)}.")
        if self.expenses_pence:
            said.append(f"Costs paid back (not income): £{pounds(self.expenses_pence)}.")
        if self.tax_year is not None:
            said.append(f"Your income from us in this tax year ({self.tax_year.words}) so far: "
                        f"£{pounds(self.tax_year_income_pence)}.")
        return said


@dataclass(frozen=True)
class Statement:
    person_id: int
    to_first_name: str
    subject: str
    lines: list[StatementLine]
    cost_claims: list[str]
    totals: Totals
    text: str
    html: str


def _paid_as(outcome: dict) -> str:
    method = outcome.get("method", "cash")
    if method == "charity":
        return f"to {outcome.get('payee') or 'the charity you named'}, as you asked"
    return "as a voucher" if method == "voucher" else "by bank transfer"


def payment_words(decision) -> str:
    """What a person is told about one session's payment decision (a `PaymentDecision` row, or None)."""
    if decision is None:
        return "Not yet worked out."
    paid_as = _paid_as((decision.inputs or {}).get("outcome", {}))
    if decision.status == "exported":
        return f"£{pounds(decision.amount_pence)} sent to our finance team to pay {paid_as}."
    if decision.status == "approved" and decision.amount_pence > 0:
        return f"£{pounds(decision.amount_pence)} approved, to be paid {paid_as}."
    if decision.status == "rejected":
        return "Not paid. " + decision.reason
    if not decision.eligible:
        return "Not paid. " + decision.reason
    return f"£{pounds(decision.amount_pence)} proposed; our staff are checking it."


def statement_for(person_id: int, first_name: str, lines: list[StatementLine], cost_claims: list[str],
                  totals: Totals | None = None) -> Statement:
    """The statement, worded, from what the store loaded (`zoombridge.store.statements`)."""
    totals = totals or Totals()
    return Statement(person_id=person_id, to_first_name=first_name, subject="Your attendance and payment statement",
                     lines=lines, cost_claims=cost_claims, totals=totals,
                     text=_text(first_name, lines, cost_claims, totals),
                     html=_html(first_name, lines, cost_claims, totals))


CLAIM_WORDS = {"claimed": "waiting for staff to check", "approved": "approved", "rejected": "not approved",
               "exported": "sent to finance for payment"}
COSTS_HEADING = "Phone, data and travel costs paid back (not income)"


def cost_claim_words(amount_pence: int, what_for: str, status: str) -> str:
    return f"£{pounds(amount_pence)} for {what_for}: {CLAIM_WORDS.get(status, status)}."


def _text(first_name: str, lines: list[StatementLine], cost_claims: list[str], totals: Totals) -> str:
    out = [f"Dear {first_name},", "", "Here is what we have recorded for you.", ""]
    if not lines:
        out.append("We have no sessions recorded for you.")
    for line in lines:
        out += [f"{line.title} — {line.date}", f"  Time you attended: {line.minutes} minutes",
                f"  Payment: {line.payment}", ""]
    if cost_claims:
        out.append(f"{COSTS_HEADING}:")
        out += [f"  {claim}" for claim in cost_claims]
        out.append("")
    out += [*totals.sentences(), ""]
    for note in PAYMENT_NOTES:
        out += [note, ""]
    out += ["If anything here looks wrong, reply to this email and we will look again.", ""]
    return "\n".join(out)


def _html(first_name: str, lines: list[StatementLine], cost_claims: list[str], totals: Totals) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.title)}</td><td>{escape(line.date)}</td><td>{line.minutes}</td>"
        f"<td>{escape(line.payment)}</td></tr>" for line in lines)
    table = (f"<table><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Date</th>"
             f"<th scope=\"col\">Minutes attended</th><th scope=\"col\">Payment</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>") if lines else "<p>We have no sessions recorded for you.</p>"
    claims = ""
    if cost_claims:
        claims = f"<h2>{COSTS_HEADING}</h2><ul>" + "".join(f"<li>{escape(c)}</li>" for c in cost_claims) + "</ul>"
    money = "<h2>Totals</h2>" + "".join(f"<p>{escape(sentence)}</p>" for sentence in totals.sentences())
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your statement</title></head>"
            f"<body><p>Dear {escape(first_name)},</p><p>Here is what we have recorded for you.</p>{table}{claims}{money}"
            f"{''.join(f'<p>{escape(note)}</p>' for note in PAYMENT_NOTES)}<p>If anything here looks wrong, reply to "
            f"this email and we will look again.</p></body></html>")
