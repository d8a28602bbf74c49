"""The map of hours by département, drawn on the server as inline SVG (no JavaScript, no tiles).

Outlines come from reporting/data/departements.json (built by scripts/build_departements_map.py from the
simplified IGN outlines of france-geojson, Licence Ouverte: see reporting/data/LICENCE-france-geojson.txt), read
once per process. The projection is equirectangular with the longitudes shrunk by the cosine of the middle
latitude (enough at the scale of a region); colours follow a five-step sequential scale of the hours, a
département without hours stays light grey; each département's name and figures are in a <title> element, and
the page puts an accessible table of the same figures beside the map.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from config.formatting import french_number

DATA_FILE = Path(__file__).resolve().parent / "data" / "departements.json"
WIDTH = 420  # viewBox width; the SVG scales to its container
MARGIN = 6
EMPTY_COLOUR = "#eeeeee"
HIDDEN_COLOUR = "#d9d9d9"  # a département whose figures the small-count rule hides (the public page)
# Sequential blues, light to dark (ColorBrewer "Blues", 5 classes).
SCALE = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # lon/lat


@cache
def outlines() -> dict[str, Outline]:
    """Every département outline by code (read once per process)."""
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {
        item["code"]: Outline(item["code"], item["nom"], tuple(tuple(map(tuple, ring)) for ring in item["rings"]))
        for item in document["departements"]
    }


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    hours: Decimal | str  # a text ("secret", "< 5") where the small-count rule hides the figure
    participants: int | str
    colour: str = EMPTY_COLOUR


@dataclass(frozen=True)
class LegendStep:
    colour: str
    label: str


@dataclass(frozen=True)
class HoursMap:
    areas: list[MapArea]  # by code, every département of the region (with or without hours)
    legend: list[LegendStep]
    svg: SafeString
    missing: list[str]  # codes without an outline (overseas départements): in the table only


def colour_of(hours: Decimal | str, largest: Decimal) -> str:
    """The scale's step of `hours` among five equal steps up to `largest`; grey for no hours, a darker grey for
    hidden hours."""
    if isinstance(hours, str):
        return HIDDEN_COLOUR
    if hours <= 0 or largest <= 0:
        return EMPTY_COLOUR
    return SCALE[min(int(len(SCALE) * hours / largest), len(SCALE) - 1)]


def legend_of(largest: Decimal, *, hidden: bool = False) -> list[LegendStep]:
    steps = [LegendStep(EMPTY_COLOUR, "aucune heure")]
    if hidden:
        steps.append(LegendStep(HIDDEN_COLOUR, "chiffres masqués (petits effectifs)"))
    if largest <= 0:
        return steps
    size = largest / len(SCALE)
    for index, colour in enumerate(SCALE):
        low, high = size * index, size * (index + 1)
        steps.append(LegendStep(colour, f"{french_number(low, 0)} à {french_number(high, 0)} h"))
    return steps


def hours_map(departments: list[tuple[str, str]], figures: dict[str, tuple[Decimal, int]], *, title: str) -> HoursMap:
    """The map of `departments` ((code, name) pairs, the région's) coloured by `figures` ({code: (hours,
    participants)}, a text where the small-count rule hides a figure); no query."""
    values = [figures.get(code, (Decimal(0), 0))[0] for code, _name in departments]
    largest = max((value for value in values if not isinstance(value, str)), default=Decimal(0))
    areas = []
    for code, name in sorted(departments):
        hours, participants = figures.get(code, (Decimal(0), 0))
        areas.append(MapArea(code, name, hours, participants, colour_of(hours, largest)))
    shapes = outlines()
    drawn = [area for area in areas if area.code in shapes]
    return HoursMap(
        areas=areas,
        legend=legend_of(largest, hidden=any(isinstance(value, str) for value in values)),
        svg=_svg(drawn, shapes, title=title),
        missing=[area.code for area in areas if area.code not in shapes],
    )


def _participants_text(participants: int | str) -> str:
    if isinstance(participants, str):  # hidden: "< 5" or "secret"
        return f"{participants} participant·es"
    return f"{participants} participant·e{'s' if participants > 1 else ''}"


def _svg(areas: list[MapArea], shapes: dict[str, Outline], *, title: str) -> SafeString:
    points = [point for area in areas for ring in shapes[area.code].rings for point in ring]
    if not points:
        return SafeString("")
    lons, lats = [lon for lon, _lat in points], [lat for _lon, lat in points]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * shrink or 1
    span_y = (max(lats) - min(lats)) or 1
    scale = (WIDTH - 2 * MARGIN) / span_x
    height = round(span_y * scale + 2 * MARGIN)
    left, top = min(lons), max(lats)

    def path_of(outline: Outline) -> str:
        parts = []
        for ring in outline.rings:
            coordinates = " ".join(
                f"{(lon - left) * shrink * scale + MARGIN:.1f},{(top - lat) * scale + MARGIN:.1f}" for lon, lat in ring
            )
            parts.append(f"M{coordinates}Z")
        return "".join(parts)

    paths = format_html_join(
        "",
        '<path d="{}" fill="{}" stroke="#ffffff" stroke-width="1" data-code="{}"><title>{} ({}) : {} h, {}</title>'
        "</path>",
        (
            (
                path_of(shapes[area.code]),
                area.colour,
                area.code,
                area.name,
                area.code,
                area.hours if isinstance(area.hours, str) else french_number(area.hours, 0),
                _participants_text(area.participants),
            )
            for area in areas
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" aria-label="{}" viewBox="0 0 {} {}"'
        ' width="{}" height="{}" preserveAspectRatio="xMidYMid meet">{}</svg>',
        f"Carte : {title}. Les mêmes chiffres figurent dans le tableau à côté.",
        WIDTH,
        height,
        WIDTH,
        height,
        paths,
    )
