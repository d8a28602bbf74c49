"""Export the yearly report (DOMAIN.md §8) from the command line.

    manage.py export_report --year 2025 [--region 27] [--department 21] --format xlsx|csv|pdf|json --output FILE

The report is made of aggregates computed in SQL (a fixed number of queries); the tables are written row by
row, so no table is ever held twice in memory. Progress lines are printed in French.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.routers import reporting_database
from markets.models import Market
from reporting import exports, queries
from reporting.models import PlacementYear
from territories.models import Department, Region

FORMATS = ("xlsx", "csv", "pdf", "json")


class Command(BaseCommand):
    help = "Exporte le bilan annuel des clauses sociales (XLSX, CSV, PDF ou JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Année du bilan, par exemple 2025.")
        parser.add_argument("--region", help="Code INSEE de la région (par défaut : toutes).")
        parser.add_argument("--department", help="Code INSEE du département (par défaut : tous).")
        parser.add_argument("--format", choices=FORMATS, required=True, help="Format du fichier.")
        parser.add_argument("--output", required=True, help="Chemin du fichier à écrire.")

    def handle(self, *args, year, region, department, format, output, **options):
        if year < 2000 or year > 2100:
            raise CommandError(f"Année invalide : {year}.")
        perimeter = "toutes les régions"
        if region:
            found = Region.objects.filter(code=region).first()
            if found is None:
                raise CommandError(f"Région inconnue : {region}.")
            perimeter = f"région {found.name} ({found.code})"
        if department and not Department.objects.filter(code=department).exists():
            raise CommandError(f"Département inconnu : {department}.")
        path = Path(output)
        if not path.parent.exists():
            raise CommandError(f"Le dossier {path.parent} n'existe pas.")

        self.stdout.write(f"Calcul des indicateurs {year} et {year - 1} ({perimeter})…")
        report = reporting_database()(queries.yearly_report)(
            records=PlacementYear.objects.all(),
            markets=Market.objects.all(),
            year=year,
            filters=queries.ReportFilters(region=region or None, department=department or None),
        )
        self.stdout.write(
            f"Indicateurs calculés : {exports.display_text(report.summary.hours, exports.HOURS)} heures, "
            f"{exports.display_text(report.summary.participants, exports.INTEGER)} participant·es."
        )
        filters = [("Année", str(year)), ("Périmètre", perimeter)]
        if department:
            filters.append(("Département", department))
        meta = exports.ExportMeta(
            title=f"Bilan annuel {year} des clauses sociales d'insertion",
            subtitle=perimeter[0].upper() + perimeter[1:],
            filters=tuple(filters),
        )
        tables = exports.report_tables(report)
        self.stdout.write(f"Écriture du fichier {format.upper()} : {path}")
        if format == "xlsx":
            exports.write_xlsx(tables, meta, str(path), progress=self.stdout.write)
        elif format == "csv":
            with path.open("w", encoding="utf-8", newline="") as stream:
                exports.write_csv(tables, meta, stream, progress=self.stdout.write)
        elif format == "json":
            with path.open("w", encoding="utf-8") as stream:
                exports.write_json(tables, meta, stream)
        else:
            context = {"meta": meta, "tables": exports.rendered_tables(tables, svg=True)}
            self.stdout.write("Mise en page du PDF…")
            path.write_bytes(exports.pdf_bytes("reporting/pdf.html", context))
        size = path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Export terminé : {path} ({size} octets)."))
