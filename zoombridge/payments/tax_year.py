"""The UK tax year: 6 April to 5 April, by the calendar in the UK. Pure.

A person's yearly income from the organisation is counted per tax year (the statement shows it;
staff see who would cross the configured threshold before they approve). A payment belongs to
the tax year of its session's date in the organisation's timezone (docs/payments.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

FIRST_DAY = (4, 6)  # 6 April


@dataclass(frozen=True)
class TaxYear:
    first_day: date  # 6 April
    last_day: date  # 5 April of the next year

    @property
    def label(self) -> str:
        """'2026-27', as HMRC writes it."""
        return f"{self.first_day.year}-{str(self.first_day.year + 1)[-2:]}"

    @property
    def words(self) -> str:
        return f"6 April {self.first_day.year} to 5 April {self.last_day.year}"

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight at the start of 6 April, local time, to the next."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first_day, time(0), zone)
        end = datetime.combine(date(self.first_day.year + 1, *FIRST_DAY), time(0), zone)
        return start, end


def tax_year_of(moment: datetime, timezone: str = "Europe/London") -> TaxYear:
    """The tax year a moment falls in, by the local calendar (01:00 BST on 6 April is the new year)."""
    local = moment.astimezone(ZoneInfo(timezone)).date()
    first_year = local.year if (local.month, local.day) >= FIRST_DAY else local.year - 1
    return TaxYear(date(first_year, *FIRST_DAY), date(first_year + 1, 4, 5))
