"""The payment ledger through the staff API: each export pays the difference between what is due
and what earlier exports paid; adjustments stay within the policy's never-paid cases; the finance
CSV shows dates in UK time and no cell can run as a spreadsheet formula (issue 13, items 1, 3, 5, 6)."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import CREATED, add_session
from tests.sample_session import add_held_session, add_person, join, register
from zoombridge.people import details
from zoombridge.spreadsheet_csv import FORMULA_STARTS
from zoombridge.store.models import AuditEntry, LedgerLine, PaymentDecision, Person


@pytest.fixture
def held(db):
    """A co-production session that has happened: Ann attended all 120 minutes (£50), Bo 60 (not eligible),
    Sam is staff, Olu attended all of it but did not ask to be paid."""
    with db() as s:
        session = add_held_session(s)
        ann, bo, sam, olu = (add_person(s, "Ann"), add_person(s, "Bo"), add_person(s, "Sam", is_staff=True),
                             add_person(s, "Olu"))
        for person in (ann, bo, sam):
            register(s, session, person)
        register(s, session, olu, wants_payment=False)
        join(s, session, ann, segments=((0, 120),))
        join(s, session, bo, segments=((0, 60),))
        join(s, session, sam, segments=((0, 120),))
        join(s, session, olu, segments=((0, 120),))
        return {"session": session.id, "ann": ann.id, "bo": bo.id, "sam": sam.id, "olu": olu.id}


def api(client, headers, method, url, **body):
    return getattr(client, method)(url, json=body if body else None, headers=headers)


def current(client, headers, session_id):
    body = client.get(f"/api/v1/sessions/{session_id}/payments", headers=headers).get_json()
    return {p["person_id"]: p for p in body["payments"]}


def recompute(client, headers, session_id):
    assert api(client, headers, "post", f"/api/v1/sessions/{session_id}/attendance/recompute").status_code == 200
    return current(client, headers, session_id)


def review(client, headers, decision_id, **body):
    return client.patch(f"/api/v1/payments/{decision_id}", json=body, headers=headers)


def export_rows(client, headers):
    response = client.post("/api/v1/payments/export", headers=headers)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def ledger_total(db, session_id, person_id):
    with db() as s:
        return s.scalar(select(func.coalesce(func.sum(LedgerLine.amount_pence), 0)).where(
            LedgerLine.session_id == session_id, LedgerLine.person_id == person_id))


def test_a_new_version_after_an_export_pays_only_the_difference_never_the_same_money_twice(client, staff_headers,
                                                                                           held, db):
    sid, ann = held["session"], held["ann"]
    first = recompute(client, staff_headers, sid)[ann]
    assert review(client, staff_headers, first["id"], action="approve").status_code == 200
    assert [(r["type"], r["amount_pence"]) for r in export_rows(client, staff_headers)] == [("session_payment", "5000")]

    # Her claim changes after the export (a voucher instead of cash): a new version for the same £50 ...
    changed = client.put(f"/api/v1/sessions/{sid}/claims/{ann}", json={"payment_choice": "voucher"},
                         headers=staff_headers)
    assert changed.status_code == 200
    second = current(client, staff_headers, sid)[ann]
    assert (second["version"], second["status"], second["amount_pence"], second["paid_pence"]) == (
        2, "needs_review", 5000, 5000)
    assert review(client, staff_headers, second["id"], action="approve").get_json()["payment"]["to_pay_pence"] == 0
    # ... which pays nothing more: it was paid once already.
    assert export_rows(client, staff_headers) == []
    assert ledger_total(db, sid, ann) == 5000

    # Preparation time added later: the export pays the £12.50 more, as a correction saying why.
    client.put(f"/api/v1/sessions/{sid}/preparation", json={"preparation_minutes": 30}, headers=staff_headers)
    third = current(client, staff_headers, sid)[ann]
    assert (third["amount_pence"], third["status"]) == (6250, "needs_review")
    review(client, staff_headers, third["id"], action="approve")
    [up] = export_rows(client, staff_headers)
    assert (up["type"], up["amount_pence"], up["amount_gbp"], up["due_pence"], up["paid_before_pence"]) == (
        "correction", "1250", "12.50", "6250", "5000")
    assert up["what_for"].startswith("Correction: £62.50 due now, £50.00 paid before.")
    assert up["reference"] == f"decision-{third['id']}-v3"

    # Rejected after being paid: the next export takes the money back with a negative line.
    assert review(client, staff_headers, third["id"], action="reject", reason="Claimed twice by mistake").status_code == 200
    [down] = export_rows(client, staff_headers)
    assert (down["type"], down["amount_pence"], down["amount_gbp"]) == ("correction", "-6250", "-62.50")
    assert "Rejected by staff: Claimed twice by mistake" in down["what_for"]
    assert ledger_total(db, sid, ann) == 0
    assert export_rows(client, staff_headers) == []


def test_a_decision_version_settles_the_ledger_once(client, staff_headers, held, db):
    sid, ann = held["session"], held["ann"]
    decision = recompute(client, staff_headers, sid)[ann]
    review(client, staff_headers, decision["id"], action="approve")
    export_rows(client, staff_headers)
    with db() as s:
        paid = s.scalar(select(LedgerLine).where(LedgerLine.decision_id == decision["id"]))
        s.add(LedgerLine(**{c: getattr(paid, c) for c in LedgerLine.__table__.columns.keys() if c != "id"}))
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            s.flush()
        s.rollback()


@pytest.mark.parametrize("who", ["sam", "olu"])
def test_an_adjustment_cannot_pay_staff_or_someone_who_did_not_ask_to_be_paid(client, staff_headers, held, db, who):
    sid = held["session"]
    decision = recompute(client, staff_headers, sid)[held[who]]
    refused = review(client, staff_headers, decision["id"], action="adjust", amount_pence=100000, reason="because")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["field"] == "amount_pence"
    assert "Cannot be paid" in refused.get_json()["error"]["message"]
    after = current(client, staff_headers, sid)[held[who]]
    assert (after["id"], after["amount_pence"], after["status"]) == (decision["id"], 0, "proposed")
    assert review(client, staff_headers, decision["id"], action="approve").status_code == 409
    assert export_rows(client, staff_headers) == []
    with db() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "payment_decision.adjusted")) == 0


def test_an_adjustment_cannot_pay_for_an_unpaid_kind_of_session(client, staff_headers, db):
    with db() as s:
        cuppa = add_held_session(s, kind="cuppa", meeting_uuid="cuppa-1")
        ann = add_person(s, "Ann")
        register(s, cuppa, ann)
        join(s, cuppa, ann, segments=((0, 120),))
        sid, ann_id = cuppa.id, ann.id
    decision = recompute(client, staff_headers, sid)[ann_id]
    refused = review(client, staff_headers, decision["id"], action="adjust", amount_pence=100000, reason="x")
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (409, "amount_pence")
    assert "cuppa sessions are not paid" in refused.get_json()["error"]["message"]


def test_an_adjustment_cannot_pay_for_a_session_not_yet_held(client, staff_headers, db, clock):
    with db() as s:
        later = add_session(s, starts_at=clock.now() + timedelta(days=2), meeting_uuid="later")
        ann = add_person(s, "Ann")
        register(s, later, ann)
        sid, ann_id = later.id, ann.id
    decision = recompute(client, staff_headers, sid)[ann_id]
    refused = review(client, staff_headers, decision["id"], action="adjust", amount_pence=2500, reason="in advance")
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (409, "amount_pence")
    assert "has not ended" in refused.get_json()["error"]["message"]
    # Setting it to nothing is not paying anyone: allowed.
    assert review(client, staff_headers, decision["id"], action="adjust", amount_pence=0,
                  reason="will not come").status_code == 200


def test_an_adjustment_above_the_policy_needs_a_reason_and_is_marked_in_the_export_and_audit(client, staff_headers,
                                                                                              held):
    sid = held["session"]
    decisions = recompute(client, staff_headers, sid)
    bo, ann = decisions[held["bo"]], decisions[held["ann"]]
    no_reason = review(client, staff_headers, bo["id"], action="adjust", amount_pence=3000)
    assert (no_reason.status_code, no_reason.get_json()["error"]["field"]) == (400, "reason")
    answer = review(client, staff_headers, bo["id"], action="adjust", amount_pence=3000,
                    reason="Lost connection; stayed on the phone").get_json()["payment"]
    assert (answer["policy_pence"], answer["above_policy_pence"]) == (0, 3000)
    within = review(client, staff_headers, ann["id"], action="adjust", amount_pence=4000, reason="Left early")
    assert within.get_json()["payment"]["above_policy_pence"] == 0

    rows = {r["person_id"]: r for r in export_rows(client, staff_headers)}
    bo_row, ann_row = rows[str(held["bo"])], rows[str(held["ann"])]
    assert (bo_row["amount_pence"], bo_row["policy_pence"], bo_row["above_policy_pence"]) == ("3000", "0", "3000")
    assert "above policy" in bo_row["what_for"] and "Lost connection" in bo_row["what_for"]
    assert (ann_row["amount_pence"], ann_row["above_policy_pence"]) == ("4000", "0")

    audit = client.get("/api/v1/audit?action=payment_decision.adjusted", headers=staff_headers).get_json()["entries"]
    by_person = {e["details"]["person_id"]: e["details"] for e in audit}
    assert (by_person[held["bo"]]["above_policy"], by_person[held["bo"]]["above_policy_pence"]) == (True, 3000)
    assert by_person[held["ann"]]["above_policy"] is False
    exported = client.get("/api/v1/audit?action=payments.exported", headers=staff_headers).get_json()["entries"][0]
    assert len(exported["details"]["above_policy_lines"]) == 1


def test_the_finance_csv_dates_a_session_by_the_uk_calendar(client, staff_headers, db):
    with db() as s:
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
        late = add_held_session(s, meeting_uuid="late-night")
        late.starts_at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        late.started_at, late.ended_at = late.starts_at, late.starts_at + timedelta(minutes=120)
        ann = add_person(s, "Ann")
        register(s, late, ann)
        join(s, late, ann, segments=())
        sid, ann_id = late.id, ann.id
    with db() as s:
        from zoombridge.store.models import AttendanceSegment, Participant

        participant = s.scalar(select(Participant).where(Participant.person_id == ann_id))
        s.add(AttendanceSegment(participant_id=participant.id, meeting_uuid="late-night", place="main",
                                joined_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
                                left_at=datetime(2026, 7, 1, 1, 30, tzinfo=UTC), source="webhook", closed_by="left"))
    decision = recompute(client, staff_headers, sid)[ann_id]
    review(client, staff_headers, decision["id"], action="approve")
    [row] = export_rows(client, staff_headers)
    assert row["session_date"] == "2026-07-01"


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _assert_no_formula_cells(text: str) -> int:
    checked = 0
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            if value and not NUMBER.fullmatch(value):
                assert not value.startswith(FORMULA_STARTS), value
                checked += 1
    return checked


def test_no_cell_of_the_finance_csv_can_run_as_a_formula(client, staff_headers, db, app):
    with db() as s:
        session = add_held_session(s, title="+SUM(A1:A9)")
        mallory = add_person(s, "=HYPERLINK(\"http://x\")", email="=1+1@x.co")
        register(s, session, mallory)
        join(s, session, mallory, segments=((0, 120),))
        sid, mallory_id = session.id, mallory.id
    decision = recompute(client, staff_headers, sid)[mallory_id]
    review(client, staff_headers, decision["id"], action="adjust", amount_pence=5000, reason="-2+3")
    claim = client.post(f"/api/v1/sessions/{sid}/cost-claims",
                        json={"person_id": mallory_id, "amount_pence": 300, "what_for": "@SUM(1)"},
                        headers=staff_headers).get_json()["cost_claim"]
    client.patch(f"/api/v1/cost-claims/{claim['id']}", json={"action": "approve"}, headers=staff_headers)
    response = client.post("/api/v1/payments/export", headers=staff_headers)
    text = response.get_data(as_text=True)
    assert _assert_no_formula_cells(text) > 20
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["email"] == "'=1+1@x.co" and rows[0]["first_name"].startswith("'=HYPERLINK")
    assert rows[0]["session_title"] == "'+SUM(A1:A9)" and rows[0]["what_for"].startswith("Adjusted by staff: -2+3")
    assert rows[1]["what_for"] == "'@SUM(1)"
    # A negative correction is still a number finance can add up.
    review(client, staff_headers, current(client, staff_headers, sid)[mallory_id]["id"], action="reject", reason="=bad")
    text = client.post("/api/v1/payments/export", headers=staff_headers).get_data(as_text=True)
    _assert_no_formula_cells(text)
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["amount_pence"], row["amount_gbp"]) == ("-5000", "-50.00")


def test_no_cell_of_the_breakout_csv_can_run_as_a_formula(client, staff_headers, db):
    with db() as s:
        session = add_session(s, kind="cuppa", meeting_uuid="cuppa-csv")
        people = [add_person(s, name, email=email) for name, email in
                  (("Ann", "=1+1@x.co"), ("Bo", "+44@x.co"), ("Cy", "-cmd@x.co"), ("Di", "@x@x.co"),
                   ("Ed", "ed@example.org"), ("Sam", "sam@example.org"))]
        details.change(s, people[-1], {"is_staff": True}, details.by_staff("test"), CREATED)
        for person in people:
            register(s, session, person)
        sid = session.id
    made = client.post(f"/api/v1/sessions/{sid}/breakout-plan", json={"room_size": 3, "seed": 1},
                       headers=staff_headers)
    assert made.status_code == 201, made.get_json()
    text = client.get(f"/api/v1/sessions/{sid}/breakout-plan.csv", headers=staff_headers).get_data(as_text=True)
    assert _assert_no_formula_cells(text) >= 6
    emails = {row["Email Address"] for row in csv.DictReader(io.StringIO(text))}
    assert {"'=1+1@x.co", "'+44@x.co", "'-cmd@x.co"} <= emails


@pytest.mark.parametrize("address", ["a..b@example.org", "a@example..org", ".a@example.org", "a@-example.org",
                                     "a@localhost", "ann@example"])
def test_addresses_are_checked_by_the_email_syntax_rules(client, staff_headers, db, address):
    with db() as s:
        sid = add_session(s, kind="cuppa", meeting_uuid="cuppa-email").id
    response = client.post(f"/api/v1/sessions/{sid}/registrations",
                           json={"first_name": "Ann", "email": address, "joins_by": "video"}, headers=staff_headers)
    assert (response.status_code, response.get_json()["error"]["field"]) == (400, "email")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_an_exported_payment_cannot_be_approved_again(client, staff_headers, held):
    decision = recompute(client, staff_headers, held["session"])[held["ann"]]
    review(client, staff_headers, decision["id"], action="approve")
    export_rows(client, staff_headers)
    again = review(client, staff_headers, decision["id"], action="approve")
    assert (again.status_code, again.get_json()["error"]["field"]) == (409, "action")


def test_payments_list_shows_what_was_paid_and_what_the_next_export_pays(client, staff_headers, held, db):
    sid = held["session"]
    decision = recompute(client, staff_headers, sid)[held["ann"]]
    review(client, staff_headers, decision["id"], action="approve")
    body = client.get(f"/api/v1/sessions/{sid}/payments", headers=staff_headers).get_json()
    assert (body["totals"]["paid_pence"], body["totals"]["to_pay_pence"]) == (0, 5000)
    export_rows(client, staff_headers)
    body = client.get(f"/api/v1/sessions/{sid}/payments", headers=staff_headers).get_json()
    assert (body["totals"]["paid_pence"], body["totals"]["to_pay_pence"]) == (5000, 0)
    with db() as s:
        assert s.get(PaymentDecision, decision["id"]).status == "exported"


def test_the_payments_api_answers_each_refusal_with_the_domains_code_status_and_field(client, staff_headers, held, db):
    """Refusals reach the caller as the domain said them (`zoombridge.refusals`): never a 500, never
    a code re-labelled on the way (a 409 once came back as `not_found`)."""
    sid = held["session"]
    decisions_now = recompute(client, staff_headers, sid)
    ann, sam = decisions_now[held["ann"]], decisions_now[held["sam"]]
    review(client, staff_headers, ann["id"], action="approve")
    export_rows(client, staff_headers)
    with db() as s:
        unregistered = add_person(s, "Uma").id
    claim = client.post(f"/api/v1/sessions/{sid}/cost-claims", headers=staff_headers,
                        json={"person_id": held["ann"], "amount_pence": 300, "what_for": "phone minutes"})
    claim_id = claim.get_json()["cost_claim"]["id"]
    client.patch(f"/api/v1/cost-claims/{claim_id}", headers=staff_headers, json={"action": "approve"})
    export_rows(client, staff_headers)

    def refused(method, path, **body):
        answer = getattr(client, method)(f"/api/v1{path}", headers=staff_headers, json=body)
        error = answer.get_json()["error"]
        return answer.status_code, error["code"], error.get("field")

    assert refused("patch", f"/payments/{ann['id']}", action="approve") == (409, "conflict", "action")
    assert refused("patch", f"/payments/{sam['id']}", action="adjust", amount_pence=100,
                   reason="helped out") == (409, "not_payable", "amount_pence")
    assert refused("patch", "/payments/99999", action="approve") == (404, "not_found", "id")
    assert refused("put", f"/sessions/{sid}/claims/{unregistered}", confirmed=True) == (404, "not_found", "person_id")
    assert refused("put", f"/sessions/{sid}/claims/{held['ann']}", paid_by="cheque") == (400, "invalid", "paid_by")
    assert refused("put", f"/sessions/{sid}/claims/{held['ann']}", payment_choice="lower",
                   lower_amount_pence=5000) == (400, "invalid", "lower_amount_pence")
    assert refused("put", f"/sessions/{sid}/preparation", preparation_minutes=-1) == (
        400, "invalid", "preparation_minutes")
    assert refused("patch", f"/cost-claims/{claim_id}", action="approve") == (409, "conflict", "action")
    assert refused("post", f"/sessions/{sid}/cost-claims", person_id=unregistered, amount_pence=300,
                   what_for="phone") == (400, "invalid", "person_id")
    assert refused("post", f"/sessions/{sid}/participants/99999/match", person_id=held["ann"]) == (
        404, "not_found", "participant_id")
