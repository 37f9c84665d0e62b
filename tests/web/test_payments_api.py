import csv
import io

import pytest
from sqlalchemy import func, select

from tests.sample_session import add_held_session, add_person, join, register
from zoombridge.store.models import AuditEntry, PaymentDecision, Person


@pytest.fixture
def coprod(db):
    """A co-production session: Ann attended all of it, Bo half, Sam (staff) all, a guest unmatched."""
    with db() as s:
        session = add_held_session(s)
        ann, bo, cy, sam = add_person(s, "Ann"), add_person(s, "Bo"), add_person(s, "Cy"), add_person(s, "Sam", is_staff=True)
        for person in (ann, bo, cy, sam):
            register(s, session, person)
        join(s, session, ann, segments=((0, 120),))
        join(s, session, bo, segments=((0, 60),))
        join(s, session, sam, segments=((0, 120),))
        guest = join(s, session, None, key="zoom:16778299", segments=((2, 118),), display_name="Cy's iPad")
        return {"session": session.id, "ann": ann.id, "bo": bo.id, "cy": cy.id, "sam": sam.id, "guest": guest.id}


def recompute(client, headers, session_id):
    response = client.post(f"/api/v1/sessions/{session_id}/attendance/recompute", headers=headers)
    assert response.status_code == 200
    return response.get_json()["recomputed"]


def payments(client, headers, session_id):
    body = client.get(f"/api/v1/sessions/{session_id}/payments", headers=headers).get_json()
    return {p["person_id"]: p for p in body["payments"]}


def export(client, headers):
    response = client.post("/api/v1/payments/export", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_api_needs_a_staff_token(client, coprod):
    assert client.get(f"/api/v1/sessions/{coprod['session']}/attendance").status_code == 401
    assert client.post("/api/v1/payments/export").status_code == 401


def test_attendance_lists_people_with_minutes_sources_and_decisions_and_the_unmatched(client, staff_headers, coprod):
    recompute(client, staff_headers, coprod["session"])
    body = client.get(f"/api/v1/sessions/{coprod['session']}/attendance", headers=staff_headers).get_json()
    people = {p["person_id"]: p for p in body["people"]}
    assert people[coprod["ann"]]["minutes"] == 120.0
    assert people[coprod["ann"]]["sources"] == ["webhook"]
    assert people[coprod["ann"]]["decision"]["amount_pence"] == 5000
    assert people[coprod["bo"]]["decision"]["eligible"] is False
    assert [u["id"] for u in body["unmatched"]] == [coprod["guest"]]
    assert body["unmatched"][0]["minutes"] == 116.0
    unmatched = client.get(f"/api/v1/sessions/{coprod['session']}/participants?unmatched=1", headers=staff_headers)
    assert [p["display_name"] for p in unmatched.get_json()["participants"]] == ["Cy's iPad"]


def test_manual_matching_is_audited_and_recomputes(client, staff_headers, coprod, db):
    recompute(client, staff_headers, coprod["session"])
    assert payments(client, staff_headers, coprod["session"])[coprod["cy"]]["eligible"] is False
    response = client.post(f"/api/v1/sessions/{coprod['session']}/participants/{coprod['guest']}/match",
                           json={"person_id": coprod["cy"]}, headers=staff_headers)
    assert response.status_code == 200
    cy = payments(client, staff_headers, coprod["session"])[coprod["cy"]]
    assert (cy["eligible"], cy["amount_pence"], cy["version"]) == (True, 5000, 2)
    seen = client.get(f"/api/v1/sessions/{coprod['session']}/attendance", headers=staff_headers).get_json()
    assert {p["person_id"]: p["minutes"] for p in seen["people"]}[coprod["cy"]] == 116.0  # the guest's time is Cy's
    assert seen["unmatched"] == []
    audit = client.get(f"/api/v1/audit?subject_type=participant&subject_id={coprod['guest']}",
                       headers=staff_headers).get_json()["entries"]
    assert [(e["action"], e["actor"], e["details"]["person_id"]) for e in audit] == [
        ("participant.matched", "Test Staff", coprod["cy"])]


def test_matching_refuses_bad_input_naming_the_field_and_writes_nothing(client, staff_headers, coprod, db):
    url = f"/api/v1/sessions/{coprod['session']}/participants/{coprod['guest']}/match"
    bad = client.post(url, json={"person_id": "three"}, headers=staff_headers)
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (400, "person_id")
    missing = client.post(url, json={"person_id": 9999}, headers=staff_headers)
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (400, "person_id")
    other = client.post(f"/api/v1/sessions/{coprod['session']}/participants/9999/match",
                        json={"person_id": coprod["cy"]}, headers=staff_headers)
    assert other.status_code == 404
    with db() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "participant.matched")) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "pay"}, "action"),
    ({"action": "adjust", "amount_pence": 100}, "reason"),
    ({"action": "adjust", "reason": "x", "amount_pence": -1}, "amount_pence"),
    ({"action": "reject"}, "reason"),
])
def test_a_review_action_without_its_reason_or_amount_is_refused_naming_the_field(
        client, staff_headers, coprod, db, body, field):
    recompute(client, staff_headers, coprod["session"])
    ann = payments(client, staff_headers, coprod["session"])[coprod["ann"]]
    response = client.patch(f"/api/v1/payments/{ann['id']}", json=body, headers=staff_headers)
    assert (response.status_code, response.get_json()["error"]["field"]) == (400, field)
    assert payments(client, staff_headers, coprod["session"])[coprod["ann"]] == ann  # nothing changed


def test_a_review_action_on_a_superseded_version_is_refused_as_stale(client, staff_headers, coprod):
    recompute(client, staff_headers, coprod["session"])
    ann = payments(client, staff_headers, coprod["session"])[coprod["ann"]]
    url = f"/api/v1/payments/{ann['id']}"
    assert client.patch(url, json={"action": "adjust", "amount_pence": 5500, "reason": "helped facilitate"},
                        headers=staff_headers).status_code == 200
    stale = client.patch(url, json={"action": "approve"}, headers=staff_headers)
    assert stale.status_code == 409


def test_export_is_approved_payments_once_and_a_second_export_repeats_nothing(client, staff_headers, coprod, db):
    session_id = coprod["session"]
    recompute(client, staff_headers, session_id)
    ann = payments(client, staff_headers, session_id)[coprod["ann"]]
    assert client.patch(f"/api/v1/payments/{ann['id']}", json={"action": "approve"}, headers=staff_headers).status_code == 200
    assert [r["reference"] for r in export(client, staff_headers)] == [f"decision-{ann['id']}-v1"]
    with db() as s:
        exported = s.get(PaymentDecision, ann["id"])
        assert (exported.status, exported.export_batch is not None) == ("exported", True)
    assert export(client, staff_headers) == []
    exports = client.get("/api/v1/audit?action=payments.exported", headers=staff_headers).get_json()["entries"]
    assert [e["details"]["payment_decisions"] for e in exports] == [[], [ann["id"]]]  # newest first
    again = client.patch(f"/api/v1/payments/{ann['id']}", json={"action": "approve"}, headers=staff_headers)
    assert again.status_code == 409


def test_the_export_csv_has_what_finance_needs(client, staff_headers, coprod):
    session_id = coprod["session"]
    recompute(client, staff_headers, session_id)
    ann = payments(client, staff_headers, session_id)[coprod["ann"]]
    client.patch(f"/api/v1/payments/{ann['id']}", json={"action": "approve"}, headers=staff_headers)
    rows = export(client, staff_headers)
    assert len(rows) == 1
    row = rows[0]
    assert (row["type"], row["person_id"], row["first_name"], row["amount_pence"], row["amount_gbp"], row["pay_by"]) == (
        "session_payment", str(coprod["ann"]), "Ann", "5000", "50.00", "cash")
    assert row["approved_by"] == "Test Staff" and row["rule_version"]


def test_unapproved_and_ineligible_decisions_are_not_exported(client, staff_headers, coprod):
    recompute(client, staff_headers, coprod["session"])
    assert export(client, staff_headers) == []


def test_cost_claims_for_any_attendee_are_approved_then_exported(client, staff_headers, coprod, db):
    with db() as s:
        cuppa = add_held_session(s, kind="cuppa", meeting_uuid="cuppa-1")
        stranger = add_person(s, "Zed")
        register(s, cuppa, s.get(Person, coprod["bo"]))
        cuppa_id, stranger_id = cuppa.id, stranger.id
    url = f"/api/v1/sessions/{cuppa_id}/cost-claims"
    created = client.post(url, json={"person_id": coprod["bo"], "amount_pence": 350, "what_for": "phone minutes"},
                          headers=staff_headers)
    assert created.status_code == 201
    claim = created.get_json()["cost_claim"]
    refused = client.post(url, json={"person_id": stranger_id, "amount_pence": 350, "what_for": "data"},
                          headers=staff_headers)
    assert (refused.status_code, refused.get_json()["error"]["field"]) == (400, "person_id")
    no_amount = client.post(url, json={"person_id": coprod["bo"], "amount_pence": "3.50", "what_for": "data"},
                            headers=staff_headers)
    assert no_amount.get_json()["error"]["field"] == "amount_pence"
    assert export(client, staff_headers) == []
    approved = client.patch(f"/api/v1/cost-claims/{claim['id']}", json={"action": "approve"}, headers=staff_headers)
    assert approved.get_json()["cost_claim"]["status"] == "approved"
    rows = export(client, staff_headers)
    assert [(r["type"], r["amount_gbp"], r["what_for"]) for r in rows] == [("cost_claim", "3.50", "phone minutes")]
    assert export(client, staff_headers) == []
    listed = client.get(url, headers=staff_headers).get_json()["cost_claims"]
    assert listed[0]["status"] == "exported"


def test_a_declined_claim_recorded_by_staff_stops_payment_and_is_audited(client, staff_headers, coprod):
    session_id = coprod["session"]
    recompute(client, staff_headers, session_id)
    response = client.put(f"/api/v1/sessions/{session_id}/claims/{coprod['ann']}",
                          json={"payment_choice": "declined"}, headers=staff_headers)
    assert response.status_code == 200
    ann = payments(client, staff_headers, session_id)[coprod["ann"]]
    assert (ann["eligible"], ann["reason"]) == (False, "Declined payment.")
    bad = client.put(f"/api/v1/sessions/{session_id}/claims/{coprod['ann']}", json={"payment_choice": "bitcoin"},
                     headers=staff_headers)
    assert bad.get_json()["error"]["field"] == "payment_choice"
    audit = client.get("/api/v1/audit?action=payment_claim.updated", headers=staff_headers).get_json()["entries"]
    assert audit[0]["details"]["after"]["payment_choice"] == "declined"


def test_preparation_time_is_added_per_session(client, staff_headers, coprod):
    session_id = coprod["session"]
    response = client.put(f"/api/v1/sessions/{session_id}/preparation", json={"preparation_minutes": 30},
                          headers=staff_headers)
    assert response.status_code == 200
    assert payments(client, staff_headers, session_id)[coprod["ann"]]["amount_pence"] == 6250
    bad = client.put(f"/api/v1/sessions/{session_id}/preparation", json={"preparation_minutes": -5}, headers=staff_headers)
    assert bad.get_json()["error"]["field"] == "preparation_minutes"


def test_a_participant_statement_in_text_and_html(client, staff_headers, coprod):
    recompute(client, staff_headers, coprod["session"])
    text = client.get(f"/api/v1/people/{coprod['ann']}/statement?format=text", headers=staff_headers)
    assert text.mimetype == "text/plain"
    body = text.get_data(as_text=True)
    assert "Dear Ann" in body and "120 minutes" in body and "£50.00 proposed" in body
    assert "and so do vouchers" in body and "Citizens Advice" in body
    html = client.get(f"/api/v1/people/{coprod['bo']}/statement?format=html", headers=staff_headers)
    assert html.mimetype == "text/html"
    assert "Not paid. Attended 60 of 120 minutes" in html.get_data(as_text=True)
    assert client.get("/api/v1/people/9999/statement", headers=staff_headers).status_code == 404
    unknown = client.get(f"/api/v1/people/{coprod['ann']}/statement?format=true", headers=staff_headers)
    assert (unknown.status_code, unknown.json["error"]["field"]) == (400, "format")  # was answered as JSON
