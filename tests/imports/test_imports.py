"""Hours import: good files in every format, bad files each refused in French with the database untouched,
idempotent re-import, the command and the web flow."""

import io
import os
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook

from beneficiaries import imports
from beneficiaries.choices import HoursSource
from beneficiaries.models import HoursRecord
from tests.api.conftest import build_world

pytestmark = pytest.mark.django_db

HEADER = [
    "reference_marche",
    "numero_lot",
    "siret_titulaire",
    "nom",
    "prenom",
    "date_naissance",
    "mois",
    "heures",
    "heures_formation",
]


@pytest.fixture
def world(db):
    return build_world()


def person_row(world, month="04/2025", hours="12,5", training="0"):
    return ["2025-DIJ-01", "1", world.company.siret, "Dupont", "Marie", "01/02/1990", month, hours, training]


def csv_bytes(rows, header=HEADER, delimiter=";", encoding="utf-8-sig"):
    lines = [delimiter.join(header)] + [delimiter.join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def snapshot():
    return sorted(
        HoursRecord.objects.values_list("placement_id", "month", "hours", "training_hours", "status", "version")
    )


def run(data, world, *, commit=True, filename="releve.csv"):
    return imports.import_file(data, user=world.owner, filename=filename, commit=commit)


# Good files ------------------------------------------------------------------------------------------------


def test_csv_utf8_semicolon_creates_and_updates(world):
    data = csv_bytes([person_row(world, "04/2025", "12,5"), person_row(world, "03/2025", "110", "4")])
    report = run(data, world)
    assert report.ok and report.committed, report.error_lines()
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 0, "skipped": 0, "refused": 0}
    april = HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1))
    assert april.hours == Decimal("12.5") and april.source == HoursSource.IMPORT and april.declared_by == world.owner
    march = HoursRecord.objects.get(pk=world.record.pk)
    assert (march.hours, march.training_hours) == (Decimal("110"), Decimal("4"))


def test_csv_windows_1252_comma_with_accented_headers(world):
    header = [
        "Référence_Marché",
        "Numéro lot",
        "SIRET titulaire",
        "Nom",
        "Prénom",
        "Date naissance",
        "Mois",
        "Heures",
        "Heures formation",
    ]
    world.person.last_name = "Dupré"
    world.person.save()
    row = ["2025-DIJ-01", "1", world.company.siret, "DUPRE", "marie", "01/02/1990", "05/2025", "7.5", "0"]
    data = csv_bytes([row], header=header, delimiter=",", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = run(data, world)
    assert report.committed, report.error_lines()
    assert HoursRecord.objects.get(placement=world.placement, month=date(2025, 5, 1)).hours == Decimal("7.5")


def test_xlsx_with_identifier_and_real_dates_and_numbers(world):
    header = ["reference_marche", "numero_lot", "siret_titulaire", "identifiant_participant", "mois", "heures"]
    rows = [["2025-DIJ-01", 1, int(world.company.siret), world.person.pk, date(2025, 6, 1), 35.25]]
    report = run(xlsx_bytes(rows, header), world, filename="releve.xlsx")
    assert report.committed, report.error_lines()
    assert HoursRecord.objects.get(placement=world.placement, month=date(2025, 6, 1)).hours == Decimal("35.25")


def test_reimport_is_idempotent(world):
    data = csv_bytes([person_row(world, "04/2025"), person_row(world, "05/2025")])
    assert run(data, world).committed
    before = snapshot()
    report = run(data, world)
    assert report.committed
    assert report.counts["unchanged"] == 2 and report.counts["created"] == 0
    assert snapshot() == before


def test_preview_writes_nothing_and_tells_what_would_happen(world):
    before = snapshot()
    report = run(csv_bytes([person_row(world, "04/2025"), person_row(world, "03/2025", "100")]), world, commit=False)
    assert report.ok and not report.committed
    assert [result.status for result in report.rows] == ["created", "unchanged"]
    assert snapshot() == before


def test_template_files_are_valid_headers(world):
    csv_rows = imports.parse_file(imports.template_csv(), filename="modele.csv")
    assert csv_rows[0].reference == "2025-0001" and csv_rows[0].hours == "120.5"
    workbook = load_workbook(io.BytesIO(imports.template_xlsx()), read_only=True)
    assert [cell.value for cell in next(workbook.worksheets[0].iter_rows())] == list(imports.COLUMNS)


# Bad files: a French reason, the database untouched ---------------------------------------------------------


def refused_file(world, data, filename="releve.csv"):
    before = snapshot()
    with pytest.raises(imports.FileRefused) as excinfo:
        run(data, world, filename=filename)
    assert snapshot() == before
    return " ".join(excinfo.value.messages)


def refused_rows(world, data, filename="releve.csv"):
    before = snapshot()
    report = run(data, world, filename=filename)
    assert not report.committed and not report.ok
    assert snapshot() == before
    return report.error_lines()


def test_missing_column(world):
    header = [name for name in HEADER if name != "heures"]
    message = refused_file(world, csv_bytes([[*person_row(world)[:7], "0"]], header=header))
    assert "Colonne manquante : « heures »." in message


def test_extra_unknown_column(world):
    message = refused_file(world, csv_bytes([[*person_row(world), "x"]], header=[*HEADER, "commentaire"]))
    assert "Colonne inconnue : « commentaire »." in message


def test_empty_file(world):
    assert refused_file(world, b"") == "Le fichier est vide."
    assert "aucune ligne" in refused_file(world, csv_bytes([]))


def test_not_a_spreadsheet(world):
    noise = bytes(range(256)) * 40
    assert "n'est pas un tableau lisible" in refused_file(world, noise, filename="photo.jpg")
    assert "XLSX" in refused_file(world, b"PK\x03\x04" + noise, filename="releve.xlsx")


def test_ten_megabytes_of_noise_refused_quickly(world):
    noise = os.urandom(10 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(imports.FileRefused) as excinfo:
        imports.read_upload(io.BytesIO(noise), size=len(noise))
    assert "trop volumineux" in excinfo.value.messages[0]
    with pytest.raises(imports.FileRefused):
        imports.read_upload(io.BytesIO(noise))  # size unknown: stops after the limit
    assert time.monotonic() - started < 1


def test_negative_hours(world):
    errors = refused_rows(world, csv_bytes([person_row(world, "04/2025"), person_row(world, "05/2025", "-3")]))
    assert errors == ["Ligne 3 : Les heures ne peuvent pas être négatives."]


def test_three_hundred_hours(world):
    errors = refused_rows(world, csv_bytes([person_row(world, "04/2025", "300")]))
    assert errors == ["Ligne 2 : 300 h dépasse le maximum légal de 220 h par mois pour un contrat."]


def test_month_outside_the_placement(world):
    errors = refused_rows(world, csv_bytes([person_row(world, "02/2026")]))
    assert errors == ["Ligne 2 : Le mois 02/2026 est hors de la période du contrat (du 01/01/2025 au 31/12/2025)."]


def test_unknown_beneficiary(world):
    row = ["2025-DIJ-01", "1", world.company.siret, "Inconnu", "Paul", "03/03/1980", "04/2025", "10", "0"]
    errors = refused_rows(world, csv_bytes([person_row(world), row]))
    assert errors == ["Ligne 3 : Participant·e inconnu·e : INCONNU Paul, né·e le 03/03/1980."]


def test_formula_cell_in_xlsx_and_csv(world):
    row = person_row(world)
    row[7] = "=100+20"
    errors = refused_rows(world, xlsx_bytes([row]), filename="releve.xlsx")
    assert (
        errors[0] == "Ligne 2 : Formule refusée dans la colonne « heures » : enregistrez des valeurs, pas des formules."
    )
    errors = refused_rows(world, csv_bytes([row]))
    assert "Formule refusée" in errors[0]


def test_wrong_siret_unknown_market_and_other_tenant(world):
    rows = [
        ["2025-DIJ-01", "1", "73282932000074", "Dupont", "Marie", "01/02/1990", "04/2025", "1", "0"],
        ["NOPE", "1", world.company.siret, "Dupont", "Marie", "01/02/1990", "04/2025", "1", "0"],
        ["2025-AIL-01", "1", world.other_lot.contractor.siret, "Dupont", "Marie", "01/02/1990", "04/2025", "1", "0"],
        ["2025-DIJ-01", "7", world.company.siret, "Dupont", "Marie", "01/02/1990", "04/2025", "1", "0"],
    ]
    errors = refused_rows(world, csv_bytes(rows))
    assert (
        errors[0] == "Ligne 2 : Le SIRET 73282932000074 n'est pas celui du titulaire du lot n° 1 du marché 2025-DIJ-01."
    )
    assert errors[1].startswith("Ligne 3 : Marché inconnu")
    assert errors[2].startswith("Ligne 4 : Marché inconnu")  # another structure's market is not even named
    assert errors[3] == "Ligne 5 : Le marché 2025-DIJ-01 n'a pas de lot n° 7."


def test_duplicate_rows_and_unreadable_values(world):
    rows = [person_row(world, "04/2025"), person_row(world, "04/2025"), person_row(world, "13/2025", "abc")]
    errors = refused_rows(world, csv_bytes(rows))
    assert "Ligne 3 : Ce contrat et ce mois (04/2025) figurent déjà à la ligne 2." in errors
    assert any(error.startswith("Ligne 4 : Mois illisible") for error in errors)
    assert any(error.startswith("Ligne 4 : Heures illisibles") for error in errors)


def test_reader_cannot_declare(world):
    report = imports.import_file(csv_bytes([person_row(world)]), user=world.reader, commit=True)
    assert report.error_lines() == ["Ligne 2 : Votre rôle ne permet pas de déclarer des heures sur ce contrat."]


# Command ---------------------------------------------------------------------------------------------------


def write(tmp_path, data, name="releve.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_command_imports_and_dry_run(world, tmp_path, capsys):
    path = write(tmp_path, csv_bytes([person_row(world, "04/2025")]))
    call_command("import_hours", path, "--dry-run", "--user", world.owner.email)
    assert "Vérification sans enregistrement : 1 relevé(s) à créer" in capsys.readouterr().out
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()
    call_command("import_hours", path, "--user", world.owner.email)
    assert "Import terminé : 1 relevé(s) créé(s)" in capsys.readouterr().out
    assert HoursRecord.objects.filter(month=date(2025, 4, 1), declared_by=world.owner).exists()


def test_command_fails_with_row_errors_and_writes_nothing(world, tmp_path):
    path = write(tmp_path, csv_bytes([person_row(world, "04/2025"), person_row(world, "05/2025", "300")]))
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_hours", path)
    assert "rien n'a été enregistré" in str(excinfo.value)
    assert "Ligne 3 : 300 h dépasse le maximum légal" in str(excinfo.value)
    assert snapshot() == before


def test_command_exit_code_is_non_zero(world, tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, b"")
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "import_hours", path],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SECRET_KEY": "x"},
    )
    assert result.returncode != 0
    assert "Le fichier est vide." in result.stderr


def test_command_shows_progress_on_large_files(world, tmp_path, capsys):
    rows = [person_row(world, "04/2025")] * 2500
    path = write(tmp_path, csv_bytes(rows))
    with pytest.raises(CommandError):
        call_command("import_hours", path)  # duplicates: refused, but read with progress
    assert "… 1000 lignes lues" in capsys.readouterr().err


# Web flow --------------------------------------------------------------------------------------------------


def upload(client, data, name="releve.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/imports/heures/", {"file": file})


def test_web_upload_preview_confirm(world, client):
    client.force_login(world.owner)
    assert client.get("/imports/heures/").status_code == 200
    response = upload(client, csv_bytes([person_row(world, "04/2025")]))
    assert response.status_code == 200
    assert "Confirmer l'import" in response.content.decode()
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()
    response = client.post("/imports/heures/confirmer/")
    assert response.status_code == 200
    assert "1 relevé créé, 0 mis à jour" in " ".join(response.content.decode().split())
    assert HoursRecord.objects.filter(month=date(2025, 4, 1)).count() == 1
    # The pending import is consumed.
    assert client.post("/imports/heures/confirmer/").status_code == 302


def test_web_preview_lists_errors_and_cannot_be_confirmed(world, client):
    client.force_login(world.owner)
    response = upload(client, csv_bytes([person_row(world, "04/2025", "300")]))
    body = response.content.decode()
    assert "Ligne 2 : 300 h dépasse le maximum légal de 220 h par mois pour un contrat." in body
    assert "Confirmer" not in body
    assert client.post("/imports/heures/confirmer/").status_code == 302
    assert not HoursRecord.objects.filter(month=date(2025, 4, 1)).exists()


def test_web_confirm_rechecks(world, client):
    client.force_login(world.owner)
    upload(client, csv_bytes([person_row(world, "11/2025")]))
    world.placement.end_date = date(2025, 10, 31)
    world.placement.save()
    response = client.post("/imports/heures/confirmer/")
    assert response.status_code == 409
    assert "hors de la période du contrat" in response.content.decode()
    assert not HoursRecord.objects.filter(month=date(2025, 11, 1)).exists()


def test_web_refused_file_and_rights(world, client):
    client.force_login(world.owner)
    response = upload(client, b"")
    assert response.status_code == 400
    assert "vide" in response.content.decode()
    response = upload(client, bytes(range(256)) * 10, name="photo.jpg")
    assert response.status_code == 400
    assert "envoyez un fichier CSV" in response.content.decode()
    client.force_login(world.buyer_user)
    assert client.get("/imports/heures/").status_code == 403
    client.force_login(world.reader)
    assert client.get("/imports/heures/").status_code == 403


def test_web_templates_download(world, client):
    client.force_login(world.owner)
    response = client.get("/imports/heures/modele.csv")
    assert response["Content-Disposition"] == 'attachment; filename="modele-releve-heures.csv"'
    assert response.content.startswith("\ufeffreference_marche;".encode())
    assert client.get("/imports/heures/modele.xlsx").content[:2] == b"PK"
    assert client.get("/imports/heures/modele.pdf").status_code == 404
