"""The UK tax year (6 April to 5 April) by the UK clock (the statement and staff pages:
tests/web/test_yearly_totals.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zoombridge.payments.tax_year import tax_year_of


@pytest.mark.parametrize(("moment", "label"), [
    (datetime(2026, 4, 5, 22, 59, 59, tzinfo=UTC), "2025-26"),  # 23:59:59 BST on 5 April
    (datetime(2026, 4, 5, 23, 0, 0, tzinfo=UTC), "2026-27"),  # midnight BST: 6 April
    (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "2026-27"),
    (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "2026-27"),
    (datetime(2027, 4, 5, 23, 0, 0, tzinfo=UTC), "2027-28"),
    (datetime(2029, 4, 6, 0, 0, 0, tzinfo=UTC), "2029-30"),
])
def test_the_tax_year_turns_at_midnight_on_6_april_by_the_uk_clock(moment, label):
    assert tax_year_of(moment).label == label


def test_a_tax_year_is_said_in_words_and_bounded_in_uk_time():
    year = tax_year_of(datetime(2026, 11, 24, tzinfo=UTC))
    assert year.words == "6 April 2026 to 5 April 2027"
    start, end = year.bounds("Europe/London")
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (datetime(2026, 4, 5, 23, 0, tzinfo=UTC),
                                                            datetime(2027, 4, 5, 23, 0, tzinfo=UTC))
