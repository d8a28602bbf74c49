"""manage.py anonymise_inactive [--dry-run]: remove the identity of people inactive for the retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand

from beneficiaries.anonymisation import anonymise_inactive
from config.formatting import french_date, french_number


class Command(BaseCommand):
    help = (
        "Anonymise les participant·es sans activité depuis CLAUSIER_RETENTION_MONTHS mois (identité effacée, "
        "statistiques conservées)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Compter sans rien modifier.")

    def handle(self, *args, dry_run=False, **options):
        result = anonymise_inactive(dry_run=dry_run)
        count = french_number(result.anonymised)
        since = f"sans activité depuis le {french_date(result.cutoff)} ({settings.CLAUSIER_RETENTION_MONTHS} mois)"
        if dry_run:
            self.stdout.write(
                f"Simulation : {count} participant·e(s) {since} seraient anonymisé·es. Rien n'a été modifié."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{count} participant·e(s) {since} anonymisé·es."))
