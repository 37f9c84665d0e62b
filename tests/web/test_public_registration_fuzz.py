"""Hypothesis against the public registration form: never a 500, never a partial write, and a
refusal is an HTML page that marks the field at fault.

Each example posts a valid form token with fuzzed answers (any text, including control
characters, very long values and unknown fields). Saved: a 303 and at most one more
registration. Refused: a 400 page carrying a `<field>-error` message, and every table as it was.
The per-address rate limit is lifted so every example reaches the form's checks (the limit has
its own test).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.web.test_public_registration import form_token, make_session
from tests.web.test_staff_api_fuzz import _row_counts
from zoombridge.web import public_registration

ANSWERS = st.text(max_size=300) | st.sampled_from(["", " ", "video", "phone", "yes", "on", "ada@example.org",
                                                    "07700 900123", "+44 7700 900123", "x" * 5000])
FORMS = st.fixed_dictionaries({}, optional={name: ANSWERS for name in (
    "first_name", "email", "phone", "joins_by", "access_needs", "wants_payment", "website")}) | st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries({"first_name": ANSWERS, "email": ANSWERS, "joins_by": ANSWERS}),
    st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=2))


def test_fuzzed_registration_forms_are_never_a_500_or_a_partial_write(client, db, clock, monkeypatch):
    monkeypatch.setattr(public_registration, "RATE_LIMIT", 10**6)
    session_id = make_session(db, clock)

    @hypothesis_settings(max_examples=80, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(form=FORMS)
    def check(form):
        before = _row_counts(db)
        response = client.post(f"/register/{session_id}", data={**form, "csrf_token": form_token(client, session_id)})
        assert response.status_code in (303, 400), (response.status_code, response.data[:300])
        after = _row_counts(db)
        if response.status_code == 400:
            page = response.data.decode()
            assert page.startswith("<!doctype html>") and '-error"' in page
            assert after == before
        else:
            assert after["registrations"] - before["registrations"] in (0, 1)

    check()
