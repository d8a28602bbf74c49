"""Recompute the reporting summary from the hours records, or check that it equals them.

manage.py rebuild_summary           # recompute every row (after a restore or a manual fix in the database)
manage.py rebuild_summary --check   # list the disagreements, exit with status 1 if there is any
"""

import sys
import time

from django.core.management.base import BaseCommand

from config.formatting import french_figure
from reporting import summary


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
            problems = summary.differences()
            if not problems:
                self.stdout.write("La synthèse est conforme aux relevés détaillés.")
                return
            for problem in problems[:50]:
                self.stdout.write(problem)
            if len(problems) > 50:
                self.stdout.write(f"… et {french_figure(len(problems) - 50)} autres écarts.")
            self.stdout.write(
                f"{french_figure(len(problems))} écart(s) : lancez « manage.py rebuild_summary » pour recalculer."
            )
            sys.exit(1)
        rows = summary.rebuild()
        plural = "s" if rows > 1 else ""
        self.stdout.write(
            f"Synthèse recalculée : {french_figure(rows)} ligne{plural} contrat × année "
            f"en {french_figure(round(time.monotonic() - started, 1))} s."
        )
