"""Yearly national report: the code the export uses, beside a hand-written SQL query, on the same data.

    python bench/report.py [--year 2025] [--runs 5]

Side 1 ("application"): reporting.queries.yearly_report over every record (what a superuser or the
export_report command without --region computes), then reporting.exports.report_tables written as CSV
(exports.write_csv), end to end.
Side 2 ("SQL à la main sur les relevés"): one SQL statement computing the same totals (summary, publics, the
seven breakdowns and the monthly series, for the year and the previous one) with GROUPING SETS over the
detailed monthly records, plus the small query of markets notified in the year, rows fetched to Python.
Side 3 ("SQL à la main sur la synthèse"): the same GROUPING SETS over the summary table the application reads
(reporting.models.PlacementYear), plus one query for the monthly series and the one of notified markets.
The sides are run alternately; the medians and the ratios are printed, and the totals are compared.
"""

from __future__ import annotations

import argparse
import io
from datetime import date
from decimal import Decimal

from common import fr, median, ms, setup_django

DIMENSION_COLUMNS = {
    "department": "cm.department_id",
    "epci": "cm.epci_id",
    "qpv": "p.qpv_at_start_id",
    "market_type": "m.market_type",
    "buyer_type": "b.buyer_type",
    "modality": "p.modality",
    "mechanism": "c.mechanism",
}
PUBLIC_FLAGS = {
    "women": "is_woman",
    "youth": "is_youth",
    "seniors": "is_senior",
    "qpv": "is_qpv_resident",
    "rqth": "is_rqth",
    "long_term": "is_long_term_job_seeker",
    "rsa": "is_rsa",
}


def hand_written_sql() -> str:
    publics = ",\n".join(
        f"  SUM(counted) FILTER (WHERE {flag}) AS {code}_hours,\n"
        f"  COUNT(DISTINCT beneficiary_id) FILTER (WHERE {flag}) AS {code}_people"
        for code, flag in PUBLIC_FLAGS.items()
    )
    dimension_sets = ", ".join(f"(y, {code})" for code in DIMENSION_COLUMNS)
    dimension_select = ", ".join(f"{column} AS {code}" for code, column in DIMENSION_COLUMNS.items())
    dimension_grouping = ", ".join(f"GROUPING({code}) AS g_{code}" for code in DIMENSION_COLUMNS)
    return f"""
WITH r AS (
  SELECT EXTRACT(YEAR FROM h.month)::int AS y, h.month,
         h.hours + CASE WHEN c.counts_training_hours THEN h.training_hours ELSE 0 END AS counted,
         p.beneficiary_id, p.id AS placement_id, l.contractor_id, l.market_id, m.buyer_id,
         p.is_woman, p.is_youth, p.is_senior, p.is_qpv_resident, p.is_rqth, p.is_long_term_job_seeker, p.is_rsa,
         {dimension_select}
  FROM beneficiaries_hoursrecord h
  JOIN beneficiaries_placement p ON p.id = h.placement_id
  JOIN markets_lot l ON l.id = p.lot_id
  JOIN markets_market m ON m.id = l.market_id
  JOIN organisations_organisation b ON b.id = m.buyer_id
  JOIN territories_commune cm ON cm.code = m.execution_commune_id
  LEFT JOIN clauses_clause c ON c.lot_id = l.id
  WHERE h.status = 'validated' AND h.month BETWEEN %(first)s AND %(last)s
)
SELECT y, month, {", ".join(DIMENSION_COLUMNS)}, GROUPING(month) AS g_month, {dimension_grouping},
  SUM(counted) AS hours, COUNT(DISTINCT beneficiary_id) AS people, COUNT(DISTINCT placement_id) AS contracts,
  COUNT(DISTINCT contractor_id) AS companies, COUNT(DISTINCT market_id) AS markets,
  COUNT(DISTINCT buyer_id) AS buyers,
{publics}
FROM r
GROUP BY GROUPING SETS ((y), (y, month), {dimension_sets})
"""


def summary_sql() -> str:
    """The same totals from the summary table (one row per placement and year, territory and types copied)."""
    publics = ",\n".join(
        f"  SUM(counted) FILTER (WHERE {flag}) AS {code}_hours,\n"
        f"  COUNT(DISTINCT beneficiary_id) FILTER (WHERE {flag}) AS {code}_people"
        for code, flag in PUBLIC_FLAGS.items()
    )
    columns = {
        "department": "department_id",
        "epci": "epci_id",
        "qpv": "qpv_at_start_id",
        "market_type": "market_type",
        "buyer_type": "buyer_type",
        "modality": "modality",
        "mechanism": "mechanism",
    }
    dimension_select = ", ".join(f"{column} AS {code}" for code, column in columns.items())
    dimension_grouping = ", ".join(f"GROUPING({code}) AS g_{code}" for code in columns)
    dimension_sets = ", ".join(f"(y, {code})" for code in columns)
    return f"""
WITH r AS (
  SELECT year AS y, hours + CASE WHEN counts_training_hours THEN training_hours ELSE 0 END AS counted,
         beneficiary_id, placement_id, contractor_id, market_id, buyer_id,
         is_woman, is_youth, is_senior, is_qpv_resident, is_rqth, is_long_term_job_seeker, is_rsa,
         {dimension_select}
  FROM reporting_placementyear
  WHERE year IN (%(previous)s, %(year)s)
)
SELECT y, {", ".join(columns)}, {dimension_grouping},
  SUM(counted) AS hours, COUNT(DISTINCT beneficiary_id) AS people, COUNT(*) AS contracts,
  COUNT(DISTINCT contractor_id) AS companies, COUNT(DISTINCT market_id) AS markets,
  COUNT(DISTINCT buyer_id) AS buyers,
{publics}
FROM r
GROUP BY GROUPING SETS ((y), {dimension_sets})
"""


SUMMARY_MONTHLY_SQL = (
    "SELECT year, "
    + ", ".join(
        f"SUM(hours_{month:02d} + CASE WHEN counts_training_hours THEN training_{month:02d} ELSE 0 END)"
        for month in range(1, 13)
    )
    + " FROM reporting_placementyear WHERE year IN (%(previous)s, %(year)s) GROUP BY year"
)


NOTIFIED_SQL = """
SELECT EXTRACT(YEAR FROM m.notified_on)::int AS y, COUNT(DISTINCT m.id), COUNT(DISTINCT l.id),
       COALESCE(SUM(c.target_hours), 0)
FROM clauses_clause c JOIN markets_lot l ON l.id = c.lot_id JOIN markets_market m ON m.id = l.market_id
WHERE m.notified_on BETWEEN %(first_day)s AND %(last_day)s
GROUP BY 1
"""


def run_sql(year: int) -> dict:
    from django.db import connection

    params = {
        "first": date(year - 1, 1, 1),
        "last": date(year, 12, 1),
        "first_day": date(year - 1, 1, 1),
        "last_day": date(year, 12, 31),
    }
    with connection.cursor() as cursor:
        cursor.execute(hand_written_sql(), params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(NOTIFIED_SQL, params)
        notified = cursor.fetchall()
    totals = {row["y"]: row for row in rows if row["g_month"] == 1 and all(row[f"g_{c}"] for c in DIMENSION_COLUMNS)}
    return {"rows": rows, "totals": totals, "notified": notified}


def run_summary_sql(year: int) -> dict:
    from django.db import connection

    params = {"year": year, "previous": year - 1, "first_day": date(year - 1, 1, 1), "last_day": date(year, 12, 31)}
    with connection.cursor() as cursor:
        cursor.execute(summary_sql(), params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(SUMMARY_MONTHLY_SQL, params)
        monthly = cursor.fetchall()
        cursor.execute(NOTIFIED_SQL, params)
        notified = cursor.fetchall()
    totals = {row["y"]: row for row in rows if all(row[f"g_{c}"] for c in DIMENSION_COLUMNS)}
    return {"rows": rows, "totals": totals, "monthly": monthly, "notified": notified}


def run_application(year: int) -> object:
    from markets.models import Market
    from reporting import exports, queries
    from reporting.models import PlacementYear

    report = queries.yearly_report(records=PlacementYear.objects.all(), markets=Market.objects.all(), year=year)
    meta = exports.ExportMeta(title=f"Bilan annuel {year}", subtitle="Toutes les régions", filters=())
    stream = io.StringIO()
    exports.write_csv(exports.report_tables(report), meta, stream)
    return report, len(stream.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=date.today().year - 1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    import time

    from django.db import connection, reset_queries

    from beneficiaries.models import HoursRecord

    print(f"Bilan annuel national {args.year} (et {args.year - 1}), {args.runs} passages de chaque côté.")
    print(f"Volume : {fr(HoursRecord.objects.count())} relevés d'heures au total.")
    run_application(args.year)  # warm the caches of every side once
    run_sql(args.year)
    run_summary_sql(args.year)
    app_times, sql_times, summary_times = [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        report, size = run_application(args.year)
        app_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        sql = run_sql(args.year)
        sql_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        on_summary = run_summary_sql(args.year)
        summary_times.append(time.perf_counter() - started)
    from django.conf import settings

    settings.DEBUG = True
    reset_queries()
    run_application(args.year)
    query_count = len(connection.queries)
    settings.DEBUG = False
    app, hand, hand_summary = median(app_times), median(sql_times), median(summary_times)
    print(f"  application (queries.yearly_report + export CSV, {query_count} requêtes) : médiane {ms(app)}")
    print(f"    passages : {', '.join(ms(t) for t in app_times)}")
    print(
        "  SQL écrit à la main sur les relevés détaillés (1 requête GROUPING SETS + 1 requête marchés notifiés) : "
        f"médiane {ms(hand)}"
    )
    print(f"    passages : {', '.join(ms(t) for t in sql_times)}")
    print(
        "  SQL écrit à la main sur la table de synthèse (GROUPING SETS + mois + marchés notifiés) : "
        f"médiane {ms(hand_summary)}"
    )
    print(f"    passages : {', '.join(ms(t) for t in summary_times)}")
    print(f"  rapport application / SQL sur la synthèse : {fr(app / hand_summary, 2)}")
    print(f"  rapport application / SQL sur les relevés : {fr(app / hand, 2)}")
    # Same totals on every side.
    for year, summary in ((args.year, report.summary), (args.year - 1, report.previous_summary)):
        row = sql["totals"].get(year)
        expected = (Decimal(row["hours"] or 0), row["people"], row["contracts"], row["markets"]) if row else None
        row = on_summary["totals"].get(year)
        also = (Decimal(row["hours"] or 0), row["people"], row["contracts"], row["markets"]) if row else None
        got = (summary.hours, summary.participants, summary.contracts, summary.markets)
        same = "identiques" if expected == got == also else f"DIFFÉRENTS (relevés {expected}, synthèse {also})"
        print(
            f"  {year} : {fr(summary.hours)} heures, {fr(summary.participants)} participant·es, "
            f"{fr(summary.contracts)} contrats, {fr(summary.markets)} marchés — totaux {same}"
        )
    print(f"  export CSV : {fr(size)} caractères")


if __name__ == "__main__":
    main()
