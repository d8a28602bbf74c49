"""Small presentation helpers shared by every template: {% load ui %}."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, url, exact=False):
    """' aria-current="page"' when the request path is `url` (or below it, unless exact)."""
    request = context.get("request")
    if not request or not url:
        return ""
    path = request.path
    hit = path == url if exact or url == "/" else path.startswith(url)
    return mark_safe(' aria-current="page"') if hit else ""


@register.filter
def percent(value, digits=0):
    """0.05 → "5 %" (French spacing and decimal comma)."""
    if value is None or value == "":
        return ""
    return f"{number_format(Decimal(value) * 100, decimal_pos=int(digits), use_l10n=True)}\u00a0%"


@register.filter
def euros(value):
    if value is None or value == "":
        return ""
    return f"{number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def hours(value):
    if value is None or value == "":
        return ""
    return f"{number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)}\u00a0h"
