from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from territories.loaders import load_territories


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) régions, départements, EPCI et communes depuis territories/data/territories.json.gz, "
        "puis les quartiers prioritaires officiels 2024 et leurs contours depuis territories/data/qpv2024.json.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--region",
            metavar="CODE",
            help="code INSEE d'une région (ex. 27) : ne charge que ses départements, communes, EPCI et QPV",
        )

    def handle(self, *args, region=None, **options):
        try:
            counts = load_territories(region=region)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(str(counts)))
        for warning in counts.qpvs.warnings() if counts.qpvs else []:
            self.stdout.write(self.style.WARNING(warning))
        # The loader refreshed the report rows that copy a moved commune's territory (territories.services).
        if counts.refreshed_placements:
            self.stdout.write(f"Synthèse des bilans : {counts.refreshed_placements} contrat(s) mis à jour.")
