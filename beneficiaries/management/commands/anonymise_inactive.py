"""manage.py anonymise_inactive [--dry-run]: remove the identity of people inactive for the retention period, and
purge the sessions (expired ones, and import previews left unconfirmed). Run it every day (docs/deploiement.md)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from beneficiaries import import_views
from beneficiaries.anonymisation import anonymise_inactive, purge_sessions
from config.formatting import french_date, french_number

# An import preview is confirmed within minutes; its rows (names, birth dates) are not kept beyond this.
IMPORT_PREVIEW_MAX_AGE = timedelta(hours=1)


class Command(BaseCommand):
    help = (
        "Anonymise les participant·es sans activité depuis CLAUSIER_RETENTION_MONTHS mois (identité effacée, "
        "statistiques conservées) et purge les sessions expirées et les aperçus d'import abandonnés."
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
            return
        self.stdout.write(self.style.SUCCESS(f"{count} participant·e(s) {since} anonymisé·es."))
        purged = purge_sessions(keys=[import_views.SESSION_KEY], older_than=IMPORT_PREVIEW_MAX_AGE)
        self.stdout.write(
            f"Sessions : {french_number(purged.expired)} expirée(s) supprimée(s), "
            f"{french_number(purged.cleaned)} aperçu(s) d'import abandonné(s) effacé(s)."
        )
