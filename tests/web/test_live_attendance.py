from datetime import UTC, datetime

from tests.builders import add_person, add_session, minutes_from, register
from tests.conftest import WEBHOOK_SECRET
from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.zoom.signature import signed_headers, webhook_bytes

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ANA = Participant("Ana", "100", registrant_id="reg-ana")
BEN = Participant("Ben", "200", email="ben@example.org")
CY = Participant("Cy", "300")
DEE = Participant("Dee", "400")


at = minutes_from(T0)


def test_live_attendance_shows_who_is_in_the_meeting_now_and_in_which_room(
        client, clock, db, run_jobs, staff_headers):
    z = ZoomEvents()
    with db() as s:
        session = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0, zoom_meeting_id=z.meeting_id)
        register(s, session, add_person(s, "Ana"), "reg-ana")
        session_id = session.id
    for body in (z.started(at(0)), z.joined(ANA, at(1)), z.joined(BEN, at(2)), z.joined(CY, at(3)),
                 z.joined_breakout(ANA, "room-a", at(10)), z.left(CY, at(12)), z.joined_waiting_room(DEE, at(13))):
        raw = webhook_bytes(body)
        assert client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now())).status_code == 200
    run_jobs()

    response = client.get(f"/api/v1/sessions/{session_id}/attendance/live", headers=staff_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["meeting_uuid"] == z.uuid and body["started_at"] == "2026-11-24T10:00:00Z"
    assert body["counts"] == {"main": 1, "breakout": 1, "waiting": 1}
    assert body["unmatched"] == 2
    assert [(p["name"], p["place"], p["room"], p["since"]) for p in body["participants"]] == [
        ("Ben", "main", None, "2026-11-24T10:02:00Z"),
        ("Ana", "breakout", "room-a", "2026-11-24T10:10:00Z"),
        ("Dee", "waiting", None, "2026-11-24T10:13:00Z"),
    ]
    assert body["participants"][1]["matched_by"] == "registrant"


def test_live_attendance_of_a_session_that_has_not_started_is_empty(client, db, staff_headers):
    with db() as s:
        session_id = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=T0, zoom_meeting_id=None).id
    body = client.get(f"/api/v1/sessions/{session_id}/attendance/live", headers=staff_headers).get_json()
    assert body["participants"] == [] and body["meeting_uuid"] is None


def test_live_attendance_of_an_unknown_session_is_a_404(client, staff_headers):
    response = client.get("/api/v1/sessions/999/attendance/live", headers=staff_headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_live_attendance_needs_a_staff_token(client):
    assert client.get("/api/v1/sessions/1/attendance/live").status_code == 401
