#!/usr/bin/env python3
"""Regenerate territories/data/qpv2024.json.gz, the official QPV 2024 with their outlines.

Developer script, never run by the application. It reads the shared reference file (see the data README):

    python3 scripts/build_qpv.py [--source ../shared/data/qpv2024/qpv2024.json.gz]

Source: ANCT, « Quartiers prioritaires de la politique de la ville (QPV 2024) », data.gouv.fr, Licence Ouverte
2.0, as packaged by the public repository bpineau/gazetteer (sources/qpv/data/qpv.json.gz, commit 2cb0ab3):
`{"meta": {...}, "qpvs": [{"code", "label", "insee": [...], "g": MultiPolygon coordinates, WGS84 lon/lat}]}`,
coordinates rounded by the source to 4 decimals (1e-4 degree: about 11 m north-south, 7.5 m east-west in
metropolitan France).

What it keeps, faithfully: every QPV (code, name, communes) and every outline point at the source's precision
(no further rounding). What it drops, losslessly: consecutive duplicate points and points exactly aligned with
their neighbours (the outline covers the same area), and the few rings left with fewer than 4 points (zero
area). Commune codes follow the current split of territories/data/territories.json.gz: a commune merged since
2024 is replaced by the merged commune (COMMUNE_MERGERS).

Output, deterministic (sorted, gzip mtime 0): `{"source": {...}, "qpvs": [[code, name, [insee...], outline]]}`
where `outline` is a list of polygons, each a list of rings, each ring a flat list of integers in 1e-4 degree:
`[lon0, lat0, dlon1, dlat1, dlon2, dlat2, ...]` (the first point, then the difference from the previous one;
the ring is closed, its last point equals its first). territories.geometry.decode_outline reads it back.
"""

import argparse
import gzip
import itertools
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the project (a main checkout) or two levels up (a worktree under wt/).
SHARED_FILE = "shared/data/qpv2024/qpv2024.json.gz"
DEFAULT_SOURCE = next(
    (path for base in (ROOT.parent, ROOT.parent.parent) if (path := base / SHARED_FILE).exists()),
    ROOT.parent / SHARED_FILE,
)
OUTPUT = ROOT / "territories" / "data" / "qpv2024.json.gz"
SCALE = 10_000  # 1e-4 degree, the source's precision

# Communes merged after the 2024 list was published (Code officiel géographique).
COMMUNE_MERGERS = {
    "93059": "93066",  # Pierrefitte-sur-Seine joined Saint-Denis on 1 January 2025
}

SOURCE = {
    "name": "Quartiers prioritaires de la politique de la ville (QPV 2024)",
    "producer": "Agence nationale de la cohésion des territoires (ANCT)",
    "url": "https://www.data.gouv.fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv",
    "decree": "décret n° 2023-1314 du 28 décembre 2023, en vigueur depuis le 1er janvier 2024",
    "licence": "Licence Ouverte 2.0 (Etalab)",
    "packaged_by": "bpineau/gazetteer, sources/qpv/data/qpv.json.gz, commit 2cb0ab3 (MIT)",
    "built_by": "scripts/build_qpv.py",
    "coordinates": "WGS84 lon/lat, entiers en 1e-4 degré, anneaux codés en différences",
    "commune_mergers": COMMUNE_MERGERS,
}


def _collinear(a, b, c) -> bool:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) == 0


def clean_ring(ring: list[list[float]]) -> list[tuple[int, int]]:
    """The ring in 1e-4 degree integers, without consecutive duplicates nor exactly aligned middle points."""
    points: list[tuple[int, int]] = []
    for lon, lat in ring:
        point = (round(lon * SCALE), round(lat * SCALE))
        if not points or points[-1] != point:
            points.append(point)
    while len(points) > 3:
        kept = [points[0]]
        for index in range(1, len(points) - 1):
            if not _collinear(kept[-1], points[index], points[index + 1]):
                kept.append(points[index])
        kept.append(points[-1])
        if len(kept) == len(points):
            break
        points = kept
    return points


def encode_ring(points: list[tuple[int, int]]) -> list[int]:
    encoded = [points[0][0], points[0][1]]
    for (lon0, lat0), (lon1, lat1) in itertools.pairwise(points):
        encoded += [lon1 - lon0, lat1 - lat0]
    return encoded


def encode_outline(multipolygon: list) -> tuple[list, int, int]:
    """(encoded outline, points kept, points dropped)."""
    outline, kept, dropped = [], 0, 0
    for polygon in multipolygon:
        rings = []
        for position, ring in enumerate(polygon):
            points = clean_ring(ring)
            dropped += len(ring) - len(points)
            if len(points) < 4:  # a ring with no area
                dropped += len(points)
                if position == 0:  # its holes go with it
                    break
                continue
            kept += len(points)
            rings.append(encode_ring(points))
        if rings:
            outline.append(rings)
    return outline, kept, dropped


def build(source: Path) -> tuple[dict, int, int]:
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    rows, kept, dropped = [], 0, 0
    for qpv in data["qpvs"]:
        outline, qpv_kept, qpv_dropped = encode_outline(qpv["g"])
        kept += qpv_kept
        dropped += qpv_dropped
        communes = sorted(dict.fromkeys(COMMUNE_MERGERS.get(code, code) for code in qpv["insee"]))
        rows.append([qpv["code"], qpv["label"].strip(), communes, outline])
    rows.sort()
    return {"source": SOURCE, "qpvs": rows}, kept, dropped


def write(data: dict, output: Path = OUTPUT) -> None:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with output.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="fichier qpv2024.json.gz partagé")
    args = parser.parse_args()
    data, kept, dropped = build(args.source)
    write(data)
    print(
        f"{OUTPUT.relative_to(ROOT)} : {len(data['qpvs'])} QPV, {kept} points de contour gardés, "
        f"{dropped} redondants retirés ({OUTPUT.stat().st_size // 1024} Ko)."
    )


if __name__ == "__main__":
    main()
