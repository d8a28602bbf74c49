"""Hours import throughput: a 50,000-row CSV and XLSX through `manage.py import_hours`, beside the time to
merely parse the same file (beneficiaries.imports.parse_file).

    python bench/imports.py [--rows 50000]

The files are company statements built from the database: 50,000 existing records of the current year
(one per placement and month, unambiguous market reference, lot and contractor SIRET, the person's Clausier
id), each with its hours moved by half an hour, so that every row is an update that goes through the
service's checks (period, ceiling, AI cap) and is written. The import is real (committed): the records go
back to "declared", in the current year only, which the reports of past years never read.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from common import ROOT, fr, median, setup_django

HEADER = ["reference_marche", "numero_lot", "siret_titulaire", "identifiant_participant", "mois", "heures"]


def statement_rows(count: int) -> list[list[str]]:
    from django.db.models import Count

    from beneficiaries.models import HoursRecord
    from markets.models import Lot

    ambiguous = set(
        Lot.objects.values("market__reference", "number", "contractor__siret")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("market__reference", "number", "contractor__siret")
    )
    year = date.today().year
    records = (
        HoursRecord.objects.filter(month__year=year, placement__lot__contractor__isnull=False)
        .exclude(placement__lot__contractor__siret="")
        .filter(is_converted=False)
        .order_by("placement_id", "month")
        .values_list(
            "placement__lot__market__reference",
            "placement__lot__number",
            "placement__lot__contractor__siret",
            "placement__beneficiary_id",
            "month",
            "hours",
            "training_hours",
            "placement__modality",
        )
    )
    rows = []
    for reference, number, siret, person, month, hours, training, modality in records.iterator(chunk_size=20_000):
        if (reference, number, siret) in ambiguous:
            continue
        # Half an hour more, or less near full time and for AI provisions (their 480 h cap).
        more = float(hours + training) <= 150 and modality != "ai_provision"
        value = float(hours) + 0.5 if more else max(float(hours) - 0.5, 0.0)
        rows.append([reference, str(number), siret, str(person), month.strftime("%m/%Y"), f"{value:.2f}"])
        if len(rows) == count:
            break
    return rows


def write_csv(rows: list[list[str]], path: Path) -> None:
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([*row[:5], row[5].replace(".", ",")] for row in rows)
    path.write_bytes(output.getvalue().encode("utf-8"))


def write_xlsx(rows: list[list[str]], path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Relevé d'heures")
    sheet.write_row(0, 0, HEADER)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, [row[0], int(row[1]), row[2], int(row[3]), row[4], float(row[5])])
    workbook.close()


def summary_state() -> dict:
    """Write counters of the summary table (PostgreSQL statistics) and the current transaction id."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, n_tup_del, n_live_tup, n_dead_tup, autovacuum_count, txid_current() "
            "FROM pg_stat_user_tables WHERE relname = 'reporting_placementyear'"
        )
        names = ("inserted", "updated", "deleted", "live", "dead", "autovacuums", "txid")
        return dict(zip(names, cursor.fetchone(), strict=True))


def print_summary_writes(before: dict) -> None:
    """What the import wrote in the summary (issue 19: only the current year's rows, few dead rows left)."""
    from django.db import connection

    time.sleep(1)  # the statistics of the import's backend reach the collector when it ends
    after = summary_state()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT year < %s, COUNT(*) FROM reporting_placementyear WHERE xmin::text::bigint >= %s GROUP BY 1",
            [date.today().year, before["txid"] % 2**32],
        )
        rewritten = dict(cursor.fetchall())
    dead, live = after["dead"], after["live"]
    print(
        f"    synthèse : {fr(after['inserted'] - before['inserted'])} lignes insérées, "
        f"{fr(after['updated'] - before['updated'])} mises à jour, {fr(after['deleted'] - before['deleted'])} "
        f"supprimées ; lignes des années passées réécrites : {fr(rewritten.get(True, 0))} (cible 0), de "
        f"{date.today().year} : {fr(rewritten.get(False, 0))}"
    )
    print(
        f"    lignes mortes de la synthèse après l'import : {fr(dead)} sur {fr(dead + live)} "
        f"({fr(100 * dead / max(dead + live, 1), 1)} %), autovacuum passé "
        f"{after['autovacuums'] - before['autovacuums']} fois pendant l'import ; charge {loadavg()}"
    )
    # Does autovacuum catch up (the table's thresholds: 2 % + 1,000 dead rows, checked every minute)?
    waited = 0
    while dead and waited < 120 and summary_state()["autovacuums"] == after["autovacuums"]:
        time.sleep(5)
        waited += 5
    state = summary_state()
    print(
        f"    {waited} s plus tard : {fr(state['dead'])} lignes mortes "
        f"({fr(100 * state['dead'] / max(state['dead'] + state['live'], 1), 1)} %), autovacuum passé "
        f"{state['autovacuums'] - before['autovacuums']} fois ; charge {loadavg()}"
    )


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--directory", default=tempfile.gettempdir())
    args = parser.parse_args()
    setup_django()
    from beneficiaries import imports

    print(f"Import d'un relevé de {fr(args.rows)} lignes (mises à jour de relevés {date.today().year}) :")
    for kind in ("csv", "xlsx"):
        rows = statement_rows(args.rows)
        if len(rows) < args.rows:
            sys.exit(f"Seulement {len(rows)} relevés utilisables.")
        path = Path(args.directory) / f"bench-import-{args.rows}.{kind}"
        (write_csv if kind == "csv" else write_xlsx)(rows, path)
        data = path.read_bytes()
        parse_times = []
        for _ in range(3):
            started = time.perf_counter()
            parsed = imports.parse_file(data, filename=path.name)
            parse_times.append(time.perf_counter() - started)
        refused = sum(1 for row in parsed if row.errors)
        before = summary_state()
        started = time.perf_counter()
        completed = subprocess.run(  # noqa: S603 - our own management command
            [sys.executable, str(ROOT / "manage.py"), "import_hours", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        outcome = completed.stdout.strip().splitlines()[-1:] or completed.stderr.strip().splitlines()[-3:]
        parse = median(parse_times)
        print(
            f"  {kind.upper()} ({fr(len(data) / 1024)} Kio) : lecture seule {fr(parse, 2)} s "
            f"({fr(args.rows / parse)} lignes/s, {refused} refusée(s)) ; "
            f"manage.py import_hours {fr(elapsed, 1)} s ({fr(args.rows / elapsed)} lignes/s), "
            f"code {completed.returncode}"
        )
        print(f"    {' '.join(outcome)[:300]}")
        print_summary_writes(before)


if __name__ == "__main__":
    main()
