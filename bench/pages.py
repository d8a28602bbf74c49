"""Latency of the busiest pages, served by gunicorn on 127.0.0.1, at national volume.

    python bench/pages.py --base-url http://127.0.0.1:8765 [--requests 50] [--only grid]

Each page is requested `--requests` times in a row (after 3 warm-up requests) by a logged-in demo account;
the median and the 95th percentile of the full response time (client side) are printed:
- buyer dashboard (acheteur@…), structure dashboard (facilitateur@…), coordinator dashboard and yearly report
  page (coordination@…);
- the work queue (the facilitator home, issue 17) of facilitateur@… and of the grid's facilitator;
- the monthly hours grid of the facilitator: display, and the save of 200 changed rows (one POST, all or
  nothing, through beneficiaries.services.declare_month; the redirect is not followed);
- the busiest API list: /api/v1/hours/ of the grid's facilitator (the year's records of a structure with 200
  running contracts), page 1. Coordination bodies see aggregates only: /api/v1/hours/ is a 404 for them; their
  API page is the yearly report, /api/v1/reports/yearly/.

Each series is printed beside its target (95th percentile under 150 ms, issue 19) with the load average
(/proc/loadavg) at its end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date, timedelta

import requests
from common import median, ms, percentile

TARGET = 0.150  # seconds, 95th percentile of every page (issue 19)

PASSWORD = "clausier-demo-2026"  # noqa: S105 - documented demo password
INPUT = re.compile(r"<input\b([^>]*)>", re.S)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def secure_referer(url: str) -> str:
    """gunicorn sits where a TLS proxy would: the referer a browser would send is the https one."""
    return url.replace("http://", "https://", 1)


class Session(requests.Session):
    """A browser behind the TLS proxy: X-Forwarded-Proto https, and the Secure cookies sent back on the plain
    127.0.0.1 connection (the proxy's hop)."""

    def __init__(self):
        super().__init__()
        self.headers["X-Forwarded-Proto"] = "https"

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def login(base: str, email: str) -> requests.Session:
    session = Session()
    page = session.get(f"{base}/compte/connexion/")
    token = session.cookies.get("csrftoken") or re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = session.post(
        f"{base}/compte/connexion/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": secure_referer(f"{base}/compte/connexion/")},
        allow_redirects=False,
    )
    if response.status_code != 302:
        sys.exit(f"Connexion impossible pour {email} (HTTP {response.status_code}).")
    return session


def measure(label: str, call, count: int) -> dict:
    for _ in range(3):
        call()
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        durations.append(time.perf_counter() - started)
        if response.status_code >= 400:
            sys.exit(f"{label} : HTTP {response.status_code}")
    result = {"label": label, "median": median(durations), "p95": percentile(durations, 0.95), "n": count}
    report(label, result, count)
    return result


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def report(label: str, result: dict, count: int) -> None:
    verdict = "tenu" if result["p95"] < TARGET else "DÉPASSÉ"
    print(
        f"  {label} : médiane {ms(result['median'])}, 95e centile {ms(result['p95'])} "
        f"(objectif < {ms(TARGET)} : {verdict}) ({count} requêtes, charge {load_average()})"
    )


def form_inputs(html: str) -> dict[str, str]:
    values = {}
    for match in INPUT.finditer(html):
        attributes = dict(ATTRIBUTE.findall(match[1]))
        name = attributes.get("name")
        if not name or attributes.get("type") in ("checkbox", "submit"):
            continue
        values[name] = attributes.get("value", "")
    return values


def to_decimal(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".") or 0)


def grid_save(session: requests.Session, url: str, rows: int):
    """Read the grid, change the hours of `rows` rows (±0,5 h), post it; returns the POST response."""
    page = session.get(url)
    values = form_inputs(page.text)
    hours_fields = sorted(name for name in values if name.endswith("-hours") and not name.startswith("initial-"))
    changed = 0
    for name in hours_fields:
        if changed == rows:
            break
        current = to_decimal(values[name])
        values[name] = f"{current + 0.5 if current < 100 else current - 0.5:.2f}".replace(".", ",")
        changed += 1
    if changed < rows:
        sys.exit(f"La grille n'a que {changed} lignes modifiables (il en faut {rows}).")
    values["action"] = "save"
    started = time.perf_counter()
    response = session.post(url, data=values, headers={"Referer": secure_referer(url)}, allow_redirects=False)
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.text)[:3]
        sys.exit(f"Enregistrement de la grille refusé (HTTP {response.status_code}) : {errors}")
    return elapsed


def busiest_facilitator(month: str, rows: int) -> str:
    """A facilitator (member) of the structure whose grid has the most rows in the month (at least `rows`)."""
    from common import setup_django

    setup_django()
    from django.db.models import Count, Q

    from beneficiaries.calculations import add_months
    from organisations.models import Membership, Organisation

    first = date.fromisoformat(f"{month}-01")
    last = add_months(first, 1) - timedelta(days=1)
    path = "followed_markets__lots__placements__"
    active = Q(**{f"{path}start_date__lte": last, f"{path}end_date__gte": first})
    structure = (
        Organisation.objects.filter(kind="facilitation")
        .annotate(rows=Count("followed_markets__lots__placements", filter=active))
        .filter(rows__gte=rows)
        .order_by("rows", "pk")
        .first()
    )
    if structure is None:
        sys.exit(f"Aucune structure n'a {rows} contrats actifs en {month}.")
    membership = Membership.objects.filter(organisation=structure, role="member").order_by("pk").first()
    membership = membership or Membership.objects.filter(organisation=structure, role="admin").order_by("pk").first()
    return membership.user.email


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8765")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--grid-month", help="AAAA-MM (par défaut : le mois dernier)")
    parser.add_argument("--grid-rows", type=int, default=200)
    parser.add_argument("--only", choices=["grid"], help="seulement la grille mensuelle (affichage et enregistrement)")
    args = parser.parse_args()
    base, count = args.base_url.rstrip("/"), args.requests
    year = date.today().year - 1
    month = args.grid_month or (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    print(f"Pages servies par gunicorn ({base}), {count} requêtes chacune :")
    results = []
    if args.only is None:
        buyer = login(base, "acheteur@demo.clausier.fr")
        facilitator = login(base, "facilitateur@demo.clausier.fr")
        coordinator = login(base, "coordination@demo.clausier.fr")
        results += [
            measure("tableau de bord acheteur", lambda: buyer.get(f"{base}/tableau-de-bord/?year={year}"), count),
            measure(
                "tableau de bord structure", lambda: facilitator.get(f"{base}/tableau-de-bord/?year={year}"), count
            ),
            measure(
                "tableau de bord coordination", lambda: coordinator.get(f"{base}/tableau-de-bord/?year={year}"), count
            ),
            measure("bilan annuel coordination", lambda: coordinator.get(f"{base}/bilan-annuel/?year={year}"), count),
            measure(
                "API /api/v1/reports/yearly/ (coordination régionale)",
                lambda: coordinator.get(f"{base}/api/v1/reports/yearly/?year={year}"),
                count,
            ),
            measure("file de travail (accueil facilitateur·rice)", lambda: facilitator.get(f"{base}/"), count),
        ]
    # The grid of the demo facilitator is small: the grid is measured on the smallest structure with at least
    # 200 rows in the month.
    grid_user = login(base, busiest_facilitator(month, args.grid_rows))
    grid_url = f"{base}/heures/?month={month}"
    page = grid_user.get(grid_url)
    rows = len([n for n in form_inputs(page.text) if n.endswith("-hours") and not n.startswith("initial-")])
    label = f"grille mensuelle {month} ({rows} lignes), affichage"
    results.append(measure(label, lambda: grid_user.get(grid_url), count))
    for _ in range(3):
        grid_save(grid_user, grid_url, args.grid_rows)
    saves = [grid_save(grid_user, grid_url, args.grid_rows) for _ in range(count)]
    result = {"median": median(saves), "p95": percentile(saves, 0.95)}
    report(f"grille mensuelle, enregistrement de {args.grid_rows} lignes", result, count)
    if args.only is None:
        results.append(
            measure(
                "API /api/v1/hours/ (structure de la grille, page 1)",
                lambda: grid_user.get(f"{base}/api/v1/hours/?year={year}"),
                count,
            )
        )
        results.append(measure("file de travail (structure de la grille)", lambda: grid_user.get(f"{base}/"), count))


if __name__ == "__main__":
    main()
