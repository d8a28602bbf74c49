"""French number formats for the reporting pages, whatever the browser's language: {% load reporting_format %}."""

from django import template

from reporting.exports import HOURS, PERCENT, display_text

register = template.Library()


@register.filter
def fr_number(value):
    """1234.5 → "1 234,5"; 250 → "250"."""
    return "" if value is None else display_text(value, HOURS)


@register.filter
def fr_hours(value):
    return "" if value is None else f"{display_text(value, HOURS)}\u00a0h"


@register.filter
def fr_percent(value):
    return "" if value is None else display_text(value, PERCENT)
