"""The public page under load (issue 18, item 2): set-up, then the figures of a locust run beside their targets.

    python bench/public_page.py publish            # publish the demo région's years (as its coordinator), once
    python bench/public_page.py summary STATS.csv  # errors and 95th percentile beside the targets, load average

The load itself is bench/public_locustfile.py (anonymous visitors: the région's page, other years, the list of
régions, the CSV), started by bench/run.sh (BENCH_ONLY=public): 50 users for 60 s on 127.0.0.1 against gunicorn.
Targets: 0 errors, 95th percentile under 100 ms.
"""

from __future__ import annotations

import csv
import os
import sys
import time

from common import fr, setup_django

TARGET_P95_MS = 100
USERS, SECONDS = 50, 60


def publish() -> None:
    setup_django()
    from django.core.cache import cache

    from organisations.models import Membership, OrganisationKind
    from reporting import public, public_views, publication
    from reporting.models import PlacementYear
    from territories.models import Region

    for membership in Membership.objects.filter(organisation__kind=OrganisationKind.COORDINATION).select_related(
        "organisation__region", "user"
    ):
        region = membership.organisation.region
        if region is None or not publication.can_publish(membership.user, region=region):
            continue
        years = sorted(set(PlacementYear.objects.filter(region=region).values_list("year", flat=True)))
        done = set(public.latest_versions(region))
        for year in years[-5:]:
            if year not in done:
                publication.publish(user=membership.user, year=year, region=region)
        cache.clear()  # a cold cache: what a publication finds
        started = time.perf_counter()
        prepared = public_views.warm(region)  # as the « Publier » action does
        elapsed = (time.perf_counter() - started) * 1000
        print(
            f"  {region.name} : bilans publiés {', '.join(str(year) for year in years[-5:])} ; "
            f"{prepared} réponses préparées en {fr(elapsed, 0)} ms (ce que paierait le premier visiteur sans cela)"
        )
    regions = public.regions_published()
    print(f"  {len(regions)} région(s) publiée(s) ; {Region.objects.count()} régions en tout")


def summary(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    load = " ".join(f"{value:.2f}".replace(".", ",") for value in os.getloadavg())
    print(f"Page publique (locust, {USERS} utilisateur·rices anonymes, {SECONDS} s, 127.0.0.1, gunicorn) :")
    failures = 0
    for row in rows:
        name = "total" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"  {name} : {fr(int(row['Request Count']))} requêtes, {fr(float(row['Requests/s']), 1)} req/s, "
            f"médiane {row['50%']} ms, 95e centile {row['95%']} ms, erreurs {row['Failure Count']}"
        )
        if row["Name"] == "Aggregated":
            failures, p95 = int(row["Failure Count"]), float(row["95%"])
            print(
                f"  objectif : 0 erreur (mesuré {failures}) et 95e centile < {TARGET_P95_MS} ms (mesuré {p95:.0f} ms)"
                f" : {'atteint' if failures == 0 and p95 < TARGET_P95_MS else 'NON ATTEINT'}"
            )
    print(f"  charge de la machine (loadavg 1, 5, 15 min) : {load}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["publish"]:
        publish()
    elif sys.argv[1:2] == ["summary"]:
        summary(sys.argv[2])
    else:
        sys.exit(__doc__)
