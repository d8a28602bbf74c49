from datetime import date
from decimal import Decimal

from config.formatting import french_date, french_figure, french_month, french_number, french_percent


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
