"""manage.py import_hours FICHIER [--dry-run] [--user EMAIL] [--valides remplacer|garder]: import a company
hour statement. A validated record the file changes goes back to "déclaré" (remplacer, as before) or is left
validated and its row skipped (garder); the summary says how many."""

import os

from django.core.management.base import BaseCommand, CommandError

from beneficiaries import imports
from organisations.models import User

VALIDATED_OPTIONS = {"remplacer": imports.REPLACE_VALIDATED, "garder": imports.KEEP_VALIDATED}


class Command(BaseCommand):
    help = (
        "Importe un relevé d'heures (CSV ou XLSX, une ligne par personne et par mois). Tout ou rien : "
        "une seule ligne refusée et rien n'est enregistré."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="Fichier CSV (; ou ,) ou XLSX.")
        parser.add_argument("--dry-run", action="store_true", help="Vérifie le fichier sans rien enregistrer.")
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="Importe avec les droits de cette personne (par défaut : tous les marchés, sans déclarant).",
        )
        parser.add_argument(
            "--valides",
            choices=list(VALIDATED_OPTIONS),
            default="remplacer",
            help=(
                "Relevés validés que le fichier modifie : « remplacer » (ils repassent à « déclaré » et devront "
                "être revalidés, par défaut) ou « garder » (ils restent validés, leurs lignes sont ignorées)."
            ),
        )

    def handle(self, *args, **options):
        path = options["file"]
        user = None
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"].strip(), is_active=True).first()
            if user is None:
                raise CommandError(f"Aucun compte actif pour l'adresse {options['user']}.")
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as handle:
                data = imports.read_upload(handle, size=size)
            # Progress lines every thousand rows, on the error output (the result stays alone on stdout).
            rows = imports.parse_file(data, filename=path, progress=self._reading)
            self.stderr.write(f"{len(rows)} lignes lues, vérification…")
            # Checked and written in one transaction, with no preview shown to anybody: no version to expect.
            report = imports.process(
                rows,
                user=user,
                commit=not options["dry_run"],
                expected_versions=imports.UNCHECKED,
                validated=VALIDATED_OPTIONS[options["valides"]],
                progress=self._progress,
            )
        except OSError as error:
            raise CommandError(f"Impossible de lire {path} : {error.strerror}.") from error
        except imports.FileRefused as error:
            raise CommandError("Fichier refusé : " + " ".join(error.messages)) from error
        counts = report.counts
        if not report.ok:
            lines = "\n".join(report.error_lines())
            raise CommandError(
                f"{len(report.errors)} erreur(s) : rien n'a été enregistré.\n{lines}",
            )
        validated = ""
        if report.validated_changes:
            validated += f" Dont {report.validated_changes} relevé(s) validé(s) repassé(s) à « déclaré », à revalider."
        if counts[imports.SKIPPED]:
            validated += f" {counts[imports.SKIPPED]} relevé(s) validé(s) laissé(s) tel(s) quel(s) (lignes ignorées)."
        summary = (
            f"{counts[imports.CREATED]} relevé(s) à créer, {counts[imports.UPDATED]} à mettre à jour, "
            f"{counts[imports.UNCHANGED]} inchangé(s).{validated}"
        )
        if options["dry_run"]:
            self.stdout.write(f"Vérification sans enregistrement : {summary}")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Import terminé : {counts[imports.CREATED]} relevé(s) créé(s), "
                    f"{counts[imports.UPDATED]} mis à jour, {counts[imports.UNCHANGED]} inchangé(s).{validated}"
                )
            )

    def _reading(self, count):
        self.stderr.write(f"… {count} lignes lues")

    def _progress(self, count):
        self.stderr.write(f"… {count} lignes vérifiées")
