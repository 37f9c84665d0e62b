"""End to end: a paid co-production session from registration to the finance CSV.

Thirty people register through the staff API (some asking to be paid, one of them staff). The
stand-in's player plays the `copro` script against the served app with two webhooks lost; the
reconciliation job reads the stand-in's participant report and recovers the lost time; staff
match a guest who came in by the generic link, record the claims people confirmed, approve,
and export. Everyone's money is checked to the penny, and a second export pays nobody again.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import WEBHOOK_SECRET
from tests.sessions.api_client import Api
from zoombridge import staff_members
from zoombridge.sandbox.player import MeetingPlayer
from zoombridge.store.models import Person, Registration

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
SCRIPT_MINUTES = 150  # the copro script; the session is booked for 180
FULL_PAY = 6250  # 150 minutes at £25 an hour: attended ~148 min, rounded up to 15 min
# The player's cast, in registration order (zoombridge/sandbox/scripts.py):
# 0 waiting room, then all session; 1 phone with PIN; 2 drops at 62 min, rejoins at 66;
# 3 first half only; 4 second half only; 5+ all session.
NAMES = ["Ann", "Bo", "Cy", "Dee", "Ed", "Flo", "Sam", "Gus", "Hal", "Ivy", "Jo"] + [f"Member{n}" for n in range(18)]
STAFF = "Sam"
OPTED_IN = {"Ann", "Bo", "Cy", "Dee", "Ed", "Flo", "Sam", "Gus", "Hal", "Ivy", "Jo", "Priya"}
GUEST = "Priya"  # her personal link failed; she came in by the generic link as "Priya's iPad"


@pytest.fixture
def settings(settings, standin_server):
    return settings.with_changes(zoom_api_base=standin_server.url + "/v2", zoom_oauth_base=standin_server.url)


def lost_joins(performance, registrant_ids: set[str], which: dict[str, int]) -> list[int]:
    """Delivery numbers of the n-th `participant_joined` of each named registrant id."""
    seen: dict[str, int] = {}
    numbers = []
    for number, delivery in enumerate(performance.deliveries, start=1):
        if delivery.event != "meeting.participant_joined":
            continue
        rid = delivery.body["payload"]["object"]["participant"]["registrant_id"]
        if rid in registrant_ids:
            seen[rid] = seen.get(rid, 0) + 1
            if which.get(rid) == seen[rid]:
                numbers.append(number)
    return numbers


def test_thirty_people_from_registration_to_the_finance_export(app, app_server, client, staff_headers, db, run_jobs,
                                                              standin_server, clock):
    api = Api(client, staff_headers)
    with app.app_context(), db() as s:
        staff_members.add(s, "sam@example.org", STAFF, clock.now())
    session = api.new_session(kind="co-production", title="Our payment policy", start="2026-12-08T10:00")
    sid = session["id"]
    for name in NAMES + [GUEST]:
        api.register(sid, first_name=name, email=f"{name.lower()}@example.org", wants_payment=name in OPTED_IN,
                     joins_by="phone" if name == "Bo" else "video")
    run_jobs()
    (meeting,) = standin_server.state.meetings.values()
    with db() as s:
        people = {p.first_name: p.id for p in s.scalars(select(Person))}
        registrant = {r.person.first_name: r.zoom_registrant_id for r in s.scalars(select(Registration))}
    assert len(standin_server.state.registrants[meeting["id"]]) == 30
    standin_server.state.update_registrant_status(meeting["id"], "cancel", [{"id": registrant[GUEST]}])

    # The meeting: Cy's rejoin and Gus's arrival never reach us (lost webhooks).
    player = MeetingPlayer(standin_server.url, WEBHOOK_SECRET, clock=clock)
    guests = [f"{GUEST}'s iPad"]
    script = player.performance(meeting["id"], "copro", start=T0, guests=guests)
    lost = lost_joins(script, {registrant["Cy"], registrant["Gus"]}, {registrant["Cy"]: 2, registrant["Gus"]: 1})
    assert len(lost) == 2
    clock.set(T0 + timedelta(minutes=SCRIPT_MINUTES))
    played = player.play(meeting["id"], "copro", app_server + "/zoom/webhook", start=T0, omit=lost, guests=guests)
    assert len(played.omitted) == 2 and not played.failed
    run_jobs()

    def minutes() -> dict[str, float]:
        body = api.get(f"/sessions/{sid}/attendance").get_json()
        by_id = {pid: name for name, pid in people.items()}
        return {by_id[p["person_id"]]: p["minutes"] for p in body["people"]}

    before = minutes()  # from the webhooks alone: both below the 135 minutes (75% of 180) that pay
    assert before["Cy"] == 88.9  # 10:02 to 11:02, then only her second breakout room: the rejoin was lost
    assert before["Gus"] == 68.3  # only his two breakout rooms: his arrival was lost
    assert GUEST not in before

    clock.advance(minutes=16)  # the reconciliation waits 15 minutes for Zoom's report
    run_jobs()
    after = minutes()
    assert after["Cy"] == 144.0 and after["Gus"] == 148.0  # recovered from the report
    assert after["Ann"] == 149.5 and after["Dee"] == 72.5 and after["Ed"] == 75.0

    # Staff match the guest by hand; the phone caller who entered no PIN stays unmatched.
    unmatched = api.get(f"/sessions/{sid}/participants?unmatched=1").get_json()["participants"]
    (caller,) = [p for p in unmatched if p["has_phone"]]
    assert {p["display_name"] for p in unmatched} == {guests[0], caller["display_name"], "Host"}
    guest = next(p for p in unmatched if p["display_name"] == guests[0])
    matched = api.post(f"/sessions/{sid}/participants/{guest['id']}/match", {"person_id": people[GUEST]})
    assert matched.status_code == 200 and matched.get_json()["participant"]["matched_by"] == "manual"
    assert minutes()[GUEST] == 147.0

    # Claims as people confirmed them: Hal has not confirmed yet, Ivy declined, Jo takes a voucher.
    confirmations = {name: {"confirmed": True} for name in OPTED_IN - {"Hal"}}
    confirmations["Ivy"] = {"confirmed": True, "payment_choice": "declined"}
    confirmations["Jo"] = {"confirmed": True, "payment_choice": "voucher"}
    for name, claim in sorted(confirmations.items()):
        answer = client.put(f"/api/v1/sessions/{sid}/claims/{people[name]}", json=claim, headers=staff_headers)
        assert answer.status_code == 200, answer.get_json()

    payments = api.get(f"/sessions/{sid}/payments").get_json()["payments"]
    by_id = {pid: name for name, pid in people.items()}
    eligible = {by_id[p["person_id"]]: p for p in payments if p["eligible"]}
    assert set(eligible) == {"Ann", "Bo", "Cy", "Flo", "Gus", "Jo", GUEST}
    reasons = {by_id[p["person_id"]]: p["reason"] for p in payments}
    assert reasons["Sam"] == "Staff are not paid for sessions."
    assert reasons["Hal"] == "Waiting for the person to confirm their claim."
    assert reasons["Ivy"] == "Declined payment."
    assert reasons["Dee"].startswith("Attended 72.5 of 180 minutes") and reasons["Member0"] == "Did not ask to be paid."
    for payment in eligible.values():
        answer = client.patch(f"/api/v1/payments/{payment['id']}", json={"action": "approve"}, headers=staff_headers)
        assert answer.status_code == 200, answer.get_json()

    exported = api.post("/payments/export")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert sorted((r["first_name"], r["email"], r["pay_by"], r["amount_pence"], r["amount_gbp"]) for r in rows) == sorted(
        (name, f"{name.lower()}@example.org", "voucher" if name == "Jo" else "cash", str(FULL_PAY), "62.50")
        for name in ("Ann", "Bo", "Cy", "Flo", "Gus", "Jo", GUEST))
    assert {r["session_id"] for r in rows} == {str(sid)} and exported.headers["X-Export-Total-Pence"] == str(7 * FULL_PAY)

    again = api.post("/payments/export")
    assert again.status_code == 200 and again.headers["X-Export-Rows"] == "0"
    assert list(csv.DictReader(io.StringIO(again.get_data(as_text=True)))) == []
