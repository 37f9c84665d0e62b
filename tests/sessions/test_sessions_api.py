"""The staff API for sessions and registrations: validation, conflicts, nothing half-written."""

from sqlalchemy import func, select

from zoombridge.store.models import AuditEntry, Person, Registration, Session, SessionSeries


def count(db, model):
    with db() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_session_needs_a_staff_token(client):
    assert client.post("/api/v1/sessions", json={}).status_code == 401
    assert client.get("/api/v1/sessions").status_code == 401


def test_creating_a_session_stores_it_in_utc_and_queues_the_meeting(api, db, redis_conn):
    body = api.new_session(kind="co-production", title="Payment policy", start="2026-12-08T10:00")
    assert body["starts_at"] == "2026-12-08T10:00:00+00:00"
    assert body["duration_minutes"] == 180 and body["zoom"]["state"] == "none"
    assert redis_conn.exists(f"rq:job:create-meeting_{body['id']}")
    with db() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.subject_type == "session")) == "session.created"


def test_london_summer_time_is_converted(api):
    body = api.new_session(kind="strategy", start="2027-06-10T18:30")
    assert body["starts_at"] == "2027-06-10T17:30:00+00:00"
    assert body["title"] == "Strategy session"


def test_a_cuppa_series_makes_one_series_and_six_sessions(api, db):
    body = api.new_session(kind="cuppa", start="2027-01-05T10:30", repeat={"first": "tuesday", "count": 6})
    assert body["series"]["rule"] == {"first": "tuesday", "count": 6}
    assert [x["starts_at"][:10] for x in body["sessions"]] == [
        "2027-01-05", "2027-02-02", "2027-03-02", "2027-04-06", "2027-05-04", "2027-06-01"]
    assert count(db, SessionSeries) == 1 and count(db, Session) == 6


def test_a_series_defaults_to_the_formats_weekday(api):
    body = api.new_session(kind="cuppa", start="2027-01-05T10:30", repeat={"count": 2})
    assert body["series"]["rule"]["first"] == "tuesday"


def check_refused(api, db, body, field, status=400):
    response = api.post("/sessions", body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert count(db, Session) == 0 and count(db, SessionSeries) == 0


def test_bad_session_input_is_refused_naming_the_field(api, db):
    check_refused(api, db, {"kind": "party", "start": "2027-01-05T10:30"}, "kind")
    check_refused(api, db, {"kind": "cuppa"}, "start")
    check_refused(api, db, {"kind": "cuppa", "start": "next tuesday"}, "start")
    check_refused(api, db, {"kind": "cuppa", "start": "2020-01-07T10:30"}, "start")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-03-28T01:30"}, "start")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30", "colour": "red"}, "colour")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30", "title": ""}, "title")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30", "overrides": {"paid": True}},
                  "overrides.paid")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30",
                            "overrides": {"breakouts": {"room_size": "big"}}}, "overrides.breakouts.room_size")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-12T10:30", "repeat": {"count": 6}}, "start")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30", "repeat": {"count": 60}}, "repeat.count")
    check_refused(api, db, {"kind": "cuppa", "start": "2027-01-05T10:30", "repeat": {"first": "funday",
                                                                                     "count": 2}}, "repeat.first")
    response = api.client.post("/api/v1/sessions", data="not json", headers=api.headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "body"


def test_overrides_are_kept_and_change_the_length(api):
    body = api.new_session(kind="network", start="2027-02-01T18:00",
                           overrides={"duration_minutes": 90, "links_lead_days": 5})
    assert body["duration_minutes"] == 90 and body["overrides"]["links_lead_days"] == 5
    detail = api.get(f"/sessions/{body['id']}").get_json()
    assert detail["timeline"]["links_at"] == "2027-01-27T18:00:00+00:00"


def test_sessions_are_listed_and_shown(api):
    first = api.new_session(kind="strategy", start="2027-02-01T18:00")
    api.new_session(kind="network", start="2027-01-01T18:00")
    listed = api.get("/sessions").get_json()["sessions"]
    assert [x["kind"] for x in listed] == ["network", "strategy"]
    assert api.get(f"/sessions/{first['id']}").get_json()["registrations"] == 0
    assert api.get("/sessions/999").status_code == 404


def test_registering_someone(api, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    body = api.register(session["id"], first_name=" Amira ", email="Amira@Example.org", phone="07700 900123",
                        joins_by="phone", access_needs="Large print", wants_payment=True)
    assert (body["first_name"], body["email"], body["joins_by"], body["wants_payment"]) == (
        "Amira", "amira@example.org", "phone", True)
    assert redis_conn.exists(f"rq:job:register_{body['id']}")
    listed = api.get(f"/sessions/{session['id']}/registrations").get_json()["registrations"]
    assert [r["email"] for r in listed] == ["amira@example.org"]


def test_the_same_email_twice_for_a_session_is_a_conflict(api, db):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Amira", email="amira@example.org")
    response = api.post(f"/sessions/{session['id']}/registrations", {"first_name": "Amy", "email": "AMIRA@example.org"})
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "already_registered", "field": "email",
                                            "message": "amira@example.org is already registered for this session."}
    assert count(db, Registration) == 1


def test_bad_registration_input_names_the_field(api, db):
    cuppa = api.new_session(kind="cuppa", start="2026-12-08T10:00")
    cases = [({"email": "a@example.org"}, "first_name"),
             ({"first_name": "A", "email": "nope"}, "email"),
             ({"first_name": "A", "email": "a@example.org", "joins_by": "pigeon"}, "joins_by"),
             ({"first_name": "A", "email": "a@example.org", "phone": "call me"}, "phone"),
             ({"first_name": "A", "email": "a@example.org", "wants_payment": True}, "wants_payment"),
             ({"first_name": "A", "email": "a@example.org", "surname": "B"}, "surname")]
    for body, field in cases:
        response = api.post(f"/sessions/{cuppa['id']}/registrations", body)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field, body
    assert count(db, Registration) == 0 and count(db, Person) == 0


def test_a_full_session_refuses_more_people(api):
    session = api.new_session(kind="strategy", start="2026-12-08T10:00", overrides={"max_people": 2})
    api.register(session["id"], first_name="A", email="a@example.org")
    api.register(session["id"], first_name="B", email="b@example.org")
    response = api.post(f"/sessions/{session['id']}/registrations", {"first_name": "C", "email": "c@example.org"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "session_full"


CSV = "first_name,email,joins_by,wants_payment,access_needs\nAmira,amira@example.org,video,yes,\nBen,ben@example.org,phone,no,Hearing loop\n"


def test_a_csv_import_adds_everyone(api, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    response = api.post(f"/sessions/{session['id']}/registrations/import", None, data=CSV,
                        content_type="text/csv")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["imported"] == 2
    assert [(r["first_name"], r["joins_by"], r["wants_payment"], r["source"]) for r in body["registrations"]] == [
        ("Amira", "video", True, "import"), ("Ben", "phone", False, "import")]
    # one job registers them all with Zoom, showing its progress on the session page
    assert redis_conn.exists(f"rq:job:register-people_{session['id']}")
    assert not any(redis_conn.exists(f"rq:job:register_{r['id']}") for r in body["registrations"])


def test_a_csv_import_as_an_uploaded_file(api):
    import io

    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    response = api.client.post(f"/api/v1/sessions/{session['id']}/registrations/import", headers=api.headers,
                               data={"file": (io.BytesIO(CSV.encode()), "people.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json()["imported"] == 2


def test_a_bad_csv_row_refuses_the_whole_file(api, db):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    bad = CSV + "Cara,not-an-email,video,no,\n"
    response = api.post(f"/sessions/{session['id']}/registrations/import", None, data=bad, content_type="text/csv")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "rows[4].email"
    assert count(db, Registration) == 0


def test_a_csv_row_already_registered_is_a_conflict_and_nothing_is_added(api, db):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    api.register(session["id"], first_name="Ben", email="ben@example.org")
    response = api.post(f"/sessions/{session['id']}/registrations/import", None, data=CSV, content_type="text/csv")
    assert response.status_code == 409 and response.get_json()["error"]["field"] == "rows[3].email"
    assert count(db, Registration) == 1


def test_cancelling_a_registration_queues_the_zoom_cancellation(api, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    registration = api.register(session["id"], first_name="Ben", email="ben@example.org")
    response = api.delete(f"/sessions/{session['id']}/registrations/{registration['id']}")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert redis_conn.exists(f"rq:job:unregister_{registration['id']}")
    assert api.delete(f"/sessions/{session['id']}/registrations/999").status_code == 404
    again = api.register(session["id"], first_name="Ben", email="ben@example.org")
    assert again["id"] == registration["id"] and again["status"] == "active"


def test_rescheduling_bumps_the_revision_and_queues_the_zoom_update(api, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    response = api.patch(f"/sessions/{session['id']}", {"start": "2026-12-09T14:00", "title": "Website day"})
    body = response.get_json()
    assert response.status_code == 200
    assert (body["starts_at"], body["title"], body["revision"]) == ("2026-12-09T14:00:00+00:00", "Website day", 1)
    assert any(k.startswith(b"rq:job:update-meeting_") for k in redis_conn.keys("rq:job:*"))
    assert api.patch(f"/sessions/{session['id']}", {"start": "yesterday"}).get_json()["error"]["field"] == "start"
    assert api.patch(f"/sessions/{session['id']}", {"kind": "cuppa"}).get_json()["error"]["field"] == "kind"


def test_cancelling_a_session(api, redis_conn):
    session = api.new_session(kind="co-production", start="2026-12-08T10:00")
    response = api.delete(f"/sessions/{session['id']}")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert redis_conn.exists(f"rq:job:cancel-meeting_{session['id']}")
    assert api.patch(f"/sessions/{session['id']}", {"title": "x"}).status_code == 409
    response = api.post(f"/sessions/{session['id']}/registrations", {"first_name": "A", "email": "a@example.org"})
    assert response.status_code == 409


def test_the_change_is_saved_even_when_redis_is_down(api, app, db, monkeypatch):
    import redis as redis_module

    def down():
        raise redis_module.ConnectionError("redis is down")

    monkeypatch.setattr("zoombridge.queue.intents.current_redis", down)
    response = api.post("/sessions", {"kind": "strategy", "start": "2026-12-08T10:00"})
    assert response.status_code == 201
    assert count(db, Session) == 1  # the safety sweep enqueues its meeting later
