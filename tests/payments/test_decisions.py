import pytest
from sqlalchemy import func, select

from tests.sample_session import MEETING_UUID, add_held_session, add_person, at, join, register
from zoombridge.payments import decisions
from zoombridge.payments.policy import load_policy
from zoombridge.store.models import AttendanceSegment, AuditEntry, Participant, PaymentDecision, Registration

POLICY = load_policy()


def recompute(db, clock, session_id):
    with db() as s:
        return decisions.recompute_session(s, session_id, POLICY, "test", clock.now())


def current(db, session_id, person_id):
    with db() as s:
        return s.scalar(select(PaymentDecision).where(PaymentDecision.session_id == session_id,
                                                      PaymentDecision.person_id == person_id,
                                                      PaymentDecision.is_current.is_(True)))


def versions(db, session_id, person_id):
    with db() as s:
        return list(s.scalars(select(PaymentDecision).where(PaymentDecision.session_id == session_id,
                                                            PaymentDecision.person_id == person_id)
                              .order_by(PaymentDecision.version)))


def setup(db, kind="co-production"):
    with db() as s:
        session = add_held_session(s, kind=kind)
        ann = add_person(s, "Ann")
        register(s, session, ann)
        join(s, session, ann, segments=((0, 120),))
        return session.id, ann.id


def test_a_full_attender_who_opted_in_is_proposed_the_full_amount(app, db, clock):
    session_id, ann = setup(db)
    summary = recompute(db, clock, session_id)
    decision = current(db, session_id, ann)
    assert summary.new_versions == 1
    assert (decision.eligible, decision.amount_pence, decision.status, decision.version) == (True, 5000, "proposed", 1)
    assert decision.rule_version == POLICY.version
    assert decision.inputs["attended_seconds"] == 7200
    assert decision.inputs["sources"] == ["webhook"]
    assert len(decision.inputs["segments"]) == 1


@pytest.mark.parametrize(("kind", "who"), [
    ("co-production", "staff"),
    ("co-production", "opted_out"),
    ("cuppa", "staff"),
    ("cuppa", "opted_in"),
    ("cuppa", "opted_out"),
])
def test_staff_cuppa_attendees_and_people_who_opted_out_are_never_paid(app, db, clock, kind, who):
    with db() as s:
        session = add_held_session(s, kind=kind, meeting_uuid=kind)
        person = add_person(s, "Sam", is_staff=True) if who == "staff" else add_person(s, "Olu")
        register(s, session, person, wants_payment=who != "opted_out")
        join(s, session, person)
        ids = (session.id, person.id)
    session_id, person_id = ids
    recompute(db, clock, session_id)
    decision = current(db, session_id, person_id)
    assert (decision.eligible, decision.amount_pence) == (False, 0)
    assert decision.reason  # the decision says why


def test_the_same_attendance_is_paid_for_an_opted_in_member_of_the_public_at_co_production(app, db, clock):
    with db() as s:
        session = add_held_session(s, kind="co-production", meeting_uuid="coprod")
        ann = add_person(s, "Ann")
        register(s, session, ann)
        join(s, session, ann)
        ids = (session.id, ann.id)
    recompute(db, clock, ids[0])
    decision = current(db, *ids)
    assert decision.eligible and decision.amount_pence > 0  # the contrast the table above relies on


def test_recomputing_with_nothing_new_writes_nothing(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    summary = recompute(db, clock, session_id)
    assert (summary.new_versions, summary.unchanged) == (0, 1)
    assert len(versions(db, session_id, ann)) == 1


def test_new_evidence_before_review_makes_a_new_proposed_version(app, db, clock):
    with db() as s:
        session = add_held_session(s)
        ann = add_person(s, "Ann")
        register(s, session, ann)
        participant = join(s, session, ann, segments=((0, 60),))
        ids = session.id, ann.id, participant.id
    recompute(db, clock, ids[0])
    assert not current(db, ids[0], ids[1]).eligible
    with db() as s:
        s.add(AttendanceSegment(participant_id=ids[2], meeting_uuid=MEETING_UUID, place="main",
                                joined_at=at(60), left_at=at(120), source="report"))
    recompute(db, clock, ids[0])
    rows = versions(db, ids[0], ids[1])
    assert [(r.version, r.is_current, r.status, r.eligible) for r in rows] == [
        (1, False, "proposed", False), (2, True, "proposed", True)]
    assert rows[1].inputs["sources"] == ["report", "webhook"]


def test_a_changed_result_after_approval_needs_review_and_the_approved_version_stays(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    with db() as s:
        decisions.approve(s, current(db, session_id, ann).id, "Reviewer", clock.now())
    with db() as s:
        registration = s.scalar(select(Registration).where(Registration.person_id == ann))
        registration.payment_choice = "voucher"
    recompute(db, clock, session_id)
    rows = versions(db, session_id, ann)
    assert [(r.version, r.is_current, r.status) for r in rows] == [(1, False, "approved"), (2, True, "needs_review")]
    assert rows[0].reviewed_by == "Reviewer"


def test_new_evidence_that_does_not_change_an_approved_result_leaves_it_alone(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    with db() as s:
        decisions.approve(s, current(db, session_id, ann).id, "Reviewer", clock.now())
    with db() as s:
        participant_id = s.scalar(select(Participant.id).where(Participant.person_id == ann))
        s.add(AttendanceSegment(participant_id=participant_id, meeting_uuid=MEETING_UUID, place="breakout",
                                joined_at=at(20), left_at=at(40), source="webhook"))
    assert recompute(db, clock, session_id).new_versions == 0
    assert current(db, session_id, ann).status == "approved"


def test_adjusting_makes_an_approved_version_with_the_reason_and_recompute_respects_it(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    with db() as s:
        adjusted = decisions.adjust(s, current(db, session_id, ann).id, 6250, "stayed to help tidy notes",
                                    "Reviewer", clock.now())
        adjusted_id = adjusted.id
    recompute(db, clock, session_id)
    decision = current(db, session_id, ann)
    assert decision.id == adjusted_id
    assert (decision.amount_pence, decision.status, decision.version) == (6250, "approved", 2)
    assert "stayed to help tidy notes" in decision.reason


def test_rejecting_and_approving_refuse_what_they_should(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    first = current(db, session_id, ann).id
    with db() as s:
        decisions.reject(s, first, "duplicate claim", "Reviewer", clock.now())
    with db() as s, pytest.raises(decisions.DecisionError, match="earlier version"):
        decisions.approve(s, first, "Reviewer", clock.now())
    with db() as s, pytest.raises(decisions.DecisionError, match="Not eligible"):
        decisions.approve(s, current(db, session_id, ann).id, "Reviewer", clock.now())


def test_every_decision_change_writes_an_audit_entry(app, db, clock):
    session_id, ann = setup(db)
    recompute(db, clock, session_id)
    with db() as s:
        decisions.approve(s, current(db, session_id, ann).id, "Reviewer", clock.now())
    with db() as s:
        decisions.adjust(s, current(db, session_id, ann).id, 4000, "left early, agreed", "Reviewer", clock.now())
    with db() as s:
        decisions.reject(s, current(db, session_id, ann).id, "changed mind", "Reviewer", clock.now())
    with db() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "payment_decision")
                                 .order_by(AuditEntry.id)))
        assert actions == ["payment_decision.recomputed", "payment_decision.approved", "payment_decision.adjusted",
                           "payment_decision.rejected"]
        assert s.scalar(select(func.count()).select_from(PaymentDecision)) == 3
