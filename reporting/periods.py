"""Which months of a year a report counts (pure: no ORM).

A past year is complete. The current year is partial: it counts the months up to the last day of the previous
month (on 26/11/2026, "au 31/10/2026"), so that it is compared with the same months of the previous year. In
January no month is complete yet: January, in progress, is counted and labelled with the day itself.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class YearPeriod:
    year: int
    through_month: int  # months 1..through_month are counted (12: the whole year)
    cutoff: date | None  # the last day counted when the year is partial, else None

    @property
    def is_partial(self) -> bool:
        return self.cutoff is not None

    @property
    def label(self) -> str:
        """ "2025" or "2026 (au 31/10/2026)"."""
        return f"{self.year} (au {self.cutoff:%d/%m/%Y})" if self.cutoff else str(self.year)

    @property
    def previous_label(self) -> str:
        """ "2024" or "2025 même période" (January to the same month)."""
        return f"{self.year - 1} même période" if self.cutoff else str(self.year - 1)

    @property
    def previous_full_label(self) -> str:
        return f"{self.year - 1} complète"


def year_period(year: int, *, today: date) -> YearPeriod:
    """The period counted for `year` seen on `today` (a future year counts nothing yet: through_month 0)."""
    if year < today.year:
        return YearPeriod(year, 12, None)
    if year > today.year:
        return YearPeriod(year, 0, None)
    if today.month == 1:
        return YearPeriod(year, 1, today)
    month = today.month - 1
    return YearPeriod(year, month, date(year, month, calendar.monthrange(year, month)[1]))
