from datetime import UTC, datetime

import pytest

from tests.builders import minutes_from
from zoombridge.attendance.segments import timelines
from zoombridge.sandbox.events import Participant, ZoomEvents
from zoombridge.zoom.webhooks import parse_attendance_event

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ANA = Participant("Ana", "100", registrant_id="reg-ana", email="ana@example.org")
BEN = Participant("Ben", "200", email="ben@example.org")


at = minutes_from(T0)


def run(bodies, ended=None):
    events = [parse_attendance_event(b) for b in bodies]
    found, orphans = timelines([e for e in events if e is not None], ended)
    return {t.key: [(s.place, s.room, s.joined_at, s.left_at, s.closed_by) for s in t.segments] for t in found}, orphans


def test_a_delivery_repeated_three_times_makes_one_segment():
    z = ZoomEvents()
    joined, left = z.joined(ANA, at(0)), z.left(ANA, at(30))
    found, orphans = run([joined, joined, joined, left, left, left])
    assert found == {"registrant:reg-ana": [("main", None, at(0), at(30), "left")]}
    assert orphans == 0


def test_a_left_delivered_before_its_joined_still_pairs_with_it():
    z = ZoomEvents()
    joined, left = z.joined(ANA, at(0)), z.left(ANA, at(30))
    assert run([left, joined])[0] == {"registrant:reg-ana": [("main", None, at(0), at(30), "left")]}


def test_a_late_retry_of_left_does_not_cut_a_later_join():
    z = ZoomEvents()
    first_join, first_left = z.joined(ANA, at(0)), z.left(ANA, at(10))
    rejoin, final_left = z.joined(ANA, at(12)), z.left(ANA, at(40))
    # The first `left` failed and was retried 20 minutes later, after the rejoin was delivered.
    found, _ = run([first_join, rejoin, final_left, first_left])
    assert found["registrant:reg-ana"] == [("main", None, at(0), at(10), "left"),
                                            ("main", None, at(12), at(40), "left")]


def test_until_the_lost_left_arrives_a_rejoin_closes_the_earlier_stay():
    z = ZoomEvents()
    found, _ = run([z.joined(ANA, at(0)), z.joined(ANA, at(12))])
    assert found["registrant:reg-ana"] == [("main", None, at(0), at(12), "rejoined"),
                                            ("main", None, at(12), None, None)]


def test_a_rejoin_after_leaving_makes_a_second_segment():
    z = ZoomEvents()
    found, _ = run([z.joined(ANA, at(0)), z.left(ANA, at(5)), z.joined(ANA, at(6)), z.left(ANA, at(50))])
    assert [s[2:4] for s in found["registrant:reg-ana"]] == [(at(0), at(5)), (at(6), at(50))]


def test_two_devices_are_two_overlapping_segments_of_one_participant():
    z = ZoomEvents()
    laptop = ANA
    phone = Participant("Ana (phone)", "101", registrant_id="reg-ana")
    found, _ = run([z.joined(laptop, at(0)), z.joined(phone, at(2)), z.left(phone, at(20)), z.left(laptop, at(60))])
    assert found == {"registrant:reg-ana": [("main", None, at(0), at(60), "left"),
                                             ("main", None, at(2), at(20), "left")]}


def test_breakout_moves_are_segments_of_their_own_and_the_main_stay_continues():
    z = ZoomEvents()
    bodies = [
        z.joined(ANA, at(0)),
        z.joined_breakout(ANA, "room-a", at(10)), z.left_breakout(ANA, "room-a", at(25)),
        z.joined_breakout(ANA, "room-b", at(25)), z.left_breakout(ANA, "room-b", at(40)),
        z.left(ANA, at(90)),
    ]
    found, _ = run(bodies)
    assert found == {"registrant:reg-ana": [
        ("main", None, at(0), at(90), "left"),
        ("breakout", "room-a", at(10), at(25), "left"),
        ("breakout", "room-b", at(25), at(40), "left"),
    ]}


def test_a_breakout_event_without_email_is_filed_under_the_main_room_identity():
    z = ZoomEvents()
    joined_bo = z.joined_breakout(ANA, "room-a", at(10))
    joined_bo["payload"]["object"]["participant"].update(registrant_id="", email="")
    found, _ = run([z.joined(ANA, at(0)), joined_bo])
    assert set(found) == {"registrant:reg-ana"}
    assert found["registrant:reg-ana"][1][:2] == ("breakout", "room-a")


def test_a_phone_caller_is_filed_by_their_number():
    z = ZoomEvents()
    caller = Participant("07700 900123", "300", phone_number="07700 900123")
    found, _ = run([z.joined(caller, at(3)), z.left(caller, at(45))])
    assert found == {"phone:+447700900123": [("main", None, at(3), at(45), "left")]}


def test_the_waiting_room_is_its_own_place_closed_by_admission():
    z = ZoomEvents()
    found, _ = run([z.joined_waiting_room(BEN, at(0)), z.admitted(BEN, at(2)), z.joined(BEN, at(2)),
                    z.put_in_waiting_room(BEN, at(30)), z.left_waiting_room(BEN, at(31))])
    assert found["email:ben@example.org"] == [
        ("waiting", None, at(0), at(2), "admitted"),
        ("main", None, at(2), None, None),
        ("waiting", None, at(30), at(31), "left"),
    ]


def test_meeting_end_closes_everyone_still_in_at_the_end_time():
    z = ZoomEvents()
    found, _ = run([z.joined(ANA, at(0)), z.joined_breakout(ANA, "room-a", at(10)), z.joined(BEN, at(5)),
                    z.left(BEN, at(20))], ended=at(90))
    assert found["registrant:reg-ana"] == [("main", None, at(0), at(90), "meeting_ended"),
                                            ("breakout", "room-a", at(10), at(90), "meeting_ended")]
    assert found["email:ben@example.org"] == [("main", None, at(5), at(20), "left")]


def test_a_left_without_any_join_makes_no_segment_and_is_counted():
    z = ZoomEvents()
    found, orphans = run([z.left(ANA, at(10))])
    assert found == {} and orphans == 1


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]])
def test_the_order_of_delivery_never_changes_the_result(order):
    z = ZoomEvents()
    bodies = [z.joined(ANA, at(0)), z.left(ANA, at(10)), z.joined(ANA, at(12)), z.left(ANA, at(40))]
    found, _ = run([bodies[i] for i in order])
    assert [s[2:] for s in found["registrant:reg-ana"]] == [(at(0), at(10), "left"), (at(12), at(40), "left")]


def test_a_join_and_leave_in_the_same_second_keep_their_order_by_event_ts():
    z = ZoomEvents()
    joined, left = z.joined(ANA, at(0)), z.left(ANA, at(0))
    found, orphans = run([left, joined])
    assert found["registrant:reg-ana"] == [("main", None, at(0), at(0), "left")] and orphans == 0


def test_a_guests_breakout_stay_is_filed_with_their_main_room_stay():
    z = ZoomEvents()
    guest = Participant("Fin", "500")
    found, _ = run([z.joined(guest, at(0)), z.joined_breakout(guest, "room-a", at(10), breakout_user_id="900")])
    assert list(found) == ["zoom:500"]
    assert [s[0] for s in found["zoom:500"]] == ["main", "breakout"]
