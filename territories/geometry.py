"""QPV outlines: reading the committed file, and finding the QPV that covers a point (shapely, GEOS).

Outlines are GeoJSON MultiPolygon coordinates in WGS84 (longitude, latitude), at the official file's precision
(1e-4 degree, about 11 m north-south and 7.5 m east-west in metropolitan France). A point on an outline's edge
counts as inside: the outline is only known to that precision, and the benefit of the doubt goes to the
resident. Where two QPV touch, a point on their shared edge gets the first code in alphabetical order.
"""

import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon

DATA_DIR = Path(__file__).resolve().parent / "data"
QPV_FILE = DATA_DIR / "qpv2024.json.gz"
SCALE = 10_000  # the file stores integers in 1e-4 degree

Outline = list[list[list[list[float]]]]  # polygons > rings > [longitude, latitude]


@dataclass(frozen=True)
class OfficialQpv:
    code: str
    name: str
    commune_codes: tuple[str, ...]
    outline: Outline


def decode_ring(encoded: Sequence[int]) -> list[list[float]]:
    """A ring written by scripts/build_qpv.py (first point, then differences, in 1e-4 degree)."""
    lon, lat = encoded[0], encoded[1]
    points = [[lon / SCALE, lat / SCALE]]
    for index in range(2, len(encoded), 2):
        lon += encoded[index]
        lat += encoded[index + 1]
        points.append([lon / SCALE, lat / SCALE])
    return points


def decode_outline(encoded: Sequence) -> Outline:
    return [[decode_ring(ring) for ring in polygon] for polygon in encoded]


def read_official_qpv(path: Path = QPV_FILE) -> tuple[dict, list[OfficialQpv]]:
    """The source description and the QPV of the committed file, with their decoded outlines."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    rows = [
        OfficialQpv(code=code, name=name, commune_codes=tuple(communes), outline=decode_outline(outline))
        for code, name, communes, outline in data["qpvs"]
    ]
    return data["source"], rows


@lru_cache(maxsize=1)
def official_codes(path: Path = QPV_FILE) -> frozenset[str]:
    """Codes of the official list (no outline decoding)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(row[0] for row in json.load(handle)["qpvs"])


def bounding_box(outline: Outline) -> tuple[float, float, float, float]:
    """(min longitude, min latitude, max longitude, max latitude) of the outer rings."""
    longitudes = [point[0] for polygon in outline for point in polygon[0]]
    latitudes = [point[1] for polygon in outline for point in polygon[0]]
    return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def to_geometry(outline: Outline) -> MultiPolygon:
    return MultiPolygon([Polygon(polygon[0], polygon[1:]) for polygon in outline])


def covers(outline: Outline, *, longitude: float, latitude: float) -> bool:
    """Whether the point lies inside the outline or on its edge."""
    return bool(shapely.intersects_xy(to_geometry(outline), longitude, latitude))


class QpvLocator:
    """In-memory index of many outlines (an R-tree on their bounding boxes, then exact point location), for
    locating many points at once: a bench, a bulk import. One save locates through `territories.services`."""

    def __init__(self, outlines: Iterable[tuple[str, Outline]]):
        items = sorted(outlines, key=lambda item: item[0])
        self.codes = [code for code, _ in items]
        self.geometries = [to_geometry(outline) for _, outline in items]
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def locate(self, *, longitude: float, latitude: float) -> str | None:
        """The code of the QPV covering the point, or None."""
        for index in sorted(self.tree.query(shapely.Point(longitude, latitude))):
            if shapely.intersects_xy(self.geometries[index], longitude, latitude):
                return self.codes[index]
        return None

    def locate_many(self, longitudes: Sequence[float], latitudes: Sequence[float]) -> list[str | None]:
        """The code covering each point (or None), in one pass over the R-tree."""
        points = shapely.points(longitudes, latitudes)
        found: list[str | None] = [None] * len(points)
        point_indexes, geometry_indexes = self.tree.query(points, predicate="intersects")
        for point_index, geometry_index in zip(point_indexes.tolist(), geometry_indexes.tolist(), strict=True):
            current = found[point_index]
            code = self.codes[geometry_index]
            if current is None or code < current:
                found[point_index] = code
        return found
