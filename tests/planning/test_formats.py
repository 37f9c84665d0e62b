from datetime import time

import pytest

from zoombridge.planning.formats import FormatError, load_formats, parse_formats


@pytest.fixture(scope="module")
def formats():
    return load_formats()


def test_the_shipped_formats_describe_every_kind_of_session(formats):
    assert set(formats.kinds) == {"cuppa", "themed-cuppa", "co-production", "network", "strategy"}


def test_a_cuppa_is_ninety_unpaid_minutes_in_the_first_week_of_each_month(formats):
    cuppa = formats.get("cuppa")
    assert cuppa.duration_minutes == 90
    assert cuppa.paid is False
    assert cuppa.repeats == "monthly-first-week"
    assert cuppa.default_weekday == "tuesday"
    assert cuppa.separate_halves is True
    assert cuppa.agenda[0].title == "Welcome" and cuppa.agenda[0].minutes == 10
    assert cuppa.agenda[1].breakout is True and cuppa.agenda[1].minutes == 30
    assert sum(block.minutes for block in cuppa.agenda) == 90
    assert cuppa.breakouts.staff_per_room == 1
    assert cuppa.breakouts.optional_rounds == 1


def test_a_network_session_has_the_icebreaker_poll_and_two_random_rounds_of_three(formats):
    network = formats.get("network")
    assert network.poll.question == "How are you feeling?"
    assert network.poll.answers == ("Sunny", "Cloudy with bright spells", "Storm brewing")
    assert (network.breakouts.assignment, network.breakouts.room_size, network.breakouts.rounds) == ("random", 3, 2)
    assert network.max_people == 100
    assert network.paid is False


def test_paid_kinds_ask_about_payment_and_strategy_pays_25_pounds_an_hour(formats):
    assert formats.get("co-production").asks_about_payment
    assert formats.get("strategy").pay_rate_pence_per_hour == 2500
    assert not formats.get("cuppa").asks_about_payment


def test_defaults_give_links_three_days_before_and_a_morning_reminder(formats):
    for fmt in formats.by_kind.values():
        assert fmt.links_lead_days == 3
        assert fmt.reminder == "morning"
        assert fmt.reminder_time == time(8, 0)


def test_overrides_change_only_what_they_name(formats):
    cuppa = formats.get("cuppa")
    changed = cuppa.with_overrides({"links_lead_days": 5, "breakouts": {"room_size": 6},
                                    "pre_reading": [{"title": "Our plan", "url": "https://example.org/plan"}]})
    assert changed.links_lead_days == 5
    assert changed.breakouts.room_size == 6
    assert changed.breakouts.staff_per_room == 1
    assert changed.pre_reading[0].url == "https://example.org/plan"
    assert changed.agenda == cuppa.agenda


def test_an_override_can_remove_the_poll(formats):
    assert formats.get("network").with_overrides({"poll": None}).poll is None


@pytest.mark.parametrize("overrides, field", [
    ({"colour": "blue"}, "overrides.colour"),
    ({"paid": True}, "overrides.paid"),
    ({"duration_minutes": "ninety"}, "overrides.duration_minutes"),
    ({"duration_minutes": True}, "overrides.duration_minutes"),
    ({"reminder": "evening"}, "overrides.reminder"),
    ({"reminder_time": "8 o'clock"}, "overrides.reminder_time"),
    ({"breakouts": {"room_size": 1}}, "overrides.breakouts.room_size"),
    ({"breakouts": {"staff_per_room": 4}}, "overrides.breakouts.staff_per_room"),
    ({"breakouts": {"shape": "round"}}, "overrides.breakouts.shape"),
    ({"agenda": [{"title": "All of it", "minutes": 200}]}, "overrides.agenda"),
    ({"agenda": [{"title": "", "minutes": 20}]}, "overrides.agenda[0].title"),
    ({"pre_reading": [{"title": "Plan", "url": "ftp://x"}]}, "overrides.pre_reading[0].url"),
    ({"poll": {"title": "Mood", "question": "How?", "answers": ["Only one"]}}, "overrides.poll.answers"),
    ({"captioner_email": "not-an-address"}, "overrides.captioner_email"),
    ({"duration_minutes": 60}, "overrides.agenda"),
])
def test_a_wrong_override_names_its_field(formats, overrides, field):
    with pytest.raises(FormatError) as caught:
        formats.get("cuppa").with_overrides(overrides)
    assert caught.value.field == field


@pytest.mark.parametrize("data, field", [
    ({"formats": {}}, "formats"),
    ({"extras": {}, "formats": {"a": {"name": "A", "duration_minutes": 60, "paid": False}}}, "extras"),
    ({"formats": {"a": {"name": "A", "paid": False}}}, "formats.a.duration_minutes"),
    ({"formats": {"a": {"name": "A", "duration_minutes": 60, "paid": False, "repeats": "monthly-first-week"}}},
     "formats.a.default_weekday"),
    ({"formats": {"a": {"name": "A", "duration_minutes": 60, "paid": False, "pay_rate_pence_per_hour": 10}}},
     "formats.a.pay_rate_pence_per_hour"),
    ({"formats": {"a": {"name": "A", "duration_minutes": 60, "paid": False,
                        "agenda": [{"title": "x", "minutes": 5, "extra": 1}]}}}, "formats.a.agenda[0].extra"),
])
def test_a_wrong_formats_file_names_its_field(data, field):
    with pytest.raises(FormatError) as caught:
        parse_formats(data)
    assert caught.value.field == field


def test_a_minimal_format_takes_the_defaults():
    formats = parse_formats({"defaults": {"links_lead_days": 2},
                             "formats": {"chat": {"name": "Chat", "duration_minutes": 30, "paid": False}}})
    chat = formats.get("chat")
    assert chat.links_lead_days == 2 and chat.reminder == "morning" and chat.agenda == () and chat.poll is None
