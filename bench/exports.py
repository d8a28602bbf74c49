"""Every export (PDF, XLSX, CSV, JSON) and the coordinator's pages, for coordinators of a large and a small region.

    python bench/exports.py [--year 2025] [--runs 3] [--requests 40] [--regions 11,27] [--only exports|pages]

For each region, a coordinator (the demo account coordination@… when it coordinates the region, otherwise a
bench account coordination-<code>@bench.clausier.fr created once through organisations.services) is logged
in the Django test client (every middleware, production settings, no network). Each export is requested
`--runs` times: the dashboard (PDF, XLSX, CSV, JSON), the yearly report (PDF, XLSX, CSV, JSON) and the PDF bilan
of the region's biggest market (most validated hours); the streamed CSV is read to its end. Beside each time:
the size of the file, the peak resident memory of the process during the export (VmHWM, reset before each
export through /proc/self/clear_refs) and the load average of the machine (os.getloadavg()).
Then the coordinator's dashboard and yearly report pages are requested `--requests` times (after 3 warm-up
requests): median and 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import date

from common import fr, median, ms, percentile, setup_django

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "ERROR")

TARGET_EXPORT = 10.0  # seconds
TARGET_PAGE = 0.200  # seconds, 95th percentile


def load() -> str:
    return " ".join(fr(value, 2) for value in os.getloadavg())


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        return int(re.search(r"VmHWM:\s+(\d+)", handle.read())[1]) / 1024


def coordinator_of(region_code: str):
    """The demo coordinator when it coordinates the region, else a bench coordinator created once."""
    from organisations import services
    from organisations.models import Membership, User
    from territories.models import Region

    membership = (
        Membership.objects.filter(organisation__kind="coordination", organisation__region_id=region_code)
        .select_related("user", "organisation")
        .order_by("user__email")
        .first()
    )
    if membership:
        return membership.user, membership.organisation
    region = Region.objects.get(code=region_code)
    organisation = services.create_organisation(
        name=f"Coordination (banc d'essai) {region.name}", kind="coordination", region=region
    )
    email = f"coordination-{region_code}@bench.clausier.fr"
    if User.objects.filter(email=email).exists():
        user = User.objects.get(email=email)
        Membership.objects.create(user=user, organisation=organisation, role="admin")
    else:
        membership, _created = services.add_member(organisation=organisation, email=email, role="admin")
        user = membership.user
    return user, organisation


def biggest_market(user, year: int):
    from django.db.models import Sum

    from reporting.models import PlacementYear

    row = (
        PlacementYear.objects.visible_to(user)
        .values("market")
        .annotate(total=Sum("hours"))
        .order_by("-total", "market")
        .first()
    )
    return row["market"] if row else None


def fetch(client, url: str):
    response = client.get(url, secure=True)
    if response.status_code != 200:
        sys.exit(f"{url} : HTTP {response.status_code}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def pdf_pages(body: bytes) -> str:
    """ ", 12 pages" for a PDF (pdfinfo of poppler-utils), "" otherwise."""
    if not body.startswith(b"%PDF"):
        return ""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(body)
        handle.flush()
        try:
            command = ["pdfinfo", handle.name]  # poppler-utils, our own file
            info = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
        except (OSError, subprocess.CalledProcessError):
            return ""
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return f", {match[1]} pages" if match else ""


def time_export(client, label: str, url: str, runs: int) -> float:
    durations, lines = [], []
    for _ in range(runs):
        measured = reset_peak()
        started = time.perf_counter()
        _response, body = fetch(client, url)
        elapsed = time.perf_counter() - started
        durations.append(elapsed)
        memory = f"pointe {fr(peak_mb())} Mo" if measured else "mémoire non mesurée"
        lines.append(f"{fr(elapsed, 2)} s ({memory}, charge {load()})")
    flag = "" if max(durations) <= TARGET_EXPORT else "  ← au-dessus de l'objectif"
    print(f"  {label} : médiane {fr(median(durations), 2)} s, {fr(len(body) / 1024)} Kio{pdf_pages(body)}{flag}")
    for index, line in enumerate(lines, 1):
        print(f"      passage {index} : {line}")
    return max(durations)


def time_page(client, label: str, url: str, count: int) -> float:
    for _ in range(3):
        fetch(client, url)
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        fetch(client, url)
        durations.append(time.perf_counter() - started)
    p95 = percentile(durations, 0.95)
    flag = "" if p95 <= TARGET_PAGE else "  ← au-dessus de l'objectif"
    print(
        f"  page {label} : médiane {ms(median(durations))}, 95e centile {ms(p95)} ({count} requêtes, "
        f"charge {load()}){flag}"
    )
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--regions", default="11,27", help="codes INSEE des régions (par défaut 11,27)")
    parser.add_argument("--only", choices=["exports", "pages"])
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from markets.models import Lot, Market

    if args.only != "exports" and not settings.DEBUG and not (settings.STATIC_ROOT / "staticfiles.json").exists():
        sys.exit("Les pages ont besoin des fichiers statiques : lancez d'abord manage.py collectstatic --noinput.")
    year, worst_export, worst_page = args.year, 0.0, 0.0
    print(f"Exports et pages de la coordination, année {year}, {args.runs} passages par export :")
    for code in args.regions.split(","):
        user, organisation = coordinator_of(code.strip())
        lots = Lot.objects.visible_to(user).count()
        client = Client()
        client.force_login(user)
        print(f"- {organisation.name} ({user.email}, {fr(lots)} lots) :")
        if args.only != "pages":
            for name, route in (("tableau de bord", "dashboard_export"), ("bilan annuel", "yearly_report_export")):
                for fmt in ("pdf", "xlsx", "csv", "json"):
                    url = f"{reverse(f'reporting:{route}', args=[fmt])}?year={year}"
                    worst_export = max(worst_export, time_export(client, f"{name} {fmt.upper()}", url, args.runs))
            market_id = biggest_market(user, year)
            if market_id:
                market = Market.objects.annotate(lot_count=Count("lots")).get(pk=market_id)
                url = reverse("reporting:market_bilan_pdf", args=[market_id])
                label = f"bilan PDF du marché {market.reference} ({market.lot_count} lots)"
                worst_export = max(worst_export, time_export(client, label, url, args.runs))
        if args.only != "exports":
            for name, route in (("tableau de bord", "dashboard"), ("bilan annuel", "yearly_report")):
                url = f"{reverse(f'reporting:{route}')}?year={year}"
                worst_page = max(worst_page, time_page(client, name, url, args.requests))
    if args.only != "pages":
        print(f"Export le plus long : {fr(worst_export, 2)} s (objectif : {fr(TARGET_EXPORT)} s au plus)")
    if args.only != "exports":
        print(f"Page la plus lente : 95e centile {ms(worst_page)} (objectif : {ms(TARGET_PAGE)} au plus)")


if __name__ == "__main__":
    main()
