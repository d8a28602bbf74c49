"""Recompute the reporting summary from the hours records, or check that it equals them.

manage.py rebuild_summary           # recompute every row (after a restore or a manual fix in the database)
manage.py rebuild_summary --check   # list the disagreements, exit with status 1 if there is any
"""

import sys
import time

from django.core.management.base import BaseCommand

from config.formatting import french_figure
from reporting import summary

SHOWN = 50  # disagreements listed; all of them are counted


class Command(BaseCommand):
    help = "Recalcule la synthèse annuelle des contrats à partir des relevés d'heures (ou la vérifie avec --check)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare la synthèse aux relevés détaillés sans rien modifier ; code de sortie 1 en cas d'écart.",
        )

    def handle(self, *args, check: bool = False, **options):
        started = time.monotonic()
        if check:
            # Compared by the database, one range of placements at a time (bounded memory at any volume).
            comparison = summary.compare(limit=SHOWN)
            if not comparison.total:
                self.stdout.write("La synthèse est conforme aux relevés détaillés.")
                return
            for problem in comparison.problems:
                self.stdout.write(problem)
            if comparison.total > SHOWN:
                self.stdout.write(f"… et {french_figure(comparison.total - SHOWN)} autres écarts.")
            self.stdout.write(
                f"{french_figure(comparison.total)} écart(s) : lancez « manage.py rebuild_summary » pour recalculer."
            )
            sys.exit(1)
        rows = summary.rebuild()
        plural = "s" if rows > 1 else ""
        self.stdout.write(
            f"Synthèse recalculée : {french_figure(rows)} ligne{plural} contrat × année "
            f"en {french_figure(round(time.monotonic() - started, 1))} s."
        )
