"""The tolerance of the lot statuses, as the legend states it: {% load lot_status %}{% status_tolerance %}."""

from decimal import Decimal

from django import template

from clauses.calculations import RECENT_MONTHS, RISK_RULE, STATUS_TOLERANCE
from config.formatting import french_percent

register = template.Library()


@register.simple_tag
def status_tolerance() -> str:
    """The tolerance of a running lot: "10 %"."""
    return french_percent(STATUS_TOLERANCE, 0)


@register.simple_tag
def status_threshold() -> str:
    """The share of the hours expected by today a running lot must reach to be on track: "90 %"."""
    return french_percent(Decimal("1") - STATUS_TOLERANCE, 0)


@register.simple_tag
def risk_rule() -> str:
    """The rule of the "risque" flag (clauses.calculations.lot_forecast), as the code states it."""
    return RISK_RULE


@register.simple_tag
def recent_months() -> int:
    """The number of complete months of the recent pace: 3."""
    return RECENT_MONTHS
