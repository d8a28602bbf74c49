"""The forecast of a lot and its "risque" flag (issue 16 point 4): clauses.calculations.lot_forecast."""

from datetime import date
from decimal import Decimal

from clauses.calculations import lot_forecast, projected_hours, recent_months

START, END = date(2026, 1, 1), date(2026, 12, 31)


def forecast(monthly=None, *, achieved=None, target=1200, start=START, end=END, today=date(2026, 7, 15)):
    monthly = {month: Decimal(str(hours)) for month, hours in (monthly or {}).items()}
    if achieved is None:
        achieved = sum(monthly.values(), Decimal("0"))
    return lot_forecast(
        target_hours=target, achieved_hours=Decimal(achieved), monthly_hours=monthly, start=start, end=end, today=today
    )


def test_recent_months_are_the_last_three_complete_months_of_execution():
    assert recent_months(start=START, end=END, today=date(2026, 7, 15)) == [
        date(2026, 4, 1),
        date(2026, 5, 1),
        date(2026, 6, 1),
    ]
    # Started in May: only May and June are complete months of execution.
    assert recent_months(start=date(2026, 5, 20), end=END, today=date(2026, 7, 15)) == [
        date(2026, 5, 1),
        date(2026, 6, 1),
    ]
    assert recent_months(start=date(2026, 7, 2), end=END, today=date(2026, 7, 15)) == []


def test_a_need_above_the_best_month_is_a_risk():
    monthly = {date(2026, month, 1): 100 for month in range(1, 7)}  # 600 h, 100 h a month
    result = forecast(monthly)
    assert result.recent_pace == Decimal("100.00")
    assert result.best_month == Decimal("100")
    # 600 h missing over 15/07 → 31/12 (170 days = 5.59 months): 107.43 h a month, above the best month of 100 h.
    assert result.needed_per_month == Decimal("107.43")
    assert result.at_risk is True
    # With a best month of 150 h, the need is within reach.
    monthly[date(2026, 2, 1)] = Decimal("150")
    result = forecast(monthly, achieved=600)
    assert result.best_month == Decimal("150")
    assert result.at_risk is False


def test_projections_at_the_current_and_the_recent_pace():
    # 600 h over January to March, nothing since: the recent pace (April to June) is 0.
    monthly = {date(2026, 1, 1): 200, date(2026, 2, 1): 200, date(2026, 3, 1): 200}
    result = forecast(monthly)
    assert result.projected_current == projected_hours(
        achieved_hours=Decimal("600"), start=START, end=END, today=date(2026, 7, 15)
    )
    assert result.recent_pace == Decimal("0.00")
    assert result.projected_recent == Decimal("600.0")  # nothing more at that pace
    assert result.projected_current > result.projected_recent


def test_no_hours_yet():
    result = forecast({}, today=date(2026, 3, 10))
    assert result.best_month == 0
    assert result.recent_pace == Decimal("0.00")
    assert result.projected_current == 0
    assert result.needed_per_month > 0
    assert result.at_risk is True  # two months of execution are over without an hour


def test_no_hours_in_the_first_month_is_not_yet_a_risk():
    result = forecast({}, today=date(2026, 1, 20))
    assert result.recent_pace is None
    assert result.projected_recent is None
    assert result.needed_per_month == Decimal("105.56")  # 1200 h over 346 days (11.37 months)
    assert result.at_risk is False


def test_an_ended_lot_is_never_at_risk():
    monthly = {date(2026, month, 1): 10 for month in range(1, 13)}
    result = forecast(monthly, today=date(2027, 2, 1))
    assert result.needed_per_month is None
    assert result.projected_recent == Decimal("120")
    assert result.projected_current == Decimal("120")
    assert result.at_risk is False


def test_a_reached_target_needs_nothing_more():
    monthly = {date(2026, month, 1): 250 for month in range(1, 6)}  # 1250 h ≥ 1200 h
    result = forecast(monthly)
    assert result.needed_per_month == Decimal("0.00")
    assert result.at_risk is False


def test_a_lot_starting_in_the_future():
    result = forecast({}, start=date(2026, 9, 1), today=date(2026, 7, 15))
    assert result.recent_pace is None
    assert result.projected_recent is None
    # The whole target over its execution period (122 days = 4.01 months).
    assert result.needed_per_month == Decimal("299.39")
    assert result.at_risk is False


def test_a_lot_without_target():
    result = forecast({date(2026, 2, 1): 40}, target=0)
    assert result.needed_per_month is None
    assert result.at_risk is False
