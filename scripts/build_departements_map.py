#!/usr/bin/env python3
"""Regenerate reporting/data/departements.json from the simplified département outlines of france-geojson.

Developer script, never run by the application (standard library only):

    python3 scripts/build_departements_map.py [SOURCE]

SOURCE defaults to ../shared/data/france-geojson/departements-version-simplifiee.geojson (the 96 départements
of metropolitan France, WGS84, as published by the public repository gregoiredavid/france-geojson, commit
5d34ee6, from IGN outlines under the Licence Ouverte; see reporting/data/LICENCE-france-geojson.txt).

The output keeps only what the map of reporting/maps.py draws: for each département its code, its name and the
outer and inner rings of its polygons, longitudes and latitudes rounded to 3 decimals (about 100 m, far below
a pixel of the map) with consecutive duplicate points dropped. It is deterministic (sorted by code, compact
JSON), so the same source gives the same bytes.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "france-geojson" / "departements-version-simplifiee.geojson"
OUTPUT = ROOT / "reporting" / "data" / "departements.json"
DECIMALS = 3


def compact_ring(ring: list) -> list:
    points = []
    for lon, lat, *_rest in ring:
        point = [round(lon, DECIMALS), round(lat, DECIMALS)]
        if not points or points[-1] != point:
            points.append(point)
    return points


def polygons_of(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise ValueError(f"Géométrie inattendue : {geometry['type']}")


def build(source: Path) -> dict:
    data = json.loads(source.read_text(encoding="utf-8"))
    departments = []
    for feature in data["features"]:
        properties = feature["properties"]
        rings = [compact_ring(ring) for polygon in polygons_of(feature["geometry"]) for ring in polygon]
        departments.append(
            {"code": properties["code"], "nom": properties["nom"], "rings": [r for r in rings if len(r) >= 4]}
        )
    departments.sort(key=lambda item: item["code"])
    return {
        "source": "gregoiredavid/france-geojson (commit 5d34ee6), departements-version-simplifiee.geojson ; "
        "contours IGN, Licence Ouverte",
        "departements": departments,
    }


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    document = build(source)
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(ROOT)} : {len(document['departements'])} départements, {OUTPUT.stat().st_size} octets")


if __name__ == "__main__":
    main()
