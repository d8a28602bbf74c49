"""Where the time of each page of bench/pages.py goes, in-process (Django test client, production settings):
number of SQL queries, their total time, the slowest ones, and the whole response time.

    python bench/profile_pages.py [--runs 5] [--only home] [--sql 3] [--cprofile]

Reads the same pages and accounts as bench/pages.py on the database of DATABASE_URL; writes nothing but the
grid save (200 rows changed by ±0,5 h, as bench/pages.py does) when --save is given.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import date, timedelta

from common import median, ms, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="a page label prefix")
    parser.add_argument("--sql", type=int, default=3, help="slowest queries shown per page")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_PROXY_SSL_HEADER", "1")
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pages import busiest_facilitator

    from organisations.models import User

    year = date.today().year - 1
    month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    grid_email = busiest_facilitator(month, 200)

    def client(email):
        c = Client(headers={"x-forwarded-proto": "https"})
        c.force_login(User.objects.get(email=email))
        return c

    buyer, facilitator = client("acheteur@demo.clausier.fr"), client("facilitateur@demo.clausier.fr")
    coordinator, grid = client("coordination@demo.clausier.fr"), client(grid_email)
    pages = [
        ("buyer", buyer, f"/tableau-de-bord/?year={year}"),
        ("structure", facilitator, f"/tableau-de-bord/?year={year}"),
        ("coordinator-dashboard", coordinator, f"/tableau-de-bord/?year={year}"),
        ("report", coordinator, f"/bilan-annuel/?year={year}"),
        ("grid", grid, f"/heures/?month={month}"),
        ("api", grid, f"/api/v1/hours/?year={year}"),
        ("api-report", coordinator, f"/api/v1/reports/yearly/?year={year}"),
        ("home", facilitator, "/"),
        ("home-grid", grid, "/"),
    ]
    for label, c, url in pages:
        if args.only and not label.startswith(args.only):
            continue
        c.get(url)
        durations = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = c.get(url)
                durations.append(time.perf_counter() - started)
        assert response.status_code == 200, (label, response.status_code)
        sql_time = sum(float(q["time"]) for q in queries.captured_queries)
        print(f"{label} {url}: {ms(median(durations))}, {len(queries)} requêtes SQL, {ms(sql_time)} en SQL")
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[: args.sql]:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            c.get(url)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
