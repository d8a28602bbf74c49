"""Import markets from a DECP 2.0 file (national public-procurement open data): see markets.decp."""

from django.core.management.base import BaseCommand, CommandError

from markets.decp import import_decp


class Command(BaseCommand):
    help = "Importe les marchés publiés au format DECP 2.0 (données essentielles de la commande publique)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier JSON au format DECP 2.0")
        parser.add_argument("--dry-run", action="store_true", help="aperçu : compte sans rien enregistrer")
        parser.add_argument("--buyer", action="append", default=[], metavar="SIRET", help="SIRET d'un acheteur gardé")
        parser.add_argument(
            "--departement", action="append", default=[], metavar="CODE", help="département d'exécution gardé"
        )

    def handle(self, *args, file, dry_run, buyer, departement, **options):
        try:
            stream = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise CommandError(f"Fichier illisible : {error}") from error
        with stream:
            report = import_decp(stream, dry_run=dry_run, buyer_sirets=buyer, departements=departement)
        for refusal in report.refusals:
            self.stderr.write(str(refusal))
        if report.refused > len(report.refusals):
            self.stderr.write(f"… et {report.refused - len(report.refusals)} autres refus.")
        for reason, count in report.ignored_reasons.items():
            self.stdout.write(f"Ignorés ({count}) : {reason}.")
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
        if report.organisations_created:
            self.stdout.write(f"{report.organisations_created} organisations créées, à compléter.")
