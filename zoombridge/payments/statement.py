"""A participant statement: what a person attended and what they are (or are not) paid, and why.

Worded here as plain text and HTML (pure: the rows are loaded by `zoombridge.store.statements`);
sending it is the mailer's job (`zoombridge/notify`). The
wording follows public-involvement practice: it says that payments can affect state benefits,
that the person may decline or take a voucher, and where to get advice.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from zoombridge.payments.money import pounds

BENEFITS_NOTE = (
    "If you receive benefits, a payment can affect them. You can decline payment, or ask for a "
    "voucher instead, at any time: just tell us. For free, confidential advice, contact Citizens "
    "Advice (citizensadvice.org.uk, 0800 144 8848) or your benefits adviser before you accept."
)


@dataclass(frozen=True)
class StatementLine:
    session_id: int
    title: str
    date: str
    minutes: int
    payment: str


@dataclass(frozen=True)
class Statement:
    person_id: int
    to_first_name: str
    subject: str
    lines: list[StatementLine]
    cost_claims: list[str]
    text: str
    html: str


def payment_words(decision) -> str:
    """What a person is told about one session's payment decision (a `PaymentDecision` row, or None)."""
    if decision is None:
        return "Not yet worked out."
    method = (decision.inputs or {}).get("outcome", {}).get("method", "cash")
    paid_as = "as a voucher" if method == "voucher" else "by bank transfer"
    if decision.status == "exported":
        return f"£{pounds(decision.amount_pence)} sent to our finance team to pay {paid_as}."
    if decision.status == "approved" and decision.amount_pence > 0:
        return f"£{pounds(decision.amount_pence)} approved, to be paid {paid_as}."
    if decision.status == "rejected":
        return "Not paid. " + decision.reason
    if not decision.eligible:
        return "Not paid. " + decision.reason
    return f"£{pounds(decision.amount_pence)} proposed; our staff are checking it."


def statement_for(person_id: int, first_name: str, lines: list[StatementLine], cost_claims: list[str]) -> Statement:
    """The statement, worded, from what the store loaded (`zoombridge.store.statements`)."""
    return Statement(person_id=person_id, to_first_name=first_name, subject="Your attendance and payment statement",
                     lines=lines, cost_claims=cost_claims, text=_text(first_name, lines, cost_claims),
                     html=_html(first_name, lines, cost_claims))


CLAIM_WORDS = {"claimed": "waiting for staff to check", "approved": "approved", "rejected": "not approved",
               "exported": "sent to finance for payment"}


def cost_claim_words(amount_pence: int, what_for: str, status: str) -> str:
    return f"£{pounds(amount_pence)} for {what_for}: {CLAIM_WORDS.get(status, status)}."


def _text(first_name: str, lines: list[StatementLine], cost_claims: list[str]) -> str:
    out = [f"Dear {first_name},", "", "Here is what we have recorded for you.", ""]
    if not lines:
        out.append("We have no sessions recorded for you.")
    for line in lines:
        out += [f"{line.title} — {line.date}", f"  Time you attended: {line.minutes} minutes",
                f"  Payment: {line.payment}", ""]
    if cost_claims:
        out.append("Phone and data costs:")
        out += [f"  {claim}" for claim in cost_claims]
        out.append("")
    out += [BENEFITS_NOTE, "", "If anything here looks wrong, reply to this email and we will look again.", ""]
    return "\n".join(out)


def _html(first_name: str, lines: list[StatementLine], cost_claims: list[str]) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.title)}</td><td>{escape(line.date)}</td><td>{line.minutes}</td>"
        f"<td>{escape(line.payment)}</td></tr>" for line in lines)
    table = (f"<table><thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Date</th>"
             f"<th scope=\"col\">Minutes attended</th><th scope=\"col\">Payment</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>") if lines else "<p>We have no sessions recorded for you.</p>"
    claims = ""
    if cost_claims:
        claims = "<h2>Phone and data costs</h2><ul>" + "".join(f"<li>{escape(c)}</li>" for c in cost_claims) + "</ul>"
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your statement</title></head>"
            f"<body><p>Dear {escape(first_name)},</p><p>Here is what we have recorded for you.</p>{table}{claims}"
            f"<p>{escape(BENEFITS_NOTE)}</p><p>If anything here looks wrong, reply to this email and we will "
            f"look again.</p></body></html>")
