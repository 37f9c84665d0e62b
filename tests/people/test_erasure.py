"""Erasure: a person's personal fields become a tombstone everywhere; payments and the audit trail
stay, pseudonymised; refused while money or evidence about them is still moving. Runs on SQLite
and on PostgreSQL (ZOOMBRIDGE_TEST_DATABASE_URL), like every test here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.builders import add_session, register
from tests.people.conftest import BO_TRACES, build_held
from tests.sample_session import START as SAMPLE_START
from tests.sample_session import add_held_session, join
from zoombridge.people import details
from zoombridge.refusals import Refused
from zoombridge.store.models import (
    AttendanceSegment,
    AuditEntry,
    Base,
    CostClaim,
    LedgerLine,
    PaymentDecision,
    Person,
    PersonChange,
    Registration,
)
from zoombridge.store.models import Session as SessionRow


def everything_stored(db) -> str:
    """Every value in every table, as one text to search."""
    parts = []
    with db() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(sa.select(table)).mappings():
                parts.append(json.dumps({k: v for k, v in row.items()}, default=str, ensure_ascii=False))
    return "\n".join(parts)


def erase(client, headers, person_id, **body):
    return client.post(f"/api/v1/people/{person_id}/erase", headers=headers, json=body or None)


def money_and_times(db, person_id):
    with db() as s:
        decisions = [(d.version, d.amount_pence, d.status, d.exported_at, d.created_at) for d in s.scalars(
            select(PaymentDecision).where(PaymentDecision.person_id == person_id).order_by(PaymentDecision.id))]
        claims = [(c.amount_pence, c.status, c.exported_at) for c in s.scalars(
            select(CostClaim).where(CostClaim.person_id == person_id))]
        segments = [(g.joined_at, g.left_at) for g in s.scalars(select(AttendanceSegment).order_by(AttendanceSegment.id))]
    return decisions, claims, segments


def test_erasure_removes_every_trace_of_the_person_and_keeps_their_payments_pseudonymised(client, staff_headers,
                                                                                          held, db):
    before = everything_stored(db)
    assert [trace for trace in held.ann_traces if trace not in before] == [], "the sample holds Ann's details"
    money_before = money_and_times(db, held.ann)

    answer = erase(client, staff_headers, held.ann, reason="Asked by email on 20 November")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    result = answer.get_json()
    assert result["already_erased"] is False
    assert result["changed"] == {"person": 1, "registrations": 1, "emails": 2, "participants": 1,
                                 "breakout_plans": 1, "webhook_events": 2, "staff_api_tokens": 1,
                                 "waiting_on_zoom": 1, "requested_changes": 1,
                                 "attendance_connections": 1, "attendance_events": 2}  # her webhooks, as ingest parsed them

    after = everything_stored(db)
    found = [trace for trace in held.ann_traces if trace.lower() in after.lower()]
    assert found == [], f"Ann's details are still stored: {found}"
    assert all(trace in after for trace in BO_TRACES), "Bo's details were touched"
    assert money_and_times(db, held.ann) == money_before, "payments, claims and attendance times are kept"
    with db() as s:
        ann = s.get(Person, held.ann)
        assert (ann.first_name, ann.email, ann.phone, ann.erased_at) == ("(erased)", None, None, result_time(result))
        line = s.scalar(select(AuditEntry).where(AuditEntry.action == "person.erased"))
        assert (line.actor, line.subject_id, line.details["reason"]) == ("Test Staff", str(held.ann),
                                                                         "Asked by email on 20 November")
        # The person's own row was written through the one rule (people/details.py): its audit line.
        assert (line.details["fields"], line.details["proof"]) == (["email", "first_name", "phone"], "staff")
    # The statement still works for finance's questions, without a name.
    statement = client.get(f"/api/v1/people/{held.ann}/statement", headers=staff_headers).get_json()
    assert statement["text"].startswith("Dear (erased),") and "£50.00" in statement["text"]


def result_time(result):
    from datetime import datetime

    return datetime.fromisoformat(result["erased_at"])


def test_an_erased_persons_webhook_bodies_keep_the_times_and_lose_the_identity(client, staff_headers, held, db):
    assert erase(client, staff_headers, held.ann).status_code == 200
    with db() as s:
        bodies = [json.loads(b) for b in s.scalars(sa.text("SELECT body FROM webhook_inbox ORDER BY id"))]
    participants = [b["payload"]["object"]["participant"] for b in bodies if "participant" in b["payload"]["object"]]
    ann_rows = [p for p in participants if p.get("erased")]
    assert [sorted(p) for p in ann_rows] == [["erased", "join_time", "user_id", "user_name"],
                                             ["erased", "leave_time", "user_id", "user_name"]]
    assert {p["user_name"] for p in participants} == {"(erased)", "Bo"}


def test_a_confirmation_link_sent_before_the_erasure_cannot_bring_their_details_back(app, client, staff_headers,
                                                                                     held, db, clock):
    with app.app_context():
        with db() as s:  # asked on the public page a moment ago: the link is still in time
            _ann, (send,) = details.person_for_registration(
                s, email="ann@example.org", first_name="Annette", phone=None, source="public", actor="public page",
                session_id=held.session_id, now=clock.now())
        with db() as s:
            token = details.confirmation_token(s.get(PersonChange, send.args[0]))
        assert erase(client, staff_headers, held.ann).status_code == 200
        with db() as s, pytest.raises(Refused) as refused:
            details.confirm_details(s, details.ConfirmDetails(token), details.PERSON)
    assert refused.value.status == 409
    with db() as s:
        assert s.get(Person, held.ann).first_name == "(erased)"
        assert [r.wanted for r in s.scalars(select(PersonChange))] == [{}, {}]


def test_erasing_twice_changes_nothing_the_second_time(client, staff_headers, held, db):
    first = erase(client, staff_headers, held.ann).get_json()
    stored = everything_stored(db)
    second = erase(client, staff_headers, held.ann)
    assert second.status_code == 200
    assert second.get_json() == {**first, "already_erased": True, "changed": {}}
    assert everything_stored(db) == stored  # no second audit line either


def test_erasure_is_refused_while_a_payment_to_them_is_approved_but_not_exported(db, client, staff_headers, clock,
                                                                               run_jobs):
    held = build_held(db, client, staff_headers, clock, run_jobs, export=False)
    stored = everything_stored(db)
    answer = erase(client, staff_headers, held.ann)
    assert answer.status_code == 409
    assert answer.get_json()["error"] | {"message": ""} == {"code": "payment_not_exported", "field": "person_id",
                                                            "message": ""}
    assert everything_stored(db) == stored, "a refused erasure writes nothing"

    export = client.post("/api/v1/payments/export", headers=staff_headers)
    assert "ann@example.org" in export.get_data(as_text=True), "finance gets what it needs to pay her first"
    assert erase(client, staff_headers, held.ann).status_code == 200


def test_a_payment_still_open_when_they_were_erased_cannot_be_approved_or_raised(client, staff_headers, held, db):
    """Erasure leaves a proposed payment (nothing approved waits); approving it afterwards would
    send finance a payment for no one, so it is refused, and so is a claim's approval."""
    with db() as s:
        earlier = add_held_session(s, meeting_uuid="another==", attendance_final_at=SAMPLE_START + timedelta(days=1))
        ann = s.get(Person, held.ann)
        register(s, earlier, ann, None)
        join(s, earlier, ann)
        claim = CostClaim(session_id=earlier.id, person_id=held.ann, amount_pence=200, what_for="phone minutes",
                          status="claimed", created_by="Test Staff", created_at=SAMPLE_START)
        s.add(claim)
        s.flush()
        earlier_id, claim_id = earlier.id, claim.id
    client.post(f"/api/v1/sessions/{earlier_id}/attendance/recompute", headers=staff_headers)
    (proposed,) = client.get(f"/api/v1/sessions/{earlier_id}/payments", headers=staff_headers).get_json()["payments"]
    assert proposed["status"] == "proposed" and proposed["amount_pence"] == 5000

    assert erase(client, staff_headers, held.ann).status_code == 200
    for body in ({"action": "approve"}, {"action": "adjust", "amount_pence": 6000, "reason": "more preparation"},
                 {"action": "adjust", "amount_pence": 0, "reason": "nothing after all"}):
        answer = client.patch(f"/api/v1/payments/{proposed['id']}", headers=staff_headers, json=body)
        assert answer.status_code == 409, body
        assert answer.get_json()["error"]["code"] == "person_erased" and "erased" in answer.get_json()["error"]["message"]
    answer = client.patch(f"/api/v1/cost-claims/{claim_id}", headers=staff_headers, json={"action": "approve"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "person_erased"
    rejected = client.patch(f"/api/v1/payments/{proposed['id']}", headers=staff_headers,
                            json={"action": "reject", "reason": "erased before it was reviewed"})
    assert rejected.status_code == 200, "not paying them is still possible"


def test_erasure_is_refused_while_they_have_a_place_at_a_session_to_come(client, staff_headers, held, db, clock):
    with db() as s:
        later = add_session(s, title="Next time", starts_at=clock.now() + timedelta(days=7))
        register(s, later, s.get(Person, held.ann), None)
        later_id = later.id
    answer = erase(client, staff_headers, held.ann)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "registered"
    assert f"session {later_id}" in answer.get_json()["error"]["message"]
    with db() as s:
        registration = s.scalar(select(Registration).where(Registration.session_id == later_id))
        registration_id = registration.id
    cancelled = client.delete(f"/api/v1/sessions/{later_id}/registrations/{registration_id}", headers=staff_headers)
    assert cancelled.status_code == 200
    assert erase(client, staff_headers, held.ann).status_code == 200


def test_erasure_waits_until_attendance_is_final(client, staff_headers, held, db):
    with db() as s:
        s.get(SessionRow, held.session_id).attendance_final_at = None
    answer = erase(client, staff_headers, held.ann)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "attendance_not_final"


def test_someone_on_the_staff_list_is_not_erased(client, staff_headers, held, db):
    with db() as s:
        ann = s.get(Person, held.ann)
        details.change(s, ann, {"is_staff": True}, details.by_staff("test"), ann.created_at)
    answer = erase(client, staff_headers, held.ann)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "staff"


def test_erasure_refuses_a_reason_that_is_not_one_line_of_text(client, staff_headers, held):
    for reason in (42, "x" * 501, "two\nlines"):
        answer = erase(client, staff_headers, held.ann, reason=reason)
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "reason"
    answer = erase(client, staff_headers, held.ann, why="no")
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "why"


def test_erasing_someone_not_held_is_404(client, staff_headers):
    answer = erase(client, staff_headers, 999)
    assert answer.status_code == 404 and answer.get_json()["error"]["field"] == "person_id"


def test_the_command_line_erases_and_says_what_it_did_once(held, db, zoombridge_cli):
    first = zoombridge_cli("people", "erase", str(held.ann), "--reason", "letter")
    assert first.output.startswith(f"person {held.ann} erased (")
    again = zoombridge_cli("people", "erase", str(held.ann))
    assert "already erased" in again.output
    with db() as s:
        lines = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")))
        assert [(x.actor, x.details["reason"]) for x in lines] == [("command line", "letter")]
        assert s.scalar(select(func.count()).select_from(Person).where(Person.email.is_(None))) == 1
    refused = zoombridge_cli("people", "erase", "999", check=False)
    assert refused.exit_code == 1 and "There is no person 999." in refused.output


def test_erasure_waits_for_a_correction_to_what_was_paid_to_reach_finance(client, staff_headers, held, db):
    """A payment exported and then rejected leaves money to take back: finance needs their details first."""
    with db() as s:
        decision_id = s.scalar(select(PaymentDecision.id).where(PaymentDecision.person_id == held.ann,
                                                                PaymentDecision.is_current.is_(True)))
    rejected = client.patch(f"/api/v1/payments/{decision_id}", headers=staff_headers,
                            json={"action": "reject", "reason": "counted twice"})
    assert rejected.status_code == 200
    answer = erase(client, staff_headers, held.ann)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "payment_not_exported"
    export = client.post("/api/v1/payments/export", headers=staff_headers).get_data(as_text=True)
    assert "ann@example.org" in export and "-50.00" in export
    assert erase(client, staff_headers, held.ann).status_code == 200


def current_money(db, person_id) -> list[tuple]:
    with db() as s:
        decisions = [(d.session_id, d.version, d.status, d.amount_pence, d.is_current, d.row_version)
                     for d in s.scalars(select(PaymentDecision).where(PaymentDecision.person_id == person_id)
                                        .order_by(PaymentDecision.id))]
        paid = [(line.id, line.amount_pence) for line in s.scalars(select(LedgerLine).where(
            LedgerLine.person_id == person_id))]
    return decisions + paid


def test_what_an_erased_person_was_paid_cannot_be_taken_back_raised_or_changed(client, staff_headers, held, db):
    """Her £50 was exported before the erasure: a rejection or an adjustment would send finance a
    correction for someone it cannot reach, and a changed claim would rewrite what it was worked
    out from. Each is refused with 409 `person_erased`, naming the person, and writes nothing."""
    with db() as s:
        decision_id = s.scalar(select(PaymentDecision.id).where(PaymentDecision.person_id == held.ann,
                                                                PaymentDecision.is_current.is_(True)))
    assert erase(client, staff_headers, held.ann).status_code == 200
    before, audit_lines = current_money(db, held.ann), audit_count(db)
    for body in ({"action": "reject", "reason": "counted twice"},
                 {"action": "adjust", "amount_pence": 4000, "reason": "left early"},
                 {"action": "adjust", "amount_pence": 0, "reason": "not eligible after all"},
                 {"action": "approve"}):
        answer = client.patch(f"/api/v1/payments/{decision_id}", headers=staff_headers, json=body)
        assert answer.status_code == 409, (body, answer.get_data(as_text=True))
        assert answer.get_json()["error"] | {"message": ""} == {"code": "person_erased", "field": "person_id",
                                                                "message": ""}, body
    claim = client.put(f"/api/v1/sessions/{held.session_id}/claims/{held.ann}", headers=staff_headers,
                       json={"payment_choice": "voucher"})
    assert claim.status_code == 409 and claim.get_json()["error"]["code"] == "person_erased"
    assert current_money(db, held.ann) == before and audit_count(db) == audit_lines
    assert client.post("/api/v1/payments/export", headers=staff_headers).headers["X-Export-Rows"] == "0"


def audit_count(db) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def test_a_recompute_leaves_an_erased_persons_decisions_as_they_were(client, staff_headers, held, db):
    """Paid preparation raises what the policy pays everyone at the session: Bo's decision comes
    back for review at the new amount; erased Ann's stays the version finance paid."""
    assert erase(client, staff_headers, held.ann).status_code == 200
    ann_before = current_money(db, held.ann)
    answer = client.put(f"/api/v1/sessions/{held.session_id}/preparation", headers=staff_headers,
                        json={"preparation_minutes": 30})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["recomputed"] == {"new_versions": 1, "unchanged": 0, "needs_review": 1}
    again = client.post(f"/api/v1/sessions/{held.session_id}/attendance/recompute", headers=staff_headers)
    assert again.get_json()["recomputed"] == {"new_versions": 0, "unchanged": 1, "needs_review": 0}
    assert current_money(db, held.ann) == ann_before
    payments = {p["person_id"]: p for p in client.get(f"/api/v1/sessions/{held.session_id}/payments",
                                                      headers=staff_headers).get_json()["payments"]}
    assert (payments[held.bo]["status"], payments[held.bo]["amount_pence"]) == ("needs_review", 6250)
    assert (payments[held.ann]["status"], payments[held.ann]["amount_pence"], payments[held.ann]["version"]) == (
        "exported", 5000, 1)
