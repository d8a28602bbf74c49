"""Pure arithmetic on people, placements and hours (DOMAIN.md §5–§6). No ORM."""

from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTHLY_CEILING_HOURS = Decimal("220")
FULL_TIME_MONTHLY_HOURS = Decimal("151.67")
AI_CAP_HOURS = Decimal("480")
AI_CAP_WINDOW_MONTHS = 24
YOUTH_AGE_LIMIT = 26
SENIOR_AGE = 50


def age_at(birth_date: date, on: date) -> int:
    """Age in full years on a given date."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """First day of the month `count` months after (or before) `month`."""
    index = month.year * 12 + (month.month - 1) + count
    return date(index // 12, index % 12 + 1, 1)


def months_before(day: date, count: int) -> date:
    """The same day `count` months earlier (the month's last day when it is shorter: 31/03 → 28 or 29/02)."""
    index = day.year * 12 + (day.month - 1) - count
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def criterion_expires_on(*, criterion: str, validated_on: date, birth_date: date | None, validity_months: int) -> date:
    """The day an eligibility criterion stops holding: `validity_months` after its validation (its evidence must
    then be checked again), or earlier for "moins de 26 ans" on the 26th birthday (the same day of the month,
    28/02 for someone born on 29/02). "50 ans et plus" has no ending birthday."""
    expires = months_before(validated_on, -validity_months)
    if criterion == "youth_low_qualification" and birth_date is not None:
        expires = min(expires, months_before(birth_date, -12 * YOUTH_AGE_LIMIT))
    return expires


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


@dataclass(frozen=True)
class FrozenPublics:
    """The publics a placement counts in, as of its start date."""

    age_at_start: int | None
    is_woman: bool
    is_youth: bool
    is_senior: bool
    is_qpv_resident: bool
    is_rqth: bool
    is_long_term_job_seeker: bool
    is_rsa: bool


def frozen_publics(
    *,
    start_date: date,
    sex: str,
    birth_date: date | None,
    lives_in_qpv: bool,
    criteria_validated_on: Mapping[str, date],
) -> FrozenPublics:
    """Compute the publics of a placement at its start (DOMAIN.md §6).

    `criteria_validated_on` maps a criterion code to its validation date; a criterion counts when it was
    validated on or before the start date.
    """
    age = age_at(birth_date, start_date) if birth_date else None
    held = {code for code, validated_on in criteria_validated_on.items() if validated_on <= start_date}
    return FrozenPublics(
        age_at_start=age,
        is_woman=sex == "F",
        is_youth=age is not None and age < YOUTH_AGE_LIMIT,
        is_senior=age is not None and age >= SENIOR_AGE,
        is_qpv_resident=lives_in_qpv,
        is_rqth="rqth" in held,
        is_long_term_job_seeker=bool(held & {"long_term_job_seeker", "very_long_term_job_seeker"}),
        is_rsa="rsa" in held,
    )


@dataclass(frozen=True)
class CeilingCheck:
    allowed: bool
    above_full_time: bool


def check_monthly_ceiling(hours: Decimal, training_hours: Decimal = Decimal("0")) -> CeilingCheck:
    """A month holds at most 220 h for one placement; above 151.67 h (full time) deserves a warning."""
    total = hours + training_hours
    return CeilingCheck(allowed=total <= MONTHLY_CEILING_HOURS, above_full_time=total > FULL_TIME_MONTHLY_HOURS)


def ai_cap_excess(hours_by_month: Mapping[date, Decimal], month: date, new_hours: Decimal) -> Decimal:
    """Hours above the AI cap (480 h over any 24 consecutive months) if `new_hours` are recorded in `month`.

    `hours_by_month` holds the hours already recorded for the same person provided by the same AI to the same
    company, keyed by first day of month; a value for `month` itself is replaced by `new_hours`.
    Returns 0 when the cap holds.
    """
    months = dict(hours_by_month)
    months[first_of_month(month)] = new_hours
    target = month_index(first_of_month(month))
    worst = Decimal("0")
    # Every 24-month window that contains the month.
    for window_start in range(target - AI_CAP_WINDOW_MONTHS + 1, target + 1):
        window_end = window_start + AI_CAP_WINDOW_MONTHS - 1
        total = sum(
            (value for key, value in months.items() if window_start <= month_index(key) <= window_end),
            Decimal("0"),
        )
        worst = max(worst, total - AI_CAP_HOURS)
    return worst


def convert_invoiced_amount(*, invoiced_excl_vat: Decimal, labour_share: Decimal, hourly_cost: Decimal) -> Decimal:
    """SIAE subcontract declared as an amount: hours = invoiced × labour share ÷ hourly cost (2 decimals)."""
    if hourly_cost <= 0:
        raise ValueError("Le coût horaire chargé doit être strictement positif.")
    return (invoiced_excl_vat * labour_share / hourly_cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def counted_hours(*, hours: Decimal, training_hours: Decimal, training_counts: bool) -> Decimal:
    """Hours that count toward a clause: training hours only where the clause says so."""
    return hours + (training_hours if training_counts else Decimal("0"))


def months_in(start: date, end: date) -> Iterable[date]:
    """First days of every month from start to end inclusive."""
    current = first_of_month(start)
    last = first_of_month(end)
    while current <= last:
        yield current
        current = add_months(current, 1)
