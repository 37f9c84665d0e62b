"""How a person chose to be paid for a session. Pure.

Public-involvement guidance (docs/payments.md: NIHR, SCIE) lets a person decline payment, ask
for a lower amount, or have it paid to a charity, without being treated as if they had been paid
the full amount; money and vouchers are both income to them. So a choice is one of:

- `cash`: paid in full (bank transfer);
- `lower`: paid a lower amount they name: more than nothing and less than the policy's full
  payment for the session (`Policy.full_pence`), or it would not be lower. It is a ceiling: the
  policy's amount is paid if it is less (they attended less, say), and a recompute never raises
  the payment above what they named;
- `charity`: paid in full to a charity they name (not their income);
- `voucher`: paid in full as a voucher (still their income);
- `declined`: not paid.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoombridge.payments.money import pounds
from zoombridge.refusals import Refused

CHOICES = ("cash", "lower", "charity", "voucher", "declined")
WORDS = {"cash": "paid in full", "lower": "a lower amount", "charity": "paid to a charity", "voucher": "a voucher",
         "declined": "not paid"}
MAX_LOWER_PENCE = 1_000_00  # £1,000, the most staff may set for one person and one session
CHARITY_LENGTH = 120


@dataclass(frozen=True)
class Choice:
    kind: str = "cash"
    lower_amount_pence: int | None = None  # with `lower` only
    charity: str | None = None  # with `charity` only


@dataclass(frozen=True)
class Applied:
    amount_pence: int
    method: str  # cash | voucher | charity
    payee: str | None  # the charity paid instead of the person
    note: str  # what the reason adds ("" when nothing)


def checked(kind: object, lower_amount_pence: object = None, charity: object = None, *,
            full_pence: int | None) -> Choice:
    """The choice, or `Refused` naming the field: `payment_choice`, `lower_amount_pence`, `charity`.

    `full_pence` is the policy's full payment for the session (`Policy.full_pence`): a lower amount
    must be a whole number of pence (an int: text is for the CSV import to convert first), more
    than 0 and less than it. None only where there is no session to compare with (then at most
    `MAX_LOWER_PENCE`)."""
    if kind not in CHOICES:
        raise Refused("payment_choice", f"must be one of {', '.join(CHOICES)}")
    if kind == "lower":
        if isinstance(lower_amount_pence, bool) or not isinstance(lower_amount_pence, int):
            raise Refused("lower_amount_pence", "must be the amount they asked for as a whole number of pence, "
                                                "like 1250 for £12.50")
        if full_pence is not None and not 1 <= lower_amount_pence < full_pence:
            raise Refused("lower_amount_pence", f"must be more than £0 and less than the full payment for this "
                                                f"session, £{pounds(full_pence)}")
        if not 1 <= lower_amount_pence <= MAX_LOWER_PENCE:
            raise Refused("lower_amount_pence", f"must be the amount they asked for, in whole pence from 1 to "
                                                f"{MAX_LOWER_PENCE} (£{MAX_LOWER_PENCE // 100:,})")
    elif lower_amount_pence is not None:
        raise Refused("lower_amount_pence", "is given only with payment_choice lower")
    if kind == "charity":
        if not isinstance(charity, str) or not charity.strip() or len(charity) > CHARITY_LENGTH \
                or not charity.strip().isprintable():
            raise Refused("charity", f"must be named, on one line of at most {CHARITY_LENGTH} characters")
        charity = " ".join(charity.split())
    elif charity is not None:
        raise Refused("charity", "is given only with payment_choice charity")
    return Choice(kind, lower_amount_pence, charity)


def applied(choice: Choice, amount_pence: int) -> Applied:
    """What is paid, how and to whom, for a policy amount and the person's choice (not `declined`)."""
    if choice.kind == "lower" and choice.lower_amount_pence is not None and choice.lower_amount_pence < amount_pence:
        return Applied(choice.lower_amount_pence, "cash", None,
                       f" Paid the lower amount they asked for, £{pounds(choice.lower_amount_pence)}.")
    if choice.kind == "charity":
        return Applied(amount_pence, "charity", choice.charity, f" Paid to {choice.charity}, as they asked.")
    if choice.kind == "voucher":
        return Applied(amount_pence, "voucher", None, "")
    return Applied(amount_pence, "cash", None, "")
