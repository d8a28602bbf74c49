"""Enqueue the recurring jobs due for their current period; run it every few minutes (cron or systemd timer,
docs/deploiement.md). Running it again in the same period enqueues nothing more."""

from django.core.management.base import BaseCommand

from notifications.recurring import JOBS, enqueue_due


class Command(BaseCommand):
    help = "Met en file les tâches périodiques dues (une fois par période)."

    def handle(self, *args, **options):
        runs = enqueue_due()
        for run in runs:
            self.stdout.write(f"Mise en file : {run.job} ({run.period})")
        if options["verbosity"] > 1 or not runs:
            self.stdout.write(f"{len(runs)} tâche(s) mise(s) en file sur {len(JOBS)} tâche(s) périodique(s).")
