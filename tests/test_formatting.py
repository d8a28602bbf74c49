from datetime import date
from decimal import Decimal

from config.formatting import (
    exact_hours,
    french_date,
    french_figure,
    french_hours,
    french_month,
    french_number,
    french_percent,
    plain_decimal,
    plain_percent,
    round_half_up,
    rounded_share,
)


def test_french_number_rounds_half_up_and_groups_thousands():
    assert french_number(Decimal("1234.55"), 1) == "1\u00a0234,6"
    assert french_number(Decimal("1234567"), 0) == "1\u00a0234\u00a0567"
    assert french_number(Decimal("0.5"), 0) == "1"


def test_french_figure_drops_useless_zeros():
    assert french_figure(Decimal("155.50")) == "155,5"
    assert french_figure(Decimal("833.00")) == "833"
    assert french_figure(Decimal("12.345")) == "12,35"
    assert french_figure(Decimal("1500"), 1) == "1\u00a0500"


def test_french_percent_rounds_instead_of_truncating():
    assert french_percent(Decimal("0.18666")) == "18,7\u00a0%"
    assert french_percent(Decimal("1.617"), 0) == "162\u00a0%"


def test_french_dates():
    assert french_date(date(2025, 3, 1)) == "01/03/2025"
    assert french_month(date(2025, 3, 1)) == "03/2025"


def test_exact_hours_removes_the_float_noise_of_sqlite_sums():
    assert exact_hours(792281.789999999) == Decimal("792281.79")
    assert exact_hours(Decimal("82903.0899999999")) == Decimal("82903.09")
    assert exact_hours(None) == Decimal("0.00")
    assert str(exact_hours(0.35)) == "0.35"  # 0.35 is a little below the half as a float


def test_hours_on_pages_to_the_tenth_and_in_csv_to_the_hundredth():
    assert french_hours(Decimal("260.75")) == "260,8"
    assert french_hours(Decimal("0.35")) == "0,4"
    assert french_hours(Decimal("250.00")) == "250"
    assert french_hours(Decimal("1234.56")) == "1\u00a0234,6"
    assert plain_decimal(Decimal("792281.79")) == "792281,79"
    assert plain_decimal(Decimal("250.00")) == "250"
    assert plain_decimal(Decimal("1234.50")) == "1234,5"


def test_shares_are_rounded_once_half_up_and_never_negative_zero():
    assert rounded_share(Decimal("0.0145")) == Decimal("0.015")
    assert rounded_share(Decimal("0.01445")) == Decimal("0.014")  # not 0.0145 then 0.015
    assert french_percent(Decimal("-0.1465")) == "-14,7\u00a0%"
    assert french_percent(Decimal("-0.0004")) == "0,0\u00a0%"
    assert plain_percent(Decimal("0.0145")) == "1,5 %"
    assert plain_percent(Decimal("12.3456")) == "1234,6 %"  # no thousands separator in a CSV
    assert round_half_up(Decimal("-0.04"), 1) == Decimal("0.0")
