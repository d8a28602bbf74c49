"""Pure arithmetic of the indicators (DOMAIN.md §8)."""

from decimal import ROUND_HALF_UP, Decimal

SMALL_COUNT_LABEL = "< 5"


def fte(hours: Decimal, *, hours_per_fte: int) -> Decimal:
    """Full-time equivalents: hours ÷ hours per FTE (1,600 by default), one decimal."""
    return (Decimal(hours) / Decimal(hours_per_fte)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def suppress_small_count(count: int) -> int | str:
    """Counts of people from 1 to 4 are shown as "< 5" to buyers and the public."""
    return SMALL_COUNT_LABEL if 1 <= count <= 4 else count
