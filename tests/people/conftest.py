"""Two people with something in every place the service keeps data about a person.

Ann and Bo register for a co-production session, join it on Zoom (signed webhooks through the
real endpoint, ingested by the real job), are paid (recompute, approve, export through the
staff API), Ann claims phone costs, a breakout plan is made for them, Ann is emailed her
statement, and someone asked on the public page to change Ann's name and number (a change she
has not confirmed). `held.ann_traces` are the strings that identify Ann; after her erasure none of them
may be found anywhere in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.builders import add_person, add_session, register
from tests.conftest import WEBHOOK_SECRET
from zoombridge.people import details
from zoombridge.sandbox.events import Participant as Attendee
from zoombridge.sandbox.events import ZoomEvents
from zoombridge.store import zoom_waits
from zoombridge.store.models import AttendanceDifference, EmailMessage, Participant, StaffToken
from zoombridge.store.models import Session as SessionRow
from zoombridge.zoom.signature import signed_headers, webhook_bytes

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # a week before the test clock's now
ANN = Attendee("Ann Example", "16778240", registrant_id="reg-ann-7q", email="ann@example.org",
               zoom_user_id="zu-ann-3f")
BO = Attendee("Bo", "16778241", registrant_id="reg-bo-8r", email="bo@example.org", zoom_user_id="zu-bo-4g")
ANN_PHONE = "+447700900461"  # as every way in stores a number (E.164: zoombridge.phone_numbers)
ANN_ASKED = {"first_name": "Anneliese", "phone": "+447700900469"}  # new details typed on the public page
BO_TRACES = ("bo@example.org", BO.registrant_id, "Bo lip-reads", "tk-Bo-9x")  # Bo's, never touched by Ann's


@dataclass
class Held:
    session_id: int
    ann: int
    bo: int
    ann_participant: int
    ann_traces: list[str]  # what identifies Ann; none of it may be left after her erasure


def deliver(client, clock, *bodies) -> None:
    for body in bodies:
        raw = webhook_bytes(body)
        answer = client.post("/zoom/webhook", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw, clock.now()))
        assert answer.status_code == 200, answer.data


def api(client, headers, method: str, path: str, **kwargs):
    answer = getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)
    assert answer.status_code < 300, (path, answer.status_code, answer.get_data(as_text=True))
    return answer


def build_held(db, client, staff_headers, clock, run_jobs, *, export: bool = True) -> Held:
    """Ann and Bo with data everywhere (see the module's docstring); `export=False` leaves Ann's
    approved payment waiting for the finance export."""
    zoom = ZoomEvents(start=START)
    with db() as s:
        session = add_session(s, title="Shaping our website", starts_at=START, minutes=120,
                              zoom_meeting_id=zoom.meeting_id, meeting_uuid=zoom.uuid, held_for=120)
        ann = add_person(s, "Ann", "ann@example.org", phone=ANN_PHONE)
        bo = add_person(s, "Bo", "bo@example.org", phone="+447700900462")
        registrations = {}
        for person, who in ((ann, ANN), (bo, BO)):
            registration = registrations[who.name] = register(s, session, person, who.registrant_id,
                                    access_needs=f"{person.first_name} lip-reads; a quiet room please",
                                    join_url=f"https://zoom.us/w/86431910364?tk=tk-{person.first_name}-9x",
                                    participant_pin_code=f"55{person.id:04d}")
            s.add(EmailMessage(intent=f"link:{registration.id}", session_id=session.id,
                               registration_id=registration.id, to_address=person.email,
                               subject="Your link for Shaping our website", status="sent", attempts=1,
                               created_at=START - timedelta(days=3), sent_at=START - timedelta(days=3)))
        # Ann once helped as staff: a token of hers, revoked when she left the staff list.
        s.add(StaffToken(name="Ann's laptop", token_hash="0" * 64, hint="k3f9", person_id=ann.id,
                         created_at=START - timedelta(days=200), revoked_at=START - timedelta(days=100)))
        # Someone registered with Ann's email under another name and number: a change she must confirm.
        with client.application.app_context():  # the request's digest is keyed with the app's secret
            details.person_for_registration(s, email=ann.email, first_name=ANN_ASKED["first_name"],
                                            phone=ANN_ASKED["phone"], source="public", actor="public page",
                                            session_id=session.id, now=START - timedelta(days=2))
        ids = {"session": session.id, "ann": ann.id, "bo": bo.id}
        ann_registration = registrations[ANN.name].id
        # Zoom's daily limit once held up Ann's registration (the session page shows such waits).
        zoom_waits.record(s, intent=f"register:{ann_registration}", session_id=session.id, what="registering Ann",
                          limit="3 registrations a day for one person", until=START - timedelta(days=4),
                          now=START - timedelta(days=5))
    deliver(client, clock, zoom.started(START),
            *(body for who in (ANN, BO) for body in (zoom.joined(who, START), zoom.left(who, START + timedelta(minutes=120)))))
    run_jobs()
    with db() as s:
        session = s.get(SessionRow, ids["session"])
        session.attendance_final_at = START + timedelta(hours=3)
        ann_participant = s.scalar(select(Participant.id).where(Participant.person_id == ids["ann"]))
        assert ann_participant is not None, "the webhook ingest matched Ann by her registrant id"
        s.add(AttendanceDifference(meeting_uuid=zoom.uuid, session_id=session.id, participant_id=ann_participant,
                                   kind="missing_from_report", starts_at=START, ends_at=START + timedelta(minutes=5),
                                   seconds=300, details={"report_rows": 0}, found_at=START + timedelta(hours=3)))

    sid = ids["session"]
    api(client, staff_headers, "post", f"/sessions/{sid}/attendance/recompute")
    payments = api(client, staff_headers, "get", f"/sessions/{sid}/payments").get_json()["payments"]
    for payment in payments:
        api(client, staff_headers, "patch", f"/payments/{payment['id']}", json={"action": "approve"})
    claim = api(client, staff_headers, "post", f"/sessions/{sid}/cost-claims",
                json={"person_id": ids["ann"], "amount_pence": 350, "what_for": "mobile data"}).get_json()
    api(client, staff_headers, "patch", f"/cost-claims/{claim['cost_claim']['id']}", json={"action": "approve"})
    if export:
        api(client, staff_headers, "post", "/payments/export")
    api(client, staff_headers, "post", f"/sessions/{sid}/breakout-plan", json={"staff_per_room": 0, "seed": 7})
    api(client, staff_headers, "post", f"/sessions/{sid}/statements/{ids['ann']}")
    run_jobs()
    return Held(session_id=sid, ann=ids["ann"], bo=ids["bo"], ann_participant=ann_participant,
                ann_traces=["ann@example.org", ANN_PHONE, ANN.registrant_id, ANN.name,
                            ANN.zoom_user_id, "Ann lip-reads", "tk-Ann-9x", "Ann's laptop", "registering Ann",
                            f"55{ids['ann']:04d}", *ANN_ASKED.values()])


@pytest.fixture
def held(db, client, staff_headers, clock, run_jobs) -> Held:
    return build_held(db, client, staff_headers, clock, run_jobs)
