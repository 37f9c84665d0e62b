"""The payment policy: who is paid for a session, how much, and why. Pure.

The rules live in `config/payment_policy.toml` under a version string; `decide` takes plain facts
about one person at one session (`Claim`) and returns an `Outcome` whose reason a person can
read. The order of the checks is the order a finance officer would ask them: is this paid work at
all, is this person someone we pay, did they ask to be paid, did they take part enough.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

from zoombridge.config import DEFAULT_CONFIG_DIR
from zoombridge.payments import choices

PAYMENT_CHOICES = choices.CHOICES


class PolicyError(ValueError):
    """The policy file is missing a rule or has one that makes no sense."""


@dataclass(frozen=True)
class Policy:
    version: str
    grace_minutes: int
    reconcile_tolerance_seconds: int
    paid_kinds: tuple[str, ...]
    hourly_rate_pence: int
    threshold_share: Fraction
    increment_minutes: int
    require_claim_confirmation: bool
    written_response_pence: int
    written_response_minutes: int

    def required_seconds(self, scheduled_seconds: int) -> int:
        """The least attended time that is eligible, in whole seconds."""
        return math.ceil(self.threshold_share * scheduled_seconds)

    def pence_for(self, seconds: int) -> int:
        """Pay for `seconds` at the hourly rate, rounded up to a whole penny."""
        return math.ceil(Fraction(self.hourly_rate_pence * seconds, 3600))

    def full_pence(self, scheduled_seconds: int, preparation_minutes: int = 0) -> int:
        """The most the policy pays one person for a session this long: all of it attended, with its
        paid preparation, or a written response when that pays more. A lower amount a person asks
        for must be less than this (`choices.checked`)."""
        by_attendance = self.pence_for(max(scheduled_seconds, 0)) + self.pence_for(max(preparation_minutes, 0) * 60)
        return max(by_attendance, self.written_response_pence)


@dataclass(frozen=True)
class Claim:
    """What the policy needs to know about one person at one session."""

    session_kind: str
    scheduled_seconds: int
    attended_seconds: int
    is_staff: bool = False
    opted_in: bool = False
    payment_choice: str = "cash"  # cash | lower | charity | voucher | declined (payments/choices.py)
    lower_amount_pence: int | None = None  # the lower amount they asked for (payment_choice lower)
    charity: str | None = None  # the charity paid instead of them (payment_choice charity)
    public_sector_work_time: bool = False
    claim_confirmed: bool = False
    preparation_minutes: int = 0
    written_response: bool = False


@dataclass(frozen=True)
class Outcome:
    eligible: bool
    amount_pence: int
    reason: str
    method: str = "none"  # cash | voucher | charity | none
    payee: str | None = None  # the charity paid instead of the person (method charity)
    basis: str = "none"  # attendance | written_response | none
    billable_seconds: int = 0
    preparation_pence: int = 0
    pending_amount_pence: int = 0  # what an unconfirmed claim would pay

    def as_dict(self) -> dict:
        return asdict(self)


def not_paid_reason(policy: Policy, claim: Claim) -> str | None:
    """Why this person is not paid for this session whatever they did there, or None.

    These are the cases no amount of attendance changes, and no staff adjustment may change
    either: staff, unpaid kinds of session, not asking to be paid, declining, public-sector work time.
    """
    if claim.is_staff:
        return "Staff are not paid for sessions."
    if claim.session_kind not in policy.paid_kinds:
        return f"{claim.session_kind} sessions are not paid."
    if not claim.opted_in:
        return "Did not ask to be paid."
    if claim.payment_choice == "declined":
        return "Declined payment."
    if claim.public_sector_work_time:
        return "Took part in work time on a public-sector salary."
    return None


def decide(policy: Policy, claim: Claim) -> Outcome:
    """Apply the policy to one claim."""
    refusal = not_paid_reason(policy, claim)
    if refusal is not None:
        return Outcome(False, 0, refusal)

    by_attendance = _attendance_payment(policy, claim)
    by_writing = _written_payment(policy, claim)
    if by_attendance is None and by_writing is None:
        need = policy.required_seconds(claim.scheduled_seconds)
        return Outcome(False, 0, f"Attended {_minutes(claim.attended_seconds)} of {_minutes(claim.scheduled_seconds)}"
                                 f" minutes; at least {_minutes(need)} are needed.")
    best = max((o for o in (by_attendance, by_writing) if o is not None), key=lambda o: o.amount_pence)
    # Their choice: a lower amount is a ceiling (a recompute never pays more than they named).
    paid = choices.applied(choices.Choice(claim.payment_choice, claim.lower_amount_pence, claim.charity),
                           best.amount_pence)
    if policy.require_claim_confirmation and not claim.claim_confirmed:
        return Outcome(False, 0, "Waiting for the person to confirm their claim.", method=paid.method,
                       payee=paid.payee, basis=best.basis, billable_seconds=best.billable_seconds,
                       preparation_pence=best.preparation_pence, pending_amount_pence=paid.amount_pence)
    return Outcome(True, paid.amount_pence, best.reason + paid.note, method=paid.method, payee=paid.payee,
                   basis=best.basis, billable_seconds=best.billable_seconds, preparation_pence=best.preparation_pence)


def _attendance_payment(policy: Policy, claim: Claim) -> Outcome | None:
    if claim.scheduled_seconds <= 0 or claim.attended_seconds < policy.required_seconds(claim.scheduled_seconds):
        return None
    increment = policy.increment_minutes * 60
    billable = min(math.ceil(claim.attended_seconds / increment) * increment, claim.scheduled_seconds)
    preparation = policy.pence_for(claim.preparation_minutes * 60)
    amount = policy.pence_for(billable) + preparation
    reason = f"Attended {_minutes(claim.attended_seconds)} of {_minutes(claim.scheduled_seconds)} minutes; paid for {_minutes(billable)}"
    if preparation:
        reason += f" and {claim.preparation_minutes} minutes' preparation"
    return Outcome(True, amount, reason + ".", basis="attendance", billable_seconds=billable,
                   preparation_pence=preparation)


def _written_payment(policy: Policy, claim: Claim) -> Outcome | None:
    if not claim.written_response:
        return None
    return Outcome(True, policy.written_response_pence,
                   f"Written response, paid as {policy.written_response_minutes} minutes.",
                   basis="written_response", billable_seconds=policy.written_response_minutes * 60)


def _minutes(seconds: int) -> str:
    whole, part = divmod(seconds, 60)
    return str(whole) if not part else f"{seconds / 60:.1f}"


def policy_path() -> Path:
    return Path(os.environ.get("ZOOMBRIDGE_CONFIG_DIR", DEFAULT_CONFIG_DIR)) / "payment_policy.toml"


def load_policy(path: Path | None = None) -> Policy:
    """Read and check the policy file; a bad policy fails loudly rather than paying wrongly."""
    path = path or policy_path()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise PolicyError(f"no payment policy at {path}") from exc
    return policy_from_dict(data)


def policy_from_dict(data: dict) -> Policy:
    try:
        attendance, payment, written = data["attendance"], data["payment"], data["written_response"]
        policy = Policy(
            version=str(data["version"]),
            grace_minutes=int(attendance["grace_minutes"]),
            reconcile_tolerance_seconds=int(attendance["reconcile_tolerance_seconds"]),
            paid_kinds=tuple(payment["paid_kinds"]),
            hourly_rate_pence=int(payment["hourly_rate_pence"]),
            threshold_share=Fraction(str(payment["threshold_share"])),
            increment_minutes=int(payment["increment_minutes"]),
            require_claim_confirmation=bool(payment["require_claim_confirmation"]),
            written_response_pence=int(written["amount_pence"]),
            written_response_minutes=int(written["counts_as_minutes"]),
        )
    except KeyError as exc:
        raise PolicyError(f"payment policy is missing {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"payment policy has a bad value: {exc}") from exc
    if not policy.version.strip():
        raise PolicyError("payment policy needs a version")
    if not 0 < policy.threshold_share <= 1:
        raise PolicyError("threshold_share must be more than 0 and at most 1")
    if policy.increment_minutes <= 0 or policy.hourly_rate_pence < 0 or policy.grace_minutes < 0:
        raise PolicyError("increment_minutes must be positive; rates and grace cannot be negative")
    return policy
