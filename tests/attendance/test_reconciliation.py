from datetime import UTC, datetime, timedelta

from tests.builders import minutes_from
from zoombridge.attendance.reconciliation import (
    ReportRow,
    WebhookSegment,
    reconcile_participant,
    report_rows,
)

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=120)


at = minutes_from(START)


def hook(id, a, b, closed_by="left", place="main"):
    return WebhookSegment(id=id, place=place, joined_at=at(a), left_at=at(b),
                          closed_by=None if b is None else closed_by)


def row(a, b, place="main"):
    return ReportRow(joined_at=at(a), left_at=at(b), place=place)


def kinds(result):
    return [d.kind for d in result.differences]


def test_sources_that_agree_change_nothing_and_record_nothing():
    result = reconcile_participant([hook(1, 0, 60)], [row(0, 60)], END)
    assert result.report_left_at == {} and result.additions == [] and result.differences == []


def test_a_few_seconds_of_clock_difference_is_not_a_difference():
    result = reconcile_participant([hook(1, 0, 60)], [ReportRow(at(0) + timedelta(seconds=20), at(60) - timedelta(seconds=30), "main")], END)
    assert result.differences == []


def test_a_lost_participant_left_is_bounded_by_the_report():
    result = reconcile_participant([hook(1, 0, None)], [row(0, 45)], END)
    assert result.report_left_at == {1: at(45)}
    assert kinds(result) == ["left_time_from_report"]
    assert result.differences[0].seconds == 75 * 60


def test_a_segment_the_ingest_closed_at_meeting_end_is_bounded_too():
    result = reconcile_participant([hook(1, 0, 120, closed_by="meeting_ended")], [row(0, 45)], END)
    assert result.report_left_at == {1: at(45)}


def test_a_segment_with_a_real_leave_is_never_shortened_by_the_report():
    result = reconcile_participant([hook(1, 0, 90)], [row(0, 45)], END)
    assert result.report_left_at == {}
    assert kinds(result) == ["missing_from_report"]


def test_a_lost_rejoin_is_added_from_the_report():
    result = reconcile_participant([hook(1, 0, 30)], [row(0, 30), row(40, 100)], END)
    assert [(a.joined_at, a.left_at, a.place) for a in result.additions] == [(at(40), at(100), "main")]
    assert kinds(result) == ["missing_from_webhook"]


def test_a_person_the_webhooks_missed_entirely_gets_all_their_report_time():
    result = reconcile_participant([], [row(0, 30), row(20, 50, place="breakout")], END)
    assert [(a.joined_at, a.left_at, a.place) for a in result.additions] == [
        (at(0), at(30), "main"), (at(30), at(50), "breakout")]


def test_a_lost_leave_and_a_lost_rejoin_together():
    result = reconcile_participant([hook(1, 0, None)], [row(0, 30), row(60, 90)], END)
    assert result.report_left_at == {1: at(30)}
    assert [(a.joined_at, a.left_at) for a in result.additions] == [(at(60), at(90))]


def test_reconciling_twice_gives_the_same_answer():
    args = ([hook(1, 0, None), hook(2, 50, 60)], [row(0, 30), row(50, 100)], END)
    assert reconcile_participant(*args) == reconcile_participant(*args)


def test_report_rows_drop_the_waiting_room_and_read_breakouts_and_identity():
    rows = report_rows([
        {"id": "a", "user_id": "16778240", "name": "Ann", "user_email": "Ann@Example.org",
         "join_time": "2026-11-24T10:00:00Z", "leave_time": "2026-11-24T10:30:00Z", "duration": 1800,
         "status": "in_meeting", "registrant_id": "reg-1"},
        {"id": "a", "user_id": "16778240", "name": "Ann", "join_time": "2026-11-24T09:55:00Z",
         "leave_time": "2026-11-24T10:00:00Z", "status": "in_waiting_room"},
        {"id": "b", "user_id": "16778241", "name": "Bo", "join_time": "2026-11-24T10:05:00Z",
         "leave_time": "2026-11-24T10:25:00Z", "bo_mtg_id": "xyz=="},
        {"id": "c", "name": "broken", "join_time": "2026-11-24T10:05:00Z", "leave_time": ""},
    ])
    assert [(r.place, r.registrant_id, r.email, r.zoom_user_id) for r in rows] == [
        ("main", "reg-1", "ann@example.org", "16778240"), ("breakout", None, None, "16778241")]
    assert rows[0].joined_at == at(0)


def test_a_leave_the_ingest_guessed_from_a_rejoin_is_bounded_by_the_report():
    result = reconcile_participant([hook(1, 0, 70, closed_by="rejoined"), hook(2, 70, 120)],
                                   [row(0, 40), row(70, 120)], END)
    assert result.report_left_at == {1: at(40)}
