from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from territories.loaders import import_qpv


class Command(BaseCommand):
    help = (
        "Importe (ou met à jour) les quartiers prioritaires depuis un CSV UTF-8 aux colonnes "
        "code_qpv, nom_qpv, codes_insee (séparateur « ; » ou « , »). Tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="chemin du fichier CSV")

    def handle(self, *args, file: Path, **options):
        try:
            content = file.read_bytes()
        except FileNotFoundError as error:
            raise CommandError(f"Fichier « {file} » introuvable.") from error
        except OSError as error:
            raise CommandError(f"Impossible de lire le fichier « {file} » ({error.strerror}).") from error
        try:
            result = import_qpv(content=content)
        except ValidationError as error:
            messages = "\n".join(error.messages)
            raise CommandError(f"Import refusé, aucun QPV enregistré :\n{messages}") from error
        self.stdout.write(self.style.SUCCESS(str(result)))
