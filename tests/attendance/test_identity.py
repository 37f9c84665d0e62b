from datetime import UTC, datetime

import pytest

from tests.builders import add_person, add_session, register
from zoombridge.attendance.identity import normalise_phone, participant_key
from zoombridge.store.person_directory import Match, PersonDirectory
from zoombridge.zoom.webhooks import ParticipantIdentity


@pytest.mark.parametrize(("raw", "expected"), [
    ("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123"), ("0044 7700 900123", "+447700900123"),
    ("(020) 7946-0018", "+442079460018"), ("+1 415 555 0100", "+14155550100"),
    ("+44******123", None), ("call me", None), ("", None), (None, None), ("123", None), ("+" + "1" * 20, None),
])
def test_phone_numbers_are_read_exactly_or_not_at_all(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(("identity", "key"), [
    (ParticipantIdentity(registrant_id="r1", email="a@x.org", phone_number="07700900123", user_id="9"), "registrant:r1"),
    (ParticipantIdentity(email="a@x.org", phone_number="07700900123", user_id="9"), "email:a@x.org"),
    (ParticipantIdentity(phone_number="07700 900123", user_id="9"), "phone:+447700900123"),
    (ParticipantIdentity(phone_number="+44******123", zoom_user_id="zu", user_id="9"), "zoom:zu"),
    (ParticipantIdentity(participant_uuid="pu", user_id="9"), "zoom:pu"),
    (ParticipantIdentity(user_id="9"), "zoom:9"),
    (ParticipantIdentity(), "zoom:unknown"),
])
def test_participants_are_filed_under_their_strongest_identifier(identity, key):
    assert participant_key(identity) == key


@pytest.fixture
def people(db):
    with db() as s:
        cuppa = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=datetime(2026, 12, 1, 10, tzinfo=UTC), zoom_meeting_id=86431910364)
        next_cuppa = add_session(s, kind="cuppa", title="Co-Pro Cuppa", minutes=90, starts_at=datetime(2027, 1, 5, 10, tzinfo=UTC), zoom_meeting_id=86431910364)
        ana = add_person(s, "Ana", "ana@example.org")
        register(s, cuppa, ana, "reg-ana")
        register(s, next_cuppa, ana, "reg-ana")  # one registrant id for every occurrence
        ben = add_person(s, "Ben", "ben@example.org", phone="07700 900123")
        add_person(s, "Cy", None, phone="+44 20 7946 0018")
        dee = add_person(s, "Dee", None, phone="020 7946 0018")  # Cy's landline too
        register(s, cuppa, dee, None)
        eve = add_person(s, "Eve", None, phone="01632 960000")
        fay = add_person(s, "Fay", None, phone="+44 1632 960000")
        return {"cuppa": cuppa.id, "ana": ana.id, "ben": ben.id, "dee": dee.id, "eve": eve.id, "fay": fay.id}


@pytest.mark.parametrize(("identity", "expected"), [
    (ParticipantIdentity(registrant_id="reg-ana", email="someone-else@example.org"), ("ana", "registrant")),
    (ParticipantIdentity(registrant_id="reg-unknown", email="ben@example.org"), ("ben", "email")),
    (ParticipantIdentity(phone_number="+447700900123"), ("ben", "phone")),
    (ParticipantIdentity(phone_number="02079460018"), ("dee", "phone")),  # shared: the one registered
    (ParticipantIdentity(phone_number="01632960000"), None),  # shared, neither registered: staff decide
    (ParticipantIdentity(phone_number="+44******123"), None),
    (ParticipantIdentity(user_id="16778240"), None),
])
def test_people_are_found_by_registrant_then_email_then_phone_and_never_guessed(db, people, identity, expected):
    with db() as s:
        found = PersonDirectory(s, people["cuppa"], [identity]).match(identity)
    assert found == (Match(people[expected[0]], expected[1]) if expected else None)
