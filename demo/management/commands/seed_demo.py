import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, fr_number, seed_demo

NATIONAL = "national"


def positive_int(value: str) -> int | str:
    """An integer ≥ 1, or "national" (every region, about 25 million hours a year over 5 years)."""
    if value.strip().lower() == NATIONAL:
        return NATIONAL
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError(f"« {value} » n'est ni un entier supérieur ou égal à 1, ni « national ».")
    return number


def print_accounts(write) -> None:
    write(f"Comptes de démonstration (mot de passe commun : « {DEMO_PASSWORD} ») :")
    for email, label in DEMO_ACCOUNTS:
        write(f"  – {email} : {label}")


class Command(BaseCommand):
    help = (
        "Crée une région de démonstration réaliste (Bourgogne-Franche-Comté) : structures, acheteurs, marchés, "
        "clauses, participant·es et environ 1 000 000 d'heures validées par an. Déterministe ; ne fait rien si "
        "les données de démonstration sont déjà présentes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive_int,
            default=1,
            help=(
                "multiplie structures, marchés, participant·es et heures (entier ≥ 1, 1 par défaut) ; "
                "« national » : toutes les régions, environ 25 millions d'heures validées par an sur 5 ans "
                "(PostgreSQL conseillé, une dizaine de minutes)"
            ),
        )
        parser.add_argument("--force", action="store_true", help="autorise l'exécution quand DEBUG est désactivé")

    def handle(self, *args, scale: int | str = 1, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refus : DEBUG est désactivé, ce qui laisse penser à une base de production. "
                "Relancez avec --force si vous voulez vraiment y écrire des données de démonstration."
            )
        started = time.monotonic()
        if scale == NATIONAL:
            from demo.national import seed_national

            summary = seed_national(log=self.stdout.write)
        else:
            summary = seed_demo(scale=scale, log=self.stdout.write)
        if not summary.created:
            print_accounts(self.stdout.write)
            return
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Démonstration créée en {elapsed:.0f} s : ".replace(".", ",")
                + f"{fr_number(summary.markets)} marchés, {fr_number(summary.lots)} lots, "
                f"{fr_number(summary.beneficiaries)} participant·es, {fr_number(summary.placements)} contrats, "
                f"{fr_number(summary.hours_records)} relevés d'heures."
            )
        )
        for year, hours in summary.validated_hours_by_year.items():
            self.stdout.write(f"  {year} : {fr_number(hours)} heures validées")
        print_accounts(self.stdout.write)
