"""French number formats for the reporting pages, whatever the browser's language: {% load reporting_format %}.

The same rounding as the report tables, their exports and charts (reporting.exports.display_text, which
calls config.formatting): hours to 0.1 h, rates to 0.1 %, counts as integers, "< 5" as it is.
"""

from django import template

from reporting.exports import HOURS, PERCENT, display_text

register = template.Library()


@register.filter
def fr_number(value):
    """1234.5 → "1 234,5"; 250 → "250"; "< 5" → "< 5"."""
    return "" if value is None else display_text(value, HOURS)


@register.filter
def fr_hours(value):
    """260.75 → "260,8 h"."""
    return "" if value is None else f"{display_text(value, HOURS)}\u00a0h"


@register.filter
def fr_percent(value):
    """0.0145 → "1,5 %"."""
    return "" if value is None else display_text(value, PERCENT)
