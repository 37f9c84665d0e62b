"""Registration has one service behind its three doors: the staff API, the staff page and the
public page make the same registration, audit it the same way and ask Zoom the same way."""

from __future__ import annotations

import re

from rq import Queue
from sqlalchemy import select

from tests.web.conftest import csrf_token_of
from zoombridge.queue.queues import ZOOM, job_id_for
from zoombridge.sessions import service
from zoombridge.store.models import AuditEntry, Registration
from zoombridge.unit_of_work import carry_out


def _registrations_with_their_audit(db) -> list[tuple]:
    with db() as s:
        rows = s.scalars(select(Registration).order_by(Registration.id)).all()
        audit = {e.subject_id: (e.actor, e.details) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "registration.added"))}
        return [(r.person.first_name, r.person.email, r.joins_by, r.source, audit.get(str(r.id))) for r in rows]


def test_the_api_the_staff_page_and_the_public_page_register_the_same_way(app, db, redis_conn, staff_client,
                                                                          staff_headers):
    with app.test_request_context():
        session = carry_out(service.create_session,
                            service.NewSession(kind="co-production", start="2026-12-10T10:00"), "sam@example.org")
    sid = session["id"]
    api = staff_client.post(f"/api/v1/sessions/{sid}/registrations", headers=staff_headers,
                            json={"first_name": "Api", "email": "api@example.org"})
    page = staff_client.post(f"/staff/sessions/{sid}/registrations",
                             data={"csrf_token": csrf_token_of(staff_client, f"/staff/sessions/{sid}"),
                                   "first_name": "Page", "email": "page@example.org", "joins_by": "video"})
    form = staff_client.get(f"/register/{sid}").data.decode()
    public = staff_client.post(f"/register/{sid}", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
        "first_name": "Public", "email": "public@example.org", "joins_by": "video"})
    assert (api.status_code, page.status_code, public.status_code) == (201, 303, 303)

    assert _registrations_with_their_audit(db) == [
        ("Api", "api@example.org", "video", "staff", ("Test Staff", {"session": sid, "source": "staff"})),
        ("Page", "page@example.org", "video", "staff", ("sam@example.org", {"session": sid, "source": "staff"})),
        ("Public", "public@example.org", "video", "public",
         ("public registration page", {"session": sid, "source": "public"})),
    ]
    with db() as s:
        ids = s.scalars(select(Registration.id).order_by(Registration.id)).all()
    queued = set(Queue(ZOOM, connection=redis_conn).job_ids)
    assert {job_id_for(f"register:{i}") for i in ids} <= queued
