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
    return _svg(body, title=title, width=width, height=height)


SERIES_COLOURS = ("#2b5797", "#9aa9c4")  # the year, then the previous one (contrast against white ≥ 3:1 for the first)


def svg_grouped_bar_chart(
    labels: list[str], series: list[tuple[str, list[tuple[Decimal | None, str]]]], *, title: str
) -> SafeString:
    """Horizontal bars in groups, one group per label and one bar per series (the year and the previous one,
    say), with a legend; a missing value (None) draws no bar. The first 15 labels."""
    labels = labels[:MAX_BARS]
    series = [(name, values[:MAX_BARS]) for name, values in series]
    largest = max(
        (value for _name, values in series for value, _text in values if value is not None), default=Decimal(0)
    )
    group = len(series) * BAR_HEIGHT + GAP
    legend_height = 18
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = legend_height + len(labels) * (group + GAP) + GAP
    parts = []
    for index, (name, _values) in enumerate(series):
        x = index * 260
        parts.append(
            format_html(
                '<rect x="{}" y="2" width="10" height="10" fill="{}"></rect>'
                '<text x="{}" y="11" font-size="10">{}</text>',
                x,
                SERIES_COLOURS[index % len(SERIES_COLOURS)],
                x + 14,
                name,
            )
        )
    for row, label in enumerate(labels):
        top = legend_height + GAP + row * (group + GAP)
        short_label = label if len(label) <= 38 else f"{label[:36]}…"
        parts.append(format_html('<text x="0" y="{}" font-size="10">{}</text>', top + BAR_HEIGHT - 4, short_label))
        for index, (name, values) in enumerate(series):
            value, text = values[row] if row < len(values) else (None, "")
            if value is None:
                continue
            y = top + index * BAR_HEIGHT
            length = int(BAR_WIDTH * value / largest) if largest > 0 else 0
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} : {}</title></rect>'
                    '<text x="{}" y="{}" font-size="9">{}</text>',
                    LABEL_WIDTH,
                    y + 1,
                    max(length, 1 if value else 0),
                    BAR_HEIGHT - 2,
                    SERIES_COLOURS[index % len(SERIES_COLOURS)],
                    name,
                    text,
                    LABEL_WIDTH + length + 6,
                    y + BAR_HEIGHT - 4,
                    text,
                )
            )
    return _svg(SafeString("".join(parts)), title=title, width=width, height=height)


def _svg(body: SafeString, *, title: str, width: int, height: int) -> SafeString:
    """The <svg> element of a chart, labelled for screen readers."""
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
