from dataclasses import replace
from fractions import Fraction

import pytest

from zoombridge.payments.policy import Claim, PolicyError, decide, load_policy, policy_from_dict

POLICY = load_policy()
HOUR = 3600
TWO_HOURS = 2 * HOUR


def claim(**changes) -> Claim:
    base = Claim(session_kind="co-production", scheduled_seconds=TWO_HOURS, attended_seconds=TWO_HOURS,
                 opted_in=True, claim_confirmed=True)
    return replace(base, **changes)


def test_the_shipped_policy_is_the_documented_default():
    assert POLICY.paid_kinds == ("co-production", "strategy")
    assert POLICY.hourly_rate_pence == 2500
    assert POLICY.threshold_share == Fraction(3, 4)
    assert POLICY.increment_minutes == 15
    assert POLICY.written_response_pence == 2500
    assert POLICY.version


NOT_PAID = [
    ("staff are never paid", claim(is_staff=True), "Staff are not paid"),
    ("a Cuppa is never paid", claim(session_kind="cuppa"), "cuppa sessions are not paid"),
    ("a network session is never paid", claim(session_kind="network"), "network sessions are not paid"),
    ("someone who did not opt in is not paid", claim(opted_in=False), "Did not ask to be paid"),
    ("someone who declined is not paid", claim(payment_choice="declined"), "Declined payment"),
    ("public-sector salary in work time is not paid", claim(public_sector_work_time=True), "public-sector"),
    ("too little attendance is not paid", claim(attended_seconds=HOUR), "Attended 60 of 120 minutes; at least 90"),
    ("an unconfirmed claim waits", claim(claim_confirmed=False), "Waiting for the person to confirm"),
    ("staff are not paid even for a written response", claim(is_staff=True, written_response=True), "Staff"),
]


@pytest.mark.parametrize(("case", "given", "reason"), NOT_PAID, ids=[c[0] for c in NOT_PAID])
def test_not_paid(case, given, reason):
    outcome = decide(POLICY, given)
    assert not outcome.eligible
    assert outcome.amount_pence == 0
    assert reason in outcome.reason


THRESHOLD_EDGES = [
    ("one second below the threshold", 90 * 60 - 1, False, 0),
    ("exactly at the threshold", 90 * 60, True, 3750),
    ("one second above the threshold rounds up to the next increment", 90 * 60 + 1, True, 4375),
    ("full attendance", TWO_HOURS, True, 5000),
    ("more than scheduled is capped at the scheduled time", TWO_HOURS + 1800, True, 5000),
]


@pytest.mark.parametrize(("case", "seconds", "eligible", "pence"), THRESHOLD_EDGES, ids=[c[0] for c in THRESHOLD_EDGES])
def test_threshold_edges(case, seconds, eligible, pence):
    outcome = decide(POLICY, claim(attended_seconds=seconds))
    assert (outcome.eligible, outcome.amount_pence) == (eligible, pence)


def test_rounding_up_never_goes_past_the_scheduled_time():
    outcome = decide(POLICY, claim(scheduled_seconds=100 * 60, attended_seconds=99 * 60))
    assert outcome.billable_seconds == 100 * 60
    assert outcome.amount_pence == 4167  # 100 minutes at £25/h is 4166.67p, rounded up to a whole penny


def test_preparation_time_is_paid_on_top_of_attendance():
    outcome = decide(POLICY, claim(preparation_minutes=30))
    assert outcome.amount_pence == 5000 + 1250
    assert outcome.preparation_pence == 1250
    assert "30 minutes' preparation" in outcome.reason


def test_preparation_alone_pays_nothing_when_attendance_falls_short():
    assert not decide(POLICY, claim(attended_seconds=600, preparation_minutes=60)).eligible


def test_a_written_response_is_a_fixed_amount():
    outcome = decide(POLICY, claim(session_kind="strategy", attended_seconds=0, written_response=True))
    assert (outcome.eligible, outcome.amount_pence, outcome.basis) == (True, 2500, "written_response")


def test_a_person_who_attended_and_wrote_is_paid_the_larger_not_both():
    outcome = decide(POLICY, claim(written_response=True))
    assert (outcome.amount_pence, outcome.basis) == (5000, "attendance")


def test_a_voucher_is_the_same_amount_paid_another_way():
    outcome = decide(POLICY, claim(payment_choice="voucher"))
    assert (outcome.eligible, outcome.amount_pence, outcome.method) == (True, 5000, "voucher")


def test_an_unconfirmed_claim_shows_what_it_would_pay():
    assert decide(POLICY, claim(claim_confirmed=False)).pending_amount_pence == 5000


def test_a_policy_that_does_not_ask_for_confirmation_pays_straight_away():
    lenient = replace(POLICY, require_claim_confirmation=False)
    assert decide(lenient, claim(claim_confirmed=False)).eligible


def test_a_policy_without_a_version_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="version"):
        policy_from_dict({"attendance": {}, "payment": {}, "written_response": {}})


def test_a_threshold_over_one_is_refused():
    data = {"version": "x", "attendance": {"grace_minutes": 10, "reconcile_tolerance_seconds": 60},
            "payment": {"paid_kinds": [], "hourly_rate_pence": 2500, "threshold_share": 1.5,
                        "increment_minutes": 15, "require_claim_confirmation": True},
            "written_response": {"amount_pence": 2500, "counts_as_minutes": 60}}
    with pytest.raises(PolicyError, match="threshold_share"):
        policy_from_dict(data)
