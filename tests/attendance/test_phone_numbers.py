"""Phone numbers decide who a phone caller is, and so whether they are paid: each is read exactly
(E.164, the UK as the default region, any other country with its code) or not at all."""

from __future__ import annotations

import pytest

from tests.builders import add_person, add_session, register
from zoombridge.phone_numbers import to_e164
from zoombridge.sessions.registration_form import InvalidField, parse_registration
from zoombridge.store.person_directory import Match, PersonDirectory
from zoombridge.zoom.webhooks import ParticipantIdentity

READ_EXACTLY = [
    # the UK, written the ways people write it
    ("07700 900123", "+447700900123"),
    ("07700900123", "+447700900123"),
    ("+44 7700 900123", "+447700900123"),
    ("0044 7700 900123", "+447700900123"),
    ("+44 (0)7700 900123", "+447700900123"),
    ("(020) 7946-0018", "+442079460018"),
    ("020 7946 0018", "+442079460018"),
    ("0161 496 0000", "+441614960000"),
    ("01632 960000", "+441632960000"),
    ("028 9649 6000", "+442896496000"),  # Northern Ireland
    ("  07700-900-123  ", "+447700900123"),
    # international: with + or the UK's international prefix 00
    ("+33 1 23 45 67 89", "+33123456789"),
    ("0033 1 23 45 67 89", "+33123456789"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("001 415 555 0100", "+14155550100"),
    ("+353 1 234 5678", "+35312345678"),
    ("+91 98765 43210", "+919876543210"),
    ("+61 2 9876 5432", "+61298765432"),
    ("+234 803 123 4567", "+2348031234567"),
    # bare digits, as a caller id may come
    ("14155550100", "+14155550100"),
    ("447700900123", "+447700900123"),
    ("33123456789", "+33123456789"),
    ("7700900123", "+447700900123"),
]

NOT_A_NUMBER = [
    "+44******123",  # Zoom masks the caller id
    "+44 7700 ***123",
    "07700 9001**",
    "Anonymous",
    "Withheld",
    "Unknown caller",
    "+447700900123 ext. 12",
    "123",
    "+44 20",
    "0207 946 00189999",  # too long for the UK
    "+1 415 555",  # too short for North America
    "+" + "1" * 20,
    "",
    "   ",
    None,
]


@pytest.mark.parametrize(("written", "e164"), READ_EXACTLY)
def test_uk_and_international_numbers_are_read_as_e164(written, e164):
    assert to_e164(written) == e164


@pytest.mark.parametrize("written", NOT_A_NUMBER)
def test_masked_caller_ids_and_non_numbers_are_unknown_never_a_guess(written):
    assert to_e164(written) is None


def test_a_registration_stores_the_number_as_e164():
    form = parse_registration({"first_name": "Zoé", "email": "zoe@example.org", "phone": "0033 1 23 45 67 89"},
                              paid=False)
    assert form.phone == "+33123456789"


@pytest.mark.parametrize("written", ["+44******123", "call me", "123"])
def test_a_registration_with_a_phone_that_is_not_a_number_is_refused_naming_the_field(written):
    with pytest.raises(InvalidField) as refused:
        parse_registration({"first_name": "Zoé", "email": "zoe@example.org", "phone": written}, paid=False)
    assert refused.value.field == "phone" and "country code" in refused.value.message


def test_an_international_caller_is_matched_to_their_registration_and_a_masked_one_is_not(db):
    """The hand-written UK normaliser this replaced could not tie a caller from abroad to anyone."""
    with db() as s:
        session = add_session(s, kind="co-production", zoom_meeting_id=86431910364)
        zoe = add_person(s, "Zoé", None, phone=to_e164("+33 1 23 45 67 89"))
        kim = add_person(s, "Kim", None, phone="+1 415 555 0100")  # a row stored before E.164: read the same
        register(s, session, zoe, None)
        register(s, session, kim, None)
        callers = [ParticipantIdentity(phone_number="33123456789"), ParticipantIdentity(phone_number="0014155550100"),
                   ParticipantIdentity(phone_number="+33******789")]
        directory = PersonDirectory(s, session.id, callers)
        found = [directory.match(caller) for caller in callers]
        assert found == [Match(zoe.id, "phone"), Match(kim.id, "phone"), None]


@pytest.mark.parametrize(("stored", "shown"), [
    ("+447700900456", "07700 900456"),  # a UK mobile, as people in the UK write it
    ("+442079460018", "020 7946 0018"),
    ("+33123456789", "+33 1 23 45 67 89"),  # abroad: with its country code
    (None, ""),
])
def test_a_stored_number_is_shown_as_people_write_it(stored, shown):
    from zoombridge.phone_numbers import for_people

    assert for_people(stored) == shown
