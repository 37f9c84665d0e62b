"""Hypothesis against the staff API's writing endpoints: never a 500, never a partial write,
always a JSON error that names the problem.

Bodies mix the fields each endpoint knows (with values of every JSON type, and plausible ones)
with unknown fields and bodies that are not JSON objects at all. After any 4xx, every table
holds exactly the rows it held before.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.builders import add_person
from zoombridge.store.models import Base

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10)
PLAUSIBLE = {
    "kind": st.sampled_from(["cuppa", "co-production", "network", "Cuppa", ""]),
    "title": st.text(max_size=300),
    "start": st.sampled_from(["2026-12-08T10:00", "2026-12-08", "2026-02-30T10:00", "yesterday", "2020-01-01T10:00",
                              "2026-12-08T10:00:00+01:00", "9999-12-31T23:59"]),
    "repeat": st.fixed_dictionaries({}, optional={"first": st.sampled_from(["tuesday", "funday"]),
                                                  "count": st.integers(-3, 80)}),
    "overrides": st.dictionaries(st.sampled_from(["room_size", "duration_minutes", "paid", "capacity", "x"]),
                                 JSON_VALUES, max_size=3),
    "first_name": st.text(max_size=120),
    "email": st.sampled_from(["ana@example.org", "not-an-email", "a@b", "ANA@EXAMPLE.ORG", ""]) | st.text(max_size=40),
    "joins_by": st.sampled_from(["video", "phone", "carrier pigeon"]),
    "phone": st.sampled_from(["07700 900123", "+44 7700 900123", "12", ""]),
    "access_needs": st.text(max_size=50),
    "wants_payment": st.booleans() | st.sampled_from(["yes", "no", "maybe"]),
    "rounds": st.integers(-2, 12), "room_size": st.integers(-2, 40), "seed": st.integers(),
    "keep_together": st.lists(st.lists(st.integers(0, 50), max_size=3), max_size=3),
    "round": st.integers(-1, 5), "partial": st.booleans(),
    "preparation_minutes": st.integers(-100, 10_000),
    "amount_pence": st.integers(-10**6, 10**9), "what_for": st.text(max_size=60),
    "person_id": st.integers(-5, 10**6), "action": st.sampled_from(["approve", "reject", "hold", "adjust", "x"]),
    "reason": st.text(max_size=60), "note": st.text(max_size=60),
}


def _bodies(*keys: str):
    known = st.fixed_dictionaries({}, optional={k: PLAUSIBLE.get(k, JSON_VALUES) | JSON_VALUES for k in keys})
    with_unknown = st.builds(lambda d, extra: {**d, **extra}, known,
                             st.dictionaries(st.text(min_size=1, max_size=12), JSON_VALUES, max_size=2))
    return known | with_unknown | JSON_VALUES


ROUTES = [
    ("POST", "/api/v1/sessions", ("kind", "title", "start", "overrides", "repeat")),
    ("PATCH", "/api/v1/sessions/{session}", ("title", "start", "overrides")),
    ("POST", "/api/v1/sessions/{session}/registrations",
     ("first_name", "email", "joins_by", "phone", "access_needs", "wants_payment")),
    ("POST", "/api/v1/sessions/{session}/breakout-plan", ("rounds", "room_size", "keep_together", "seed")),
    ("POST", "/api/v1/sessions/{session}/breakout-plan/push", ("round", "partial")),
    ("PUT", "/api/v1/sessions/{session}/claims/{person}", ("wants_payment", "note")),
    ("PUT", "/api/v1/sessions/{session}/preparation", ("preparation_minutes", "person_id")),
    ("POST", "/api/v1/sessions/{session}/cost-claims", ("person_id", "amount_pence", "what_for")),
    ("POST", "/api/v1/sessions/{session}/participants/1/match", ("person_id", "confirmed")),
    ("PATCH", "/api/v1/payments/1", ("action", "reason", "amount_pence")),
    ("PATCH", "/api/v1/cost-claims/1", ("action", "reason", "amount_pence")),
    ("POST", "/api/v1/payments/export", ("session_id",)),
]


def _row_counts(db) -> dict[str, int]:
    with db() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def ids(client, staff_headers, db):
    made = client.post("/api/v1/sessions", json={"kind": "co-production", "start": "2026-12-08T10:00"},
                       headers=staff_headers)
    assert made.status_code == 201, made.get_json()
    with db() as s:
        person = add_person(s, "Ana", "ana@example.org")
        return {"session": made.get_json()["id"], "person": person.id}


@pytest.mark.parametrize(("method", "path", "fields"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_fuzzed_staff_api_bodies_are_never_a_500_or_a_partial_write(client, staff_headers, db, ids,
                                                                      method, path, fields):
    url = path.format(**ids)

    @hypothesis_settings(max_examples=40, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=_bodies(*fields) | st.binary(max_size=40))
    def check(body):
        before = _row_counts(db)
        data = body if isinstance(body, bytes) else json.dumps(body)
        response = client.open(url, method=method, data=data, headers={**staff_headers,
                                                                       "Content-Type": "application/json"})
        assert response.status_code < 500, response.data[:300]
        if response.status_code >= 400:
            error = response.get_json()["error"]
            assert error["code"] and error["message"]
            if response.status_code in (400, 422):
                assert "field" in error, error  # the problem is named (even an empty key, as "")
            assert _row_counts(db) == before, f"{method} {url} wrote rows before refusing: {error}"

    check()
