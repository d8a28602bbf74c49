"""French display of figures and dates ("1 234,5", "18,7 %", "01/03/2025"), whatever the request language.

The one home for pages, service messages and exports, so a figure reads the same everywhere. Numbers are
rounded half up (Django's number_format truncates, which shows 18,67 % as 18,6 %), and each figure is
rounded once, here, from its exact value (DOMAIN.md §8):

- hours are exact decimals to the hundredth (`exact_hours`, also what the reporting queries return, whatever
  the database); pages, PDF and charts show them to 0.1 h (`french_hours`); exports carry them exact to the
  hundredth (`plain_decimal`);
- rates, shares and year-on-year changes are kept exact and rounded once to 0.1 % (`rounded_share`), the
  same rounded value in every output (`french_percent` on pages, `plain_percent` in CSV, the share itself in
  XLSX and JSON).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

THOUSANDS = "\u00a0"  # the separator of config/formats/fr
HUNDREDTH = Decimal("0.01")  # hours are stored to the hundredth
PAGE_HOURS_DECIMALS = 1  # hours shown to 0.1 h on pages, PDF and charts
PERCENT_DECIMALS = 1  # rates and changes shown to 0.1 %


def round_half_up(value, decimals: int) -> Decimal:
    """`value` rounded half up to `decimals` places; never "-0" (a change of -0.04 % reads 0,0 %)."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded == 0 else rounded


def exact_hours(value) -> Decimal:
    """A number of hours exact to the hundredth, as the database holds it.

    PostgreSQL returns sums of numeric columns exactly; SQLite returns them as floats (792281.789999999):
    every term has two decimals, so rounding to the hundredth gives back the exact sum.
    """
    if value is None:
        value = 0
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def rounded_share(share) -> Decimal:
    """A share (0.0145 = 1,45 %) rounded once to 0.1 %: 0.0145 → 0.015."""
    return round_half_up(share, PERCENT_DECIMALS + 2)


def french_number(value, decimals: int = 0) -> str:
    """Round half up to `decimals`, group thousands, decimal comma: 1234.56 → "1 234,6" (decimals=1)."""
    rounded = round_half_up(value, decimals)
    return f"{rounded:,.{decimals}f}".replace(",", THOUSANDS).replace(".", ",")


def french_figure(value, max_decimals: int = 2) -> str:
    """Like french_number without useless zeros: 155.50 → "155,5", 833.00 → "833"."""
    rounded = round_half_up(value, max_decimals).normalize()
    decimals = max(0, -rounded.as_tuple().exponent)
    return french_number(rounded, decimals)


def french_hours(value) -> str:
    """Hours as pages, PDF and charts show them, to 0.1 h: 260.75 → "260,8", 250.00 → "250" (no unit)."""
    return french_figure(exact_hours(value), PAGE_HOURS_DECIMALS)


def french_percent(share, decimals: int = PERCENT_DECIMALS) -> str:
    """A share between 0 and 1 (or above, or a negative change) as a percentage: 0.18666 → "18,7 %"."""
    return f"{french_number(round_half_up(Decimal(share) * 100, decimals), decimals)}\u00a0%"


def plain_decimal(value, max_decimals: int = 2) -> str:
    """A number for a CSV cell: exact to `max_decimals`, decimal comma, no thousands separator, no useless
    zeros (so spreadsheets read it as a number): 792281.79 → "792281,79", 250.00 → "250"."""
    rounded = round_half_up(value, max_decimals).normalize()
    if rounded == rounded.to_integral():
        rounded = rounded.quantize(Decimal(1))
    return f"{rounded:f}".replace(".", ",")


def plain_percent(share) -> str:
    """A share for a CSV cell, rounded once like on the page: 0.0145 → "1,5 %" (no thousands separator)."""
    return f"{rounded_share(share) * 100:.{PERCENT_DECIMALS}f} %".replace(".", ",")


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def french_month(day: date) -> str:
    return day.strftime("%m/%Y")
