from datetime import date
from decimal import Decimal

import pytest

from beneficiaries import calculations


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2025, 6, 14), 24),  # the day before the 25th birthday
        (date(2025, 6, 15), 25),  # the birthday itself
        (date(2025, 6, 16), 25),
        (date(2026, 6, 14), 25),
        (date(2026, 6, 15), 26),
    ],
)
def test_age_at_a_date_around_the_birthday(on, age):
    assert calculations.age_at(date(2000, 6, 15), on) == age


def test_age_of_someone_born_on_29_february():
    born = date(2000, 2, 29)
    assert calculations.age_at(born, date(2026, 2, 28)) == 25
    assert calculations.age_at(born, date(2026, 3, 1)) == 26


def publics(**overrides):
    values = {
        "start_date": date(2025, 3, 1),
        "sex": "M",
        "birth_date": date(1990, 6, 15),
        "lives_in_qpv": False,
        "criteria_validated_on": {},
    }
    values.update(overrides)
    return calculations.frozen_publics(**values)


def test_youth_is_under_26_at_the_start():
    # 26th birthday on 02/03/2025: still 25 on 01/03/2025.
    assert publics(birth_date=date(1999, 3, 2)).is_youth is True
    assert publics(birth_date=date(1999, 3, 2)).age_at_start == 25
    # 26th birthday on the start day: no longer a youth.
    assert publics(birth_date=date(1999, 3, 1)).is_youth is False


def test_senior_is_50_or_more_at_the_start():
    assert publics(birth_date=date(1975, 3, 1)).is_senior is True  # 50th birthday on the start day
    assert publics(birth_date=date(1975, 3, 2)).is_senior is False  # 49 on the start day
    assert publics(birth_date=date(1975, 3, 2)).age_at_start == 49


def test_unknown_birth_date_is_neither_youth_nor_senior():
    result = publics(birth_date=None)
    assert result.age_at_start is None
    assert result.is_youth is False
    assert result.is_senior is False


def test_woman_and_qpv_resident():
    assert publics(sex="F").is_woman is True
    assert publics(sex="M").is_woman is False
    assert publics(lives_in_qpv=True).is_qpv_resident is True
    assert publics().is_qpv_resident is False


def test_criteria_count_only_when_validated_on_or_before_the_start():
    result = publics(
        criteria_validated_on={
            "rqth": date(2025, 3, 1),  # on the start day: counts
            "rsa": date(2025, 3, 2),  # the day after: does not count
            "long_term_job_seeker": date(2024, 1, 1),
        }
    )
    assert result.is_rqth is True
    assert result.is_rsa is False
    assert result.is_long_term_job_seeker is True


def test_very_long_term_job_seeker_counts_as_long_term():
    assert publics(criteria_validated_on={"very_long_term_job_seeker": date(2024, 1, 1)}).is_long_term_job_seeker


@pytest.mark.parametrize(
    ("hours", "training", "allowed", "above_full_time"),
    [
        (Decimal("0"), Decimal("0"), True, False),
        (Decimal("151.67"), Decimal("0"), True, False),
        (Decimal("151.68"), Decimal("0"), True, True),
        (Decimal("140"), Decimal("20"), True, True),
        (Decimal("220"), Decimal("0"), True, True),
        (Decimal("200"), Decimal("20"), True, True),
        (Decimal("220.01"), Decimal("0"), False, True),
        (Decimal("200"), Decimal("30"), False, True),
    ],
)
def test_monthly_ceiling_and_full_time_warning(hours, training, allowed, above_full_time):
    check = calculations.check_monthly_ceiling(hours, training)
    assert check.allowed is allowed
    assert check.above_full_time is above_full_time


def months_from(first: date, count: int, hours: str) -> dict[date, Decimal]:
    return {calculations.add_months(first, index): Decimal(hours) for index in range(count)}


def test_ai_cap_exactly_480_hours_over_24_months_is_allowed():
    # 23 months × 20 h = 460 h, plus 20 h in the 24th month = 480 h.
    history = months_from(date(2024, 1, 1), 23, "20")
    assert calculations.ai_cap_excess(history, date(2025, 12, 1), Decimal("20")) == 0


def test_ai_cap_480_and_a_half_hours_is_refused_with_the_excess():
    history = months_from(date(2024, 1, 1), 23, "20")
    assert calculations.ai_cap_excess(history, date(2025, 12, 1), Decimal("20.5")) == Decimal("0.5")


def test_ai_cap_ignores_hours_older_than_the_window():
    # 480 h in Jan 2023 – Dec 2024; in Jan 2025 the window starting Feb 2023 holds 460 + new hours.
    history = months_from(date(2023, 1, 1), 24, "20")
    assert calculations.ai_cap_excess(history, date(2025, 1, 1), Decimal("20")) == 0
    assert calculations.ai_cap_excess(history, date(2025, 1, 1), Decimal("21")) == Decimal("1")
    # Two years later, nothing of the old hours is in any window that contains the month.
    assert calculations.ai_cap_excess(history, date(2027, 1, 1), Decimal("200")) == 0


def test_ai_cap_checks_every_window_containing_the_month_including_later_hours():
    # Hours already recorded after the month count too: 400 h in Nov–Dec 2025 and 100 h in Jan 2024 all fall
    # in the window Jan 2024 – Dec 2025.
    history = {date(2025, 12, 1): Decimal("200"), date(2025, 11, 1): Decimal("200")}
    assert calculations.ai_cap_excess(history, date(2024, 1, 1), Decimal("100")) == Decimal("20")
    # Nov 2023 – Nov 2025 spans 25 months: no single window holds Nov 2023 and the 2025 hours.
    assert calculations.ai_cap_excess(history, date(2023, 11, 1), Decimal("100")) == 0


def test_ai_cap_replaces_the_value_already_recorded_for_the_month():
    history = months_from(date(2024, 1, 1), 24, "20")  # 480 h, Dec 2025 included
    assert calculations.ai_cap_excess(history, date(2025, 12, 1), Decimal("20")) == 0
    assert calculations.ai_cap_excess(history, date(2025, 12, 1), Decimal("10")) == 0
    assert calculations.ai_cap_excess(history, date(2025, 12, 15), Decimal("30")) == Decimal("10")


@pytest.mark.parametrize(
    ("amount", "share", "cost", "hours"),
    [
        (Decimal("3000"), Decimal("0.5"), Decimal("30"), Decimal("50.00")),
        (Decimal("1000"), Decimal("0.7"), Decimal("30"), Decimal("23.33")),
        (Decimal("100"), Decimal("0.5"), Decimal("24"), Decimal("2.08")),  # 2.0833…
        (Decimal("1"), Decimal("0.5"), Decimal("40"), Decimal("0.01")),  # 0.0125 half up
        (Decimal("0"), Decimal("0.5"), Decimal("30"), Decimal("0.00")),
    ],
)
def test_conversion_of_invoiced_amounts(amount, share, cost, hours):
    assert calculations.convert_invoiced_amount(invoiced_excl_vat=amount, labour_share=share, hourly_cost=cost) == hours


def test_conversion_refuses_a_zero_hourly_cost():
    with pytest.raises(ValueError, match="strictement positif"):
        calculations.convert_invoiced_amount(
            invoiced_excl_vat=Decimal("100"), labour_share=Decimal("0.5"), hourly_cost=Decimal("0")
        )


def test_counted_hours_add_training_only_when_the_clause_says_so():
    assert calculations.counted_hours(hours=Decimal("100"), training_hours=Decimal("20"), training_counts=False) == 100
    assert calculations.counted_hours(hours=Decimal("100"), training_hours=Decimal("20"), training_counts=True) == 120


def test_month_helpers():
    assert calculations.first_of_month(date(2025, 2, 28)) == date(2025, 2, 1)
    assert calculations.add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert calculations.add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert list(calculations.months_in(date(2025, 11, 20), date(2026, 1, 5))) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]
