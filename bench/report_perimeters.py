"""Yearly report of every region and of the whole country (plus the largest département, buyer and facilitation
structure): time, summary rows read, time per row, beside a hand-written SQL query over the same rows.

    python bench/report_perimeters.py [--year 2025] [--runs 3]

Side 1 ("application"): reporting.queries.yearly_report over the perimeter the pages use
(`PlacementYear.objects.visible_to(user)` and `Market.objects.visible_to(user)` for a user whose scope is the
region, the buyer or the structure; every row for the country; ReportFilters(department=…) within its region).
Side 2 ("SQL à la main"): bench/report.py's GROUPING SETS over the summary table restricted to the same rows, plus
the monthly series and the markets notified, in the same run, alternately with side 1.
"Lignes lues" is the number of summary rows of the perimeter in the two years the report reads (the year and the
previous one): with an index led by the perimeter, that is what PostgreSQL reads (EXPLAIN below for the largest
region). Targets (issue 19): the largest region under 150 ms, the country under 500 ms, each within 2× of the SQL.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from common import fr, median, ms, setup_django

REGION_TARGET = 0.150
COUNTRY_TARGET = 0.500
SQL_RATIO_TARGET = 2.0


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


@dataclass
class Perimeter:
    label: str
    scope: object | None  # organisations.scoping.Scope, None for the country (every row)
    where: str  # SQL condition on reporting_placementyear
    market_join: str  # SQL joins and condition on markets_market m
    params: dict
    department: str | None = None  # ReportFilters(department=…) over the scope


def user_with(scope):
    """A user object whose scope is given (scope_of returns the cached one): the pages' visible_to querysets."""
    from organisations.scoping import _SCOPE_ATTR

    user = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=False, pk=None)
    setattr(user, _SCOPE_ATTR, scope)
    return user


def perimeters(year: int) -> list[Perimeter]:
    from django.db.models import Count

    from organisations.scoping import Scope
    from reporting.models import PlacementYear
    from territories.models import Region

    rows = PlacementYear.objects.filter(year__in=[year, year - 1])
    found = [Perimeter("France entière", None, "TRUE", "", {})]
    names = dict(Region.objects.values_list("code", "name"))
    sizes = {row["region"]: row["n"] for row in rows.values("region").annotate(n=Count("pk"))}
    for code in sorted(names, key=lambda code: -sizes.get(code, 0)):
        found.append(
            Perimeter(
                f"Région {names[code]}",
                Scope(region_codes=frozenset({code}), organisation_ids=frozenset({0})),
                "region_id = %(key)s",
                "JOIN territories_commune cm ON cm.code = m.execution_commune_id "
                "JOIN territories_department d ON d.code = cm.department_id WHERE d.region_id = %(key)s",
                {"key": code},
            )
        )
    department = rows.values("department", "region").annotate(n=Count("pk")).order_by("-n").first()
    if department:
        found.append(
            Perimeter(
                f"Département {department['department']} (filtre, dans sa région)",
                Scope(region_codes=frozenset({department["region"]}), organisation_ids=frozenset({0})),
                "department_id = %(key)s",
                "JOIN territories_commune cm ON cm.code = m.execution_commune_id WHERE cm.department_id = %(key)s",
                {"key": department["department"]},
                department=department["department"],
            )
        )
    buyer = rows.values("buyer").annotate(n=Count("pk")).order_by("-n").first()
    if buyer:
        found.append(
            Perimeter(
                f"Acheteur n° {buyer['buyer']} (le plus grand)",
                Scope(buyer_ids=frozenset({buyer["buyer"]}), organisation_ids=frozenset({0})),
                "buyer_id = %(key)s",
                "WHERE m.buyer_id = %(key)s",
                {"key": buyer["buyer"]},
            )
        )
    structure = rows.values("facilitator").annotate(n=Count("pk")).order_by("-n").first()
    if structure:
        found.append(
            Perimeter(
                f"Structure n° {structure['facilitator']} (la plus grande)",
                Scope(facilitation_ids=frozenset({structure["facilitator"]}), organisation_ids=frozenset({0})),
                "(facilitator_id = %(key)s OR structure_id = %(key)s)",
                "WHERE m.facilitator_id = %(key)s",
                {"key": structure["facilitator"]},
            )
        )
    return found


def records_and_markets(perimeter: Perimeter):
    from markets.models import Market
    from reporting.models import PlacementYear

    if perimeter.scope is None:
        return PlacementYear.objects.all(), Market.objects.all()
    user = user_with(perimeter.scope)
    return PlacementYear.objects.visible_to(user), Market.objects.visible_to(user)


def run_application(perimeter: Perimeter, year: int):
    from reporting import queries

    records, markets = records_and_markets(perimeter)
    filters = queries.ReportFilters(department=perimeter.department) if perimeter.department else None
    return queries.yearly_report(records=records, markets=markets, year=year, filters=filters)


def hand_written(perimeter: Perimeter, year: int) -> dict:
    from django.db import connection
    from report import SUMMARY_MONTHLY_SQL, summary_sql

    years = "WHERE year IN (%(previous)s, %(year)s)"
    restricted = f"WHERE year IN (%(previous)s, %(year)s) AND {perimeter.where}"
    notified = (
        "SELECT EXTRACT(YEAR FROM m.notified_on)::int AS y, COUNT(DISTINCT m.id), COUNT(DISTINCT l.id), "
        "COALESCE(SUM(c.target_hours), 0) FROM clauses_clause c JOIN markets_lot l ON l.id = c.lot_id "
        f"JOIN markets_market m ON m.id = l.market_id {perimeter.market_join or 'WHERE TRUE'} "
        "AND m.notified_on BETWEEN %(first_day)s AND %(last_day)s GROUP BY 1"
    )
    params = {
        "year": year,
        "previous": year - 1,
        "first_day": date(year - 1, 1, 1),
        "last_day": date(year, 12, 31),
        **perimeter.params,
    }
    with connection.cursor() as cursor:
        cursor.execute(summary_sql().replace(years, restricted), params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(SUMMARY_MONTHLY_SQL.replace(years, restricted), params)
        cursor.fetchall()
        cursor.execute(notified, params)
        cursor.fetchall()
    dimensions = [column[2:] for column in columns if column.startswith("g_")]
    return {row["y"]: row for row in rows if all(row[f"g_{code}"] for code in dimensions)}


def rows_read(perimeter: Perimeter, year: int) -> int:
    from django.db import connection

    years = "year IN (%(previous)s, %(year)s)"
    sql = f"SELECT COUNT(*) FROM reporting_placementyear WHERE {years} AND {perimeter.where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"year": year, "previous": year - 1, **perimeter.params})
        return cursor.fetchone()[0]


def explain_largest_region(perimeter: Perimeter, year: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the report's main query (summary and publics) for the largest region."""
    from django.db import connection

    from reporting import queries

    records, _markets = records_and_markets(perimeter)
    queryset = (
        records.filter(year__in=[year, year - 1])
        .order_by()
        .values("year")
        .annotate(**queries._summary_aggregates([year, year - 1]))
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"  EXPLAIN (ANALYZE, BUFFERS) de la requête principale, {perimeter.label} :")
    for line in plan:
        if any(word in line for word in ("Scan", "Index Cond", "Heap Fetches", "Rows Removed", "Execution Time")):
            print(f"    {line.strip()}")


def without_perimeter_indexes(perimeter: Perimeter, year: int, runs: int) -> None:
    """The largest region as before issue 19 (the year's covering index only): the perimeter indexes dropped in a
    transaction rolled back afterwards (PostgreSQL's DDL is transactional), in the same run and load."""
    from django.db import connection, transaction

    times = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name in ("placement_year_region_idx", "placement_year_department_idx"):
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        run_application(perimeter, year)
        for _ in range(runs):
            started = time.perf_counter()
            run_application(perimeter, year)
            times.append(time.perf_counter() - started)
        transaction.set_rollback(True)
    print(
        f"  {perimeter.label}, index de la seule année (avant issue 19, même passage) : médiane {ms(median(times))} "
        f"(charge {loadavg()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()

    found = perimeters(args.year)
    print(
        f"Bilan annuel {args.year} (et {args.year - 1}) par périmètre, médiane de {args.runs} passages de chaque côté "
        f"(charge au départ : {loadavg()})."
    )
    explain_largest_region(found[1], args.year)
    header = f"{'périmètre':<58} {'lignes lues':>11} {'application':>12} {'µs/ligne':>9} {'SQL':>10} {'ratio':>6}"
    print(f"  {header}  cible")
    worst_region = None
    for perimeter in found:
        count = rows_read(perimeter, args.year)
        report = run_application(perimeter, args.year)  # warm both sides
        hand_written(perimeter, args.year)
        app_times, sql_times = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = run_application(perimeter, args.year)
            app_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            totals = hand_written(perimeter, args.year)
            sql_times.append(time.perf_counter() - started)
        app, sql = median(app_times), median(sql_times)
        ratio = app / sql if sql else 0
        expected = totals.get(args.year)
        same = (expected is None and not report.summary.contracts) or (
            expected is not None and expected["contracts"] == report.summary.contracts
        )
        if perimeter.scope is None:
            target = f"< {ms(COUNTRY_TARGET)}"
            ok = app < COUNTRY_TARGET
        elif perimeter.label.startswith("Région") and worst_region is None:
            worst_region = perimeter
            target = f"< {ms(REGION_TARGET)} (la plus grande)"
            ok = app < REGION_TARGET
        else:
            target, ok = "", True
        verdict = (
            ("OK" if ok and ratio <= SQL_RATIO_TARGET else "HORS CIBLE")
            if target
            else ("" if ratio <= SQL_RATIO_TARGET else "ratio > 2")
        )
        per_row = fr(app * 1_000_000 / count, 1) if count else "–"
        print(
            f"  {perimeter.label[:58]:<58} {fr(count):>11} {ms(app):>12} {per_row:>9} {ms(sql):>10} "
            f"{fr(ratio, 2):>6}  {target} {verdict}{'' if same else ' TOTAUX DIFFÉRENTS'}"
        )
    without_perimeter_indexes(found[1], args.year, args.runs)
    print(f"  cible des ratios : application / SQL ≤ {fr(SQL_RATIO_TARGET, 0)} ; charge à la fin : {loadavg()}")


if __name__ == "__main__":
    main()
