"""The finality rule, as a table (pure): when a session is overdue for finalising, and by when
its attendance is final at the latest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import utc
from zoombridge.attendance import finality

END = utc(2026, 11, 24, 12)
GRACE = timedelta(hours=24)


@pytest.mark.parametrize(("now", "final_at", "overdue"), [
    (END, None, False),  # just ended: meeting.ended may be on its way
    (END + GRACE - timedelta(seconds=1), None, False),
    (END + GRACE, None, True),  # the grace is over and nothing made it final
    (END + timedelta(days=30), None, True),
    (END + GRACE, END + timedelta(hours=1), False),  # final already (it ended normally)
])
def test_a_session_is_overdue_for_finalising_once_the_grace_after_its_scheduled_end_has_passed(now, final_at, overdue):
    assert finality.overdue_for_finalising(END, final_at, now, GRACE) is overdue


def test_attendance_is_final_at_most_the_grace_and_the_days_wait_for_the_report_after_the_scheduled_end():
    assert finality.scheduled_end(utc(2026, 11, 24, 10), 120) == END
    assert sum(finality.REPORT_WAITS, timedelta()) == timedelta(hours=23, minutes=50)
    assert finality.final_by(END, GRACE) == utc(2026, 11, 26, 11, 50)
    assert finality.whole_hours(finality.longest_wait(GRACE)) == 48
    assert finality.whole_hours(finality.longest_wait(timedelta(hours=1))) == 25


def test_the_instance_that_held_a_session_is_the_one_started_nearest_its_scheduled_start():
    start, window = utc(2026, 12, 1, 10), timedelta(hours=12)
    instances = [("nov==", utc(2026, 11, 3, 10)), ("late==", utc(2026, 12, 1, 10, 20)),
                 ("early==", utc(2026, 12, 1, 9, 55)), ("jan==", utc(2027, 1, 5, 10))]
    assert finality.held_instance(start, instances, window) == "early=="
    assert finality.held_instance(start, [("nov==", utc(2026, 11, 3, 10))], window) is None
    assert finality.held_instance(start, [], window) is None
