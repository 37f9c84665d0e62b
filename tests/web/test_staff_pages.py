import csv
import io
import re

from sqlalchemy import select

from tests.web.conftest import csrf_token_of
from tests.web.staff_page_data import held_session
from zoombridge.planning.breakout import MAX_ROOM_SIZE
from zoombridge.store.models import AuditEntry, Participant, PaymentDecision


def _recompute(staff_client, session_id):
    token = csrf_token_of(staff_client, f"/staff/sessions/{session_id}")
    return staff_client.post(f"/staff/sessions/{session_id}/payments/recompute", data={"csrf_token": token})


def _decision(db, session_id, person_id) -> PaymentDecision:
    with db() as s:
        return s.scalar(select(PaymentDecision).where(PaymentDecision.session_id == session_id,
                                                      PaymentDecision.person_id == person_id,
                                                      PaymentDecision.is_current.is_(True)))


def test_the_sessions_list_shows_each_sessions_status_at_a_glance(staff_client, db, clock):
    held_session(db, clock.now(), ended=False)
    page = staff_client.get("/staff/sessions").data.decode()
    assert "Shaping our website" in page
    for status in ["Meeting created", "Captions verified", "Links sent 1 of 2", "Attendance in progress"]:
        assert status in page


def test_the_session_page_shows_registrations_emails_captions_and_attendance(staff_client, db, clock):
    ids = held_session(db, clock.now())
    page = staff_client.get(f"/staff/sessions/{ids['session_id']}").data.decode()
    assert "Quiet room" in page and "ID 123456" in page  # access needs and the phone caller's ID
    assert "Your link for Shaping our website" in page
    assert "verified on for the host" in page
    assert re.search(r"<td>Ada</td><td class=\"num\">120.0</td>", page)
    assert "“Guest 1”" in page and "who is this?" in page


def test_matching_a_guest_is_audited_and_counts_their_time(staff_client, db, clock):
    ids = held_session(db, clock.now())
    token = csrf_token_of(staff_client, f"/staff/sessions/{ids['session_id']}")
    response = staff_client.post(f"/staff/sessions/{ids['session_id']}/participants/{ids['guest_participant']}/match",
                                 data={"csrf_token": token, "person_id": ids["bo"]})
    assert response.status_code == 302
    page = staff_client.get(response.headers["Location"]).data.decode()
    assert f"Participant {ids['guest_participant']} is matched" in page
    with db() as s:
        assert s.get(Participant, ids["guest_participant"]).person_id == ids["bo"]
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "participant.matched")).actor == "sam@example.org"


def test_matching_without_choosing_a_person_says_so(staff_client, db, clock):
    ids = held_session(db, clock.now())
    token = csrf_token_of(staff_client, f"/staff/sessions/{ids['session_id']}")
    response = staff_client.post(f"/staff/sessions/{ids['session_id']}/participants/{ids['guest_participant']}/match",
                                 data={"csrf_token": token, "person_id": ""}, follow_redirects=True)
    assert "Choose the person this participant is." in response.data.decode()


def test_live_attendance_shows_who_is_where_and_refreshes_by_itself(staff_client, db, clock):
    ids = held_session(db, clock.now(), ended=False)
    page = staff_client.get(f"/staff/sessions/{ids['session_id']}/live").data.decode()
    assert "3 in the main room" in page and "1 not matched" in page
    assert "live.js" in page and "Refresh now" in page
    table = staff_client.get(f"/staff/sessions/{ids['session_id']}/live?part=table").data.decode()
    assert table.startswith('<div id="live-attendance"') and "Guest 1" in table


def test_staff_approve_adjust_and_reject_payments_with_reasons(staff_client, db, clock):
    ids = held_session(db, clock.now())
    sid = ids["session_id"]
    _recompute(staff_client, sid)
    ada = _decision(db, sid, ids["ada"])
    bo = _decision(db, sid, ids["bo"])
    assert (ada.eligible, ada.amount_pence) == (True, 5000)
    token = csrf_token_of(staff_client, "/staff/payments")
    staff_client.post(f"/staff/payments/{ada.id}", data={"csrf_token": token, "action": "approve"})
    assert _decision(db, sid, ids["ada"]).status == "approved"

    refused = staff_client.post(f"/staff/payments/{bo.id}", data={"csrf_token": token, "action": "adjust",
                                                                  "amount": "25"}, follow_redirects=True)
    assert "Give a reason" in refused.data.decode()
    staff_client.post(f"/staff/payments/{bo.id}", data={"csrf_token": token, "action": "adjust", "amount": "£25.00",
                                                        "reason": "Confirmed by phone"})
    adjusted = _decision(db, sid, ids["bo"])
    assert (adjusted.amount_pence, adjusted.status, adjusted.reviewed_by) == (2500, "approved", "sam@example.org")
    staff_client.post(f"/staff/payments/{adjusted.id}", data={"csrf_token": token, "action": "reject",
                                                              "reason": "Duplicate claim"})
    assert _decision(db, sid, ids["bo"]).status == "rejected"


def test_a_bad_amount_is_explained_not_saved(staff_client, db, clock):
    ids = held_session(db, clock.now())
    _recompute(staff_client, ids["session_id"])
    ada = _decision(db, ids["session_id"], ids["ada"])
    token = csrf_token_of(staff_client, "/staff/payments")
    page = staff_client.post(f"/staff/payments/{ada.id}", data={"csrf_token": token, "action": "adjust",
                                                                "amount": "lots", "reason": "x"},
                             follow_redirects=True).data.decode()
    assert "Enter the amount in pounds" in page
    assert _decision(db, ids["session_id"], ids["ada"]).id == ada.id


def test_the_finance_export_downloads_approved_payments_once(staff_client, db, clock):
    ids = held_session(db, clock.now())
    _recompute(staff_client, ids["session_id"])
    ada = _decision(db, ids["session_id"], ids["ada"])
    token = csrf_token_of(staff_client, "/staff/payments")
    staff_client.post(f"/staff/payments/{ada.id}", data={"csrf_token": token, "action": "approve"})
    first = staff_client.post("/staff/payments/export", data={"csrf_token": token})
    assert first.mimetype == "text/csv" and "attachment" in first.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(first.data.decode())))
    assert [(r["first_name"], r["amount_gbp"]) for r in rows] == [("Ada", "50.00")]
    second = staff_client.post("/staff/payments/export", data={"csrf_token": token})
    assert list(csv.DictReader(io.StringIO(second.data.decode()))) == []


def test_the_payments_page_lists_what_needs_review(staff_client, db, clock):
    ids = held_session(db, clock.now())
    _recompute(staff_client, ids["session_id"])
    page = staff_client.get("/staff/payments").data.decode()
    assert "Shaping our website" in page and "Approve<span class=\"visually-hidden\"> Ada" in page


def test_an_unknown_session_is_a_404_page(staff_client):
    response = staff_client.get("/staff/sessions/999")
    assert response.status_code == 404 and b"There is no session 999" in response.data


def test_a_breakout_plan_is_made_viewed_exported_and_pushed_from_the_pages(staff_client, db, clock, staff_person):
    ids = held_session(db, clock.now(), ended=False)
    sid = ids["session_id"]
    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}/breakout-plan")
    assert "No breakout plan yet" in staff_client.get(f"/staff/sessions/{sid}/breakout-plan").data.decode()
    made = staff_client.post(f"/staff/sessions/{sid}/breakout-plan", data={"csrf_token": token, "room_size": "2"},
                             follow_redirects=True).data.decode()
    assert "Breakout plan made" in made and "Round 1" in made and "Ada" in made
    with db() as s:
        from zoombridge.store.models import BreakoutPlan

        plan = s.scalars(select(BreakoutPlan)).one()
        assert plan.created_by == "sam@example.org"
    csv_response = staff_client.get(f"/staff/sessions/{sid}/breakout-plan.csv?plan={plan.id}&round=1")
    assert csv_response.mimetype == "text/csv" and b"Pre-assign Room Name,Email Address" in csv_response.data
    sheet = staff_client.get(f"/staff/sessions/{sid}/breakout-plan/host-sheet?plan={plan.id}")
    assert sheet.status_code == 200 and b"Ada" in sheet.data
    assert "'unsafe-inline'" in sheet.headers["Content-Security-Policy"]
    pushed = staff_client.post(f"/staff/sessions/{sid}/breakout-plan/push",
                               data={"csrf_token": token, "plan": str(plan.id), "round": "1"},
                               follow_redirects=True).data.decode()
    assert "Round 1 is being sent to Zoom" in pushed
    assert "Breakout plan ready" in staff_client.get("/staff/sessions").data.decode()


def test_a_refused_plan_shows_the_apis_reason(staff_client, db, clock):
    ids = held_session(db, clock.now(), ended=False)
    sid = ids["session_id"]
    token = csrf_token_of(staff_client, f"/staff/sessions/{sid}/breakout-plan")
    page = staff_client.post(f"/staff/sessions/{sid}/breakout-plan", data={"csrf_token": token, "room_size": "1"},
                             follow_redirects=True).data.decode()
    errors = re.findall(r'<p class="message message-error">([^<]*)</p>', page)
    assert errors == [f"room_size must be a whole number from 2 to {MAX_ROOM_SIZE}."]  # the planner's own words
