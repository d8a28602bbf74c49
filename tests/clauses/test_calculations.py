from datetime import date
from decimal import Decimal

import pytest

from clauses import calculations
from clauses.calculations import TargetStatus


def test_general_formula_worked_example_of_the_domain():
    # 1,000,000 € × 50 % × 5 % ÷ 30 €/h = 833.33 h → 833 h.
    hours = calculations.general_target_hours(
        amount_excl_vat=Decimal("1000000"),
        labour_share=Decimal("0.5"),
        insertion_rate=Decimal("0.05"),
        hourly_cost=Decimal("30"),
    )
    assert hours == 833


def test_general_formula_rounds_half_up_to_the_hour():
    # 45 € × 100 % × 100 % ÷ 30 €/h = 1.5 h → 2 h (half up).
    assert (
        calculations.general_target_hours(
            amount_excl_vat=Decimal("45"),
            labour_share=Decimal("1"),
            insertion_rate=Decimal("1"),
            hourly_cost=Decimal("30"),
        )
        == 2
    )
    # 2,500,000 × 0.7 × 0.1 ÷ 25 = 7,000 h exactly.
    assert (
        calculations.general_target_hours(
            amount_excl_vat=Decimal("2500000"),
            labour_share=Decimal("0.7"),
            insertion_rate=Decimal("0.10"),
            hourly_cost=Decimal("25"),
        )
        == 7000
    )


def test_general_formula_refuses_a_zero_hourly_cost():
    with pytest.raises(ValueError, match="strictement positif"):
        calculations.general_target_hours(
            amount_excl_vat=Decimal("1000"), labour_share=Decimal("0.5"), insertion_rate=Decimal("0.05"), hourly_cost=0
        )


def test_cleaning_formula_normal_case_computed_by_hand():
    # A = 600,000 € over N = 24 months → 25,000 €/month. S = 300 h/month of taken-over staff, C = 25 €.
    # P = 1 − (300 × 25) ÷ 25,000 = 1 − 0.3 = 0.7
    # I = 0.7 × 600,000 ÷ 25 × 0.05 = 840 h.
    result = calculations.cleaning_calibration(
        turnover_excl_vat=Decimal("600000"),
        insertion_rate=Decimal("0.05"),
        taken_over_monthly_hours=Decimal("300"),
        duration_months=24,
    )
    assert result.remaining_share == Decimal("0.7")
    assert result.target_hours == 840
    assert result.possible is True
    assert result.below_advised_minimum is False
    assert result.warning == ""


def test_cleaning_formula_below_150_hours_is_warned():
    # A = 120,000 € over N = 12 months → 10,000 €/month. S = 200 h, C = 25 €.
    # P = 1 − 5,000 ÷ 10,000 = 0.5 ; I = 0.5 × 120,000 ÷ 25 × 0.05 = 120 h < 150 h.
    result = calculations.cleaning_calibration(
        turnover_excl_vat=Decimal("120000"),
        insertion_rate=Decimal("0.05"),
        taken_over_monthly_hours=Decimal("200"),
        duration_months=12,
    )
    assert result.remaining_share == Decimal("0.5")
    assert result.target_hours == 120
    assert result.possible is True
    assert result.below_advised_minimum is True
    assert result.warning.startswith("Moins de 150 heures")


def test_cleaning_formula_exactly_150_hours_is_not_warned():
    # A = 150,000 €, N = 10 → 15,000 €/month; S = 0 → P = 1 ; I = 150,000 ÷ 25 × 0.025 = 150 h.
    result = calculations.cleaning_calibration(
        turnover_excl_vat=Decimal("150000"),
        insertion_rate=Decimal("0.025"),
        taken_over_monthly_hours=Decimal("0"),
        duration_months=10,
    )
    assert result.target_hours == 150
    assert result.below_advised_minimum is False


@pytest.mark.parametrize("taken_over", [Decimal("400"), Decimal("500")])
def test_cleaning_formula_no_clause_possible_when_taken_over_staff_absorbs_the_market(taken_over):
    # A = 120,000 € over 12 months → 10,000 €/month; S × C = 400 × 25 = 10,000 → P = 0 (and < 0 for 500 h).
    result = calculations.cleaning_calibration(
        turnover_excl_vat=Decimal("120000"),
        insertion_rate=Decimal("0.05"),
        taken_over_monthly_hours=taken_over,
        duration_months=12,
    )
    assert result.remaining_share <= 0
    assert result.possible is False
    assert result.target_hours == 0
    assert result.warning.startswith("Aucune clause possible")


def test_cleaning_formula_refuses_a_zero_duration():
    with pytest.raises(ValueError):
        calculations.cleaning_calibration(
            turnover_excl_vat=Decimal("1000"),
            insertion_rate=Decimal("0.05"),
            taken_over_monthly_hours=Decimal("0"),
            duration_months=0,
        )


def test_achievement_rate_can_exceed_100_percent():
    rate = calculations.achievement_rate(achieved_hours=Decimal("1000"), target_hours=833)
    assert rate == Decimal("1000") / Decimal("833")  # exact: rounded once, for display
    assert calculations.achievement_rate(achieved_hours=Decimal("416.5"), target_hours=833) == Decimal("0.5")
    assert calculations.achievement_rate(achieved_hours=Decimal("10"), target_hours=0) is None


def test_months_between_counts_touched_calendar_months():
    assert calculations.months_between(date(2025, 1, 15), date(2025, 3, 2)) == 3
    assert calculations.months_between(date(2025, 1, 1), date(2026, 12, 31)) == 24


def test_projection_at_the_current_pace():
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    # 100 h in the first 181 days (Jan–Jun) → pace 100 ÷ (181 ÷ 30.4375) per month over 364 ÷ 30.4375 months
    # = 100 × 364 ÷ 181 = 201.1 h.
    assert calculations.projected_hours(
        achieved_hours=Decimal("100"), start=start, end=end, today=date(2025, 7, 1)
    ) == Decimal("201.1")
    # On or after the end date the projection is what was achieved; on the first day there is no pace yet.
    assert calculations.projected_hours(achieved_hours=Decimal("500"), start=start, end=end, today=end) == 500
    assert calculations.projected_hours(achieved_hours=Decimal("0"), start=start, end=end, today=start) == 0


def test_elapsed_share_is_clamped():
    start, end = date(2025, 1, 1), date(2025, 1, 10)
    assert calculations.elapsed_share(start=start, end=end, today=date(2024, 12, 1)) == 0
    assert calculations.elapsed_share(start=start, end=end, today=date(2025, 1, 5)) == Decimal("0.5")
    assert calculations.elapsed_share(start=start, end=end, today=date(2026, 1, 1)) == 1


@pytest.mark.parametrize(
    ("achieved", "today", "expected"),
    [
        # 1,000 h target over Jan 1 – Dec 31 2025 (365 days); on Jul 2, 183 days elapsed → 501.4 h expected.
        (Decimal("1000"), date(2025, 7, 2), TargetStatus.ACHIEVED),
        (Decimal("1200"), date(2025, 3, 1), TargetStatus.ACHIEVED),
        (Decimal("452"), date(2025, 7, 2), TargetStatus.ON_TRACK),  # ≥ 90 % of 501.4 = 451.2
        (Decimal("451"), date(2025, 7, 2), TargetStatus.BEHIND),
        (Decimal("0"), date(2025, 12, 31), TargetStatus.BEHIND),
    ],
)
def test_target_status(achieved, today, expected):
    status = calculations.target_status(
        achieved_hours=achieved, target_hours=1000, start=date(2025, 1, 1), end=date(2025, 12, 31), today=today
    )
    assert status == expected


def test_target_status_without_target():
    status = calculations.target_status(
        achieved_hours=Decimal("5"),
        target_hours=0,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        today=date(2025, 6, 1),
    )
    assert status == TargetStatus.NO_TARGET
    assert TargetStatus.LABELS[status] == "Sans objectif"


# --- Status of a lot (DOMAIN.md §8) at its boundaries ------------------------------------------------------------
# 1,000 h over Jan 1 – Apr 10 2025 (100 days, both included): 10 h expected per day elapsed.
START, END = date(2025, 1, 1), date(2025, 4, 10)


def status_on(achieved, today, target=1000):
    return calculations.target_status(
        achieved_hours=Decimal(achieved), target_hours=target, start=START, end=END, today=today
    )


def test_tolerance_is_a_named_ten_percent():
    assert Decimal("0.10") == calculations.STATUS_TOLERANCE


def test_expected_hours_grow_linearly_from_the_start_day_to_the_end_day():
    def expected(today):
        return calculations.expected_hours(target_hours=1000, start=START, end=END, today=today)

    assert expected(date(2024, 12, 31)) == 0  # the day before the start
    assert expected(START) == Decimal("10.00")  # the start day counts as one day elapsed
    assert expected(date(2025, 2, 19)) == Decimal("500.00")  # day 50 of 100
    assert expected(END) == Decimal("1000.00")
    assert expected(date(2025, 4, 11)) == Decimal("1000.00")
    assert calculations.expected_hours(target_hours=0, start=START, end=END, today=END) == 0
    # Rounded to the hundredth: 833 h over 3 days, on day 1 → 277.666… h.
    third = calculations.expected_hours(target_hours=833, start=START, end=date(2025, 1, 3), today=START)
    assert third == Decimal("277.67")


@pytest.mark.parametrize(
    ("achieved", "today", "expected"),
    [
        # Before the start: not started, even with some hours already validated.
        ("0", date(2024, 12, 31), TargetStatus.NOT_STARTED),
        ("5", date(2024, 12, 31), TargetStatus.NOT_STARTED),
        # Start day: 10 h expected, on track from 9 h (90 %), behind below.
        ("9", START, TargetStatus.ON_TRACK),
        ("8.99", START, TargetStatus.BEHIND),
        ("0", START, TargetStatus.BEHIND),
        # Day 50: 500 h expected; exactly at the tolerance (450 h) is on track, a hundredth below is behind.
        ("450", date(2025, 2, 19), TargetStatus.ON_TRACK),
        ("449.99", date(2025, 2, 19), TargetStatus.BEHIND),
        # End day: still running, the whole target expected, with the tolerance.
        ("900", END, TargetStatus.ON_TRACK),
        ("899.99", END, TargetStatus.BEHIND),
        # The day after the end: no tolerance any more, short of the target is "ended below".
        ("999.99", date(2025, 4, 11), TargetStatus.ENDED_BELOW),
        ("900", date(2025, 4, 11), TargetStatus.ENDED_BELOW),
        ("0", date(2026, 4, 11), TargetStatus.ENDED_BELOW),
        # Achieved at any time: before the start, while running, on the end day and after.
        ("1000", date(2024, 12, 31), TargetStatus.ACHIEVED),
        ("1000", START, TargetStatus.ACHIEVED),
        ("1000", END, TargetStatus.ACHIEVED),
        ("1200.5", date(2027, 1, 1), TargetStatus.ACHIEVED),
    ],
)
def test_status_at_the_boundaries(achieved, today, expected):
    assert status_on(achieved, today) == expected


def test_an_ended_lot_is_never_on_track_nor_behind():
    for achieved in ("0", "500", "950", "999"):
        for today in (date(2025, 4, 11), date(2025, 6, 1), date(2030, 1, 1)):
            assert status_on(achieved, today) == TargetStatus.ENDED_BELOW


def test_a_lot_without_target_has_no_status_whatever_the_day():
    for today in (date(2024, 12, 31), START, date(2025, 4, 11)):
        assert status_on("0", today, target=0) == TargetStatus.NO_TARGET


def test_shortfall_is_what_is_missing_to_the_target():
    assert calculations.shortfall_hours(achieved_hours=Decimal("912.25"), target_hours=1000) == Decimal("87.75")
    assert calculations.shortfall_hours(achieved_hours=Decimal("1200"), target_hours=1000) == 0


def test_status_codes_labels_and_attention():
    assert dict(TargetStatus.CHOICES) == {
        "not_started": "Pas commencé",
        "on_track": "Dans les temps",
        "behind": "En retard",
        "achieved": "Objectif atteint",
        "ended_below": "Objectif non atteint",
        "no_target": "Sans objectif",
    }
    assert TargetStatus.NEEDS_ATTENTION == ("behind", "ended_below")
