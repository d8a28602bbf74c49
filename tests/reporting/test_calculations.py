from decimal import Decimal

import pytest

from reporting.calculations import SMALL_COUNT_LABEL, fte, suppress_small_count


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (Decimal("0"), Decimal("0.0")),
        (Decimal("1600"), Decimal("1.0")),
        (Decimal("25100000"), Decimal("15687.5")),
        (Decimal("80"), Decimal("0.1")),  # 0.05 rounds half up
        (Decimal("79"), Decimal("0.0")),  # 0.049
        (Decimal("2400"), Decimal("1.5")),
    ],
)
def test_fte_is_hours_divided_by_1600_with_one_decimal(hours, expected):
    assert fte(hours, hours_per_fte=1600) == expected


def test_fte_follows_the_setting():
    assert fte(Decimal("1607"), hours_per_fte=1607) == Decimal("1.0")
    assert fte(Decimal("1600"), hours_per_fte=1607) == Decimal("1.0")
    assert fte(Decimal("800"), hours_per_fte=1000) == Decimal("0.8")


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, 0), (1, "< 5"), (2, "< 5"), (4, "< 5"), (5, 5), (6, 6), (1000, 1000)],
)
def test_counts_from_1_to_4_are_suppressed(count, shown):
    assert suppress_small_count(count) == shown


def test_suppression_label():
    assert SMALL_COUNT_LABEL == "< 5"
