"""What schemathesis found against a live `zoombridge web` (.ci/schemathesis.sh), each kept fixed.

Each case was an answer off the published contract: a 500, or a request the contract says is
wrong that the API accepted (read silently as something else). The null `round` of a live
re-plan and the 405 without `Allow` have their tests beside the rest of their area
(test_breakout_plan_api.py, test_errors.py).
"""

from __future__ import annotations

import pytest

from tests.builders import add_session


@pytest.fixture
def session_id(db) -> int:
    with db() as s:
        return add_session(s, kind="co-production").id


@pytest.mark.parametrize("path", ["participants?unmatched={}", "payments?history={}"])
@pytest.mark.parametrize("value", ["0.5", "maybe", "2"])
def test_a_yes_no_parameter_that_is_neither_is_refused_naming_it(client, staff_headers, session_id, path, value):
    """`?unmatched=0.5` was read as "no" and answered 200."""
    resp = client.get(f"/api/v1/sessions/{session_id}/{path.format(value)}", headers=staff_headers)
    assert resp.status_code == 400
    assert resp.json["error"]["field"] == path.split("?")[1].split("=")[0]


@pytest.mark.parametrize(("value", "status"), [("1", 200), ("true", 200), ("no", 200), ("", 200), ("YES", 400)])
def test_the_yes_no_words_are_still_read(client, staff_headers, session_id, value, status):
    resp = client.get(f"/api/v1/sessions/{session_id}/participants?unmatched={value}", headers=staff_headers)
    assert resp.status_code == status


@pytest.mark.parametrize("first", [{}, [], 0, False, ""])
def test_a_series_whose_first_weekday_is_not_a_day_is_refused_not_defaulted(client, staff_headers, first):
    """`{"repeat": {"first": {}}}` made a series on the format's own weekday (201)."""
    resp = client.post("/api/v1/sessions", headers=staff_headers, json={
        "kind": "cuppa", "start": "2027-01-05T10:30", "repeat": {"first": first, "count": 2}})
    assert (resp.status_code, resp.json["error"]["field"]) == (400, "repeat.first")


def test_a_series_without_a_first_weekday_takes_the_formats(client, staff_headers):
    resp = client.post("/api/v1/sessions", headers=staff_headers, json={
        "kind": "cuppa", "start": "2027-01-05T10:30", "repeat": {"first": None, "count": 2}})
    assert resp.status_code == 201 and len(resp.json["sessions"]) == 2


def test_an_empty_query_number_is_read_as_left_out_as_the_contract_says(client, staff_headers):
    resp = client.get("/api/v1/audit?before_id=&limit=", headers=staff_headers)
    assert resp.status_code == 200


@pytest.mark.parametrize("overrides", [False, 0, "", []])
def test_overrides_that_are_not_an_object_are_refused_not_read_as_none(client, staff_headers, overrides):
    """`{"overrides": false}` made a session with no overrides (201); a change to false cleared them."""
    created = client.post("/api/v1/sessions", headers=staff_headers,
                          json={"kind": "cuppa", "start": "2027-01-05T10:30", "overrides": overrides})
    assert (created.status_code, created.json["error"]["field"]) == (400, "overrides")
    session = client.post("/api/v1/sessions", headers=staff_headers, json={
        "kind": "cuppa", "start": "2027-01-05T10:30", "overrides": {"max_people": 12}}).json
    changed = client.patch(f"/api/v1/sessions/{session['id']}", headers=staff_headers, json={"overrides": overrides})
    assert (changed.status_code, changed.json["error"]["field"]) == (400, "overrides")
    cleared = client.patch(f"/api/v1/sessions/{session['id']}", headers=staff_headers, json={"overrides": None})
    assert (cleared.status_code, cleared.json["overrides"]) == (200, {})
