"""Pure arithmetic of the indicators (DOMAIN.md §8)."""

from decimal import ROUND_HALF_UP, Decimal

SMALL_COUNT_LABEL = "< 5"  # a count of 1 to 4 people, shown to buyers (DOMAIN.md §8)
SECRET_LABEL = "secret"  # noqa: S105 (not a password) an hours value, a share or a count hidden with it (reporting.suppression)
SUPPRESSION_NOTE = "« < 5 » : moins de 5 personnes ; « secret » : valeur masquée pour protéger les petits effectifs"


def fte(hours: Decimal, *, hours_per_fte: int) -> Decimal:
    """Full-time equivalents: hours ÷ hours per FTE (1,600 by default), one decimal."""
    return (Decimal(hours) / Decimal(hours_per_fte)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def suppress_small_count(count: int) -> int | str:
    """Counts of people from 1 to 4 are shown as "< 5" to buyers and the public."""
    return SMALL_COUNT_LABEL if 1 <= count <= 4 else count
