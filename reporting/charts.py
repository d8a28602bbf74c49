"""Charts drawn on the server as inline SVG (for the PDF, where no JavaScript runs), from the same figures as
the tables beside them, each bar labelled with the very text of its table cell (config.formatting rounds it
once)."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 16
GAP = 6
LABEL_WIDTH = 230
BAR_WIDTH = 330
VALUE_WIDTH = 90
MAX_BARS = 15


def svg_bar_chart(items: list[tuple[str, Decimal, str]], *, title: str) -> SafeString:
    """Horizontal bars, one per (label, value, text of the value as the table shows it), the longest for the
    largest value (the first 15 items)."""
    items = items[:MAX_BARS]
    largest = max((value for _label, value, _text in items), default=Decimal("0"))
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    bars = []
    for index, (label, value, text) in enumerate(items):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = int(BAR_WIDTH * value / largest) if largest > 0 else 0
        short_label = label if len(label) <= 38 else f"{label[:36]}…"
        bars.append(
            (
                y + BAR_HEIGHT - 4,
                short_label,
                LABEL_WIDTH,
                y,
                max(length, 1 if value else 0),
                BAR_HEIGHT,
                LABEL_WIDTH + length + 6,
                y + BAR_HEIGHT - 4,
                text,
            )
        )
    body = format_html_join(
        "",
        '<text x="0" y="{}" font-size="10">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#2b5797"></rect>'
        '<text x="{}" y="{}" font-size="10">{}</text>',
        bars,
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{}" width="{}" height="{}"'
        ' viewBox="0 0 {} {}">{}</svg>',
        f"Graphique : {title}",
        width,
        height,
        width,
        height,
        body,
    )
