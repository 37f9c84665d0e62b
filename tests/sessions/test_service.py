"""The sessions service: one set of rules behind the API, the staff pages and the public page.

Called here directly, in a unit of work, as the views and jobs call it: a change returns its
result and the jobs to enqueue once it is committed; a refusal names its field and writes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from zoombridge.queue import intents
from zoombridge.queue.intents import Intent
from zoombridge.refusals import Refused
from zoombridge.sessions import service
from zoombridge.store.models import AuditEntry, Person, Registration, Session
from zoombridge.unit_of_work import carry_out

ADA = {"first_name": "Ada", "email": "ada@example.org", "joins_by": "phone", "access_needs": "Captions please"}


@pytest.fixture
def in_app(app):
    with app.test_request_context():
        yield app


def _new_copro(actor="sam@example.org") -> dict:
    return carry_out(service.create_session, service.NewSession(kind="co-production", start="2026-12-10T10:00"), actor)


def test_creating_a_session_returns_the_meeting_job_to_enqueue_after_the_commit(in_app, db):
    with db() as s:
        done = service.create_session(s, service.NewSession(kind="co-production", start="2026-12-10T10:00"),
                                      "sam@example.org")
        session_id = done.result["id"]
    assert done.intents == (Intent(intents.create_meeting, (session_id,)),)
    assert done.result["title"] == "Co-production session" and done.result["status"] == "scheduled"
    with db() as s:
        entry = s.scalar(select(AuditEntry))
        assert (entry.actor, entry.action, entry.subject_id) == ("sam@example.org", "session.created", str(session_id))


def test_a_refused_session_names_its_field_and_writes_nothing(in_app, db):
    with pytest.raises(Refused) as refused:
        _ = carry_out(service.create_session, service.NewSession(kind="co-production", start="2020-01-01T10:00"),
                      "sam@example.org")
    assert (refused.value.field, refused.value.kind, refused.value.message) == ("start", "invalid",
                                                                                "must be in the future")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Session)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("title", ["Our\x00website", "Tab\x1fhere"])
def test_a_title_with_control_characters_is_refused_naming_the_field(in_app, db, title):
    """PostgreSQL refuses NUL in text: it must be a 400 naming the field, never a failed write."""
    session = _new_copro()
    with pytest.raises(Refused) as refused:
        carry_out(service.reschedule, service.Reschedule(session["id"], {"title": title}), "sam")
    assert (refused.value.field, refused.value.message) == ("title", "must not contain control characters")
    with pytest.raises(Refused):
        carry_out(service.create_session, service.NewSession(kind="cuppa", start="2026-12-10T10:00", title=title),
                  "sam")


def test_only_a_new_time_or_length_raises_the_revision_people_are_told_about(in_app, db):
    session = _new_copro()
    retitled = carry_out(service.reschedule, service.Reschedule(session["id"], {"title": "Our website"}), "sam")
    moved = carry_out(service.reschedule, service.Reschedule(session["id"], {"start": "2026-12-11T10:00"}), "sam")
    assert (retitled["title"], retitled["revision"]) == ("Our website", 0)
    assert moved["revision"] == 1 and moved["starts_at"] == "2026-12-11T10:00:00+00:00"


def test_a_registration_returns_the_job_that_registers_the_person_on_zoom(in_app, db):
    session = _new_copro()
    with db() as s:
        done = service.register(s, service.NewRegistration(session["id"], ADA), "sam@example.org")
    assert done.intents == (Intent(intents.register, (done.result["id"],)),)
    assert (done.result["first_name"], done.result["joins_by"], done.result["source"]) == ("Ada", "phone", "staff")


def test_a_refused_registration_changes_nobody_and_asks_for_no_job(in_app, db, redis_conn):
    session = _new_copro()
    carry_out(service.register, service.NewRegistration(session["id"], ADA), "sam@example.org")
    again = {**ADA, "first_name": "Not Ada", "phone": "07700 900123"}
    with pytest.raises(Refused) as refused:
        carry_out(service.register, service.NewRegistration(session["id"], again, source="public"), "public")
    assert (refused.value.code, refused.value.kind, refused.value.field) == ("already_registered", "conflict", "email")
    with db() as s:
        person = s.scalar(select(Person))
        assert (person.first_name, person.phone) == ("Ada", None)
        assert s.scalar(select(func.count()).select_from(Registration)) == 1


def test_cancelling_twice_asks_zoom_once(in_app, db):
    session = _new_copro()
    added = carry_out(service.register, service.NewRegistration(session["id"], ADA), "sam@example.org")
    command = service.CancelRegistration(session["id"], added["id"])
    with db() as s:
        first = service.cancel_registration(s, command, "sam@example.org")
    with db() as s:
        second = service.cancel_registration(s, command, "sam@example.org")
    assert first.intents == (Intent(intents.unregister, (added["id"],)),) and second.intents == ()
    assert second.result["status"] == "cancelled"


def test_choosing_breakout_captions_keeps_the_other_overrides_and_asks_for_a_caption_check(in_app, db):
    session = carry_out(service.create_session, service.NewSession(
        kind="co-production", start="2026-12-10T10:00", overrides={"captioner_email": "captions@example.net"}), "sam")
    with db() as s:
        done = service.choose_breakout_captions(s, service.ChooseBreakoutCaptions(session["id"], "automated"), "sam")
    assert done.result["overrides"] == {"captioner_email": "captions@example.net", "breakout_captions": "automated"}
    assert Intent(intents.ensure_captions, (session["id"],)) in done.intents  # the host's settings, for the new plan
    assert done.result["captions"]["warning"] is None
    with pytest.raises(Refused) as refused:
        carry_out(service.choose_breakout_captions, service.ChooseBreakoutCaptions(session["id"], "loud"), "sam")
    assert refused.value.field == "overrides.breakout_captions"


def test_a_new_start_clears_the_caption_link_so_the_new_morning_fetches_one(in_app, db, clock):
    session = _new_copro()
    with db() as s:
        s.get(Session, session["id"]).caption_link_until = clock.now()
    carry_out(service.reschedule, service.Reschedule(session["id"], {"title": "Our website"}), "sam")
    with db() as s:
        assert s.get(Session, session["id"]).caption_link_until == clock.now()  # not moved: the link still works
    carry_out(service.reschedule, service.Reschedule(session["id"], {"start": "2026-12-11T10:00"}), "sam")
    with db() as s:
        assert s.get(Session, session["id"]).caption_link_until is None
