"""QPV lookup of 100,000 points against the 1,584 official outlines (issue 17; target: under 10 s).

    .venv/bin/python bench/qpv_lookup.py [--points 100000] [--seed 17] [--database-sample 2000]

Points, drawn once with a fixed seed: half inside the bounding box of a random QPV (hits, near misses and edges),
half anywhere over metropolitan France (mostly outside every QPV). Three measures, with the machine's load
(/proc/loadavg) beside them:

1. reading territories/data/qpv2024.json.gz and building the index (R-tree on the boxes, prepared outlines);
2. `QpvLocator.locate`, one call per point (the path of a bulk import), then `locate_many` in one pass; both must
   give the same answer for every point;
3. when the database holds the outlines (`manage.py load_territories`), `Qpv.objects.covering` on a sample of
   points: the path of one participant's save (one query on the boxes, then the exact test), extrapolated.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fr, setup_django

FRANCE = (-4.8, 42.3, 8.3, 51.1)  # metropolitan France, lon/lat box


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def draw_points(rows, count: int, seed: int) -> list[tuple[float, float]]:
    from territories.geometry import bounding_box

    rng = random.Random(seed)
    boxes = [bounding_box(row.outline) for row in rows]
    points = []
    for index in range(count):
        if index % 2 == 0:
            min_lon, min_lat, max_lon, max_lat = rng.choice(boxes)
        else:
            min_lon, min_lat, max_lon, max_lat = FRANCE
        points.append((rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)))
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database-sample", type=int, default=2_000)
    args = parser.parse_args()
    setup_django()
    from django.db import DatabaseError

    from territories.geometry import QpvLocator, read_official_qpv
    from territories.models import Qpv

    print(f"== Recherche du QPV de {fr(args.points)} points — charge : {loadavg()}")
    started = time.perf_counter()
    _source, rows = read_official_qpv()
    locator = QpvLocator((row.code, row.outline) for row in rows)
    built = time.perf_counter() - started
    print(f"Lecture du fichier et index de {fr(len(rows))} contours : {fr(built, 2)} s")
    points = draw_points(rows, args.points, args.seed)

    started = time.perf_counter()
    one_by_one = [locator.locate(longitude=lon, latitude=lat) for lon, lat in points]
    single = time.perf_counter() - started
    inside = sum(code is not None for code in one_by_one)
    print(
        f"Un appel par point : {fr(single, 2)} s ({fr(single / len(points) * 1e6, 1)} µs par point ; "
        f"{fr(inside)} points dans un QPV) — charge : {loadavg()}"
    )
    started = time.perf_counter()
    together = locator.locate_many([lon for lon, _ in points], [lat for _, lat in points])
    bulk = time.perf_counter() - started
    print(f"En une passe (locate_many) : {fr(bulk, 2)} s — charge : {loadavg()}")
    if together != one_by_one:
        differing = sum(a != b for a, b in zip(together, one_by_one, strict=True))
        raise SystemExit(f"ÉCHEC : {differing} points reçoivent un QPV différent selon la méthode.")
    print("Les deux méthodes donnent le même QPV pour chaque point.")

    try:
        loaded = Qpv.objects.filter(outline__isnull=False).count()
    except DatabaseError:
        loaded = 0
    if loaded < len(rows):
        print("Base sans les contours officiels (manage.py load_territories) : mesure par la base non faite.")
        return
    sample = points[: args.database_sample]
    started = time.perf_counter()
    found = [Qpv.objects.covering(longitude=lon, latitude=lat) for lon, lat in sample]
    database = time.perf_counter() - started
    assert [qpv.code if qpv else None for qpv in found] == one_by_one[: len(sample)]
    print(
        f"Par la base (Qpv.objects.covering, chemin d'un enregistrement), {fr(len(sample))} points : "
        f"{fr(database, 2)} s, soit {fr(database / len(sample) * 1000, 2)} ms par point — charge : {loadavg()}"
    )


if __name__ == "__main__":
    main()
