"""French display of figures and dates ("1 234,5", "18,7 %", "01/03/2025"), whatever the request language.

The one home for pages, service messages and exports, so a figure reads the same everywhere. Numbers are
rounded half up (Django's number_format truncates, which shows 18,67 % as 18,6 %).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

THOUSANDS = "\u00a0"  # the separator of config/formats/fr


def french_number(value, decimals: int = 0) -> str:
    """Round half up to `decimals`, group thousands, decimal comma: 1234.56 → "1 234,6" (decimals=1)."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}".replace(",", THOUSANDS).replace(".", ",")


def french_figure(value, max_decimals: int = 2) -> str:
    """Like french_number without useless zeros: 155.50 → "155,5", 833.00 → "833"."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP).normalize()
    decimals = max(0, -rounded.as_tuple().exponent)
    return french_number(rounded, decimals)


def french_percent(share, decimals: int = 1) -> str:
    """A share between 0 and 1 (or above) as a percentage: 0.18666 → "18,7 %"."""
    return f"{french_number(Decimal(share) * 100, decimals)}\u00a0%"


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def french_month(day: date) -> str:
    return day.strftime("%m/%Y")
