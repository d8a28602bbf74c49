"""Small presentation helpers shared by every template: {% load ui %}."""

from django import template
from django.utils.safestring import mark_safe

from config.formatting import french_hours, french_number, french_percent

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
def percent(value, digits=1):
    """0.05 → "5,0 %" (rounded half up to 0.1 % like every rate, French spacing and decimal comma)."""
    if value is None or value == "":
        return ""
    return french_percent(value, int(digits))


@register.filter
def euros(value):
    if value is None or value == "":
        return ""
    return f"{french_number(value, 0)}\u00a0€"


@register.filter
def hours(value):
    """155.5 → "155,5 h", 833 → "833 h"."""
    if value is None or value == "":
        return ""
    return f"{french_hours(value)}\u00a0h"
