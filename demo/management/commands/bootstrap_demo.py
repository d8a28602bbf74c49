from django.core.management.base import BaseCommand

from demo.seed import ensure_territories
from organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Prépare une base de démonstration (utilisé par « make run ») : charge les territoires s'il n'y en a "
        "pas, puis crée la région de démonstration si la base ne contient aucune organisation."
    )

    def handle(self, *args, **options):
        ensure_territories(self.stdout.write)
        if Organisation.objects.exists():
            self.stdout.write("Des données sont déjà présentes : la démonstration n'est pas recréée.")
            return
        from django.core.management import call_command

        call_command("seed_demo", stdout=self.stdout)
