"""The history import's pages: admins only, templates, preview then confirm, all or nothing, rerun unchanged."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from beneficiaries.history_fixture import generate, to_csv_files, to_xlsx
from beneficiaries.models import Beneficiary, HoursRecord
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory


@pytest.fixture
def workbook(db):
    BuyerFactory(siret="21750001600019")
    CompanyFactory(siret="73282932000074")
    CommuneFactory(code="21231")
    return generate(
        buyer_siret="21750001600019",
        company_siret="73282932000074",
        commune="21231",
        people=5,
        contracts=8,
        years=2,
        markets=1,
        lots_per_market=2,
        monthly_records=40,
    )


def upload(client, data, name="historique.xlsx"):
    return client.post(reverse("imports:history"), {"files": _file(data, name)})


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_only_structure_admins_reach_the_page(client, owner_client, admin_client_of_structure, reader_client):
    assert admin_client_of_structure.get(reverse("imports:history")).status_code == 200
    assert owner_client.get(reverse("imports:history")).status_code == 403
    assert reader_client.get(reverse("imports:history")).status_code == 403
    assert client.get(reverse("imports:history")).status_code == 302


def test_templates_download(admin_client_of_structure):
    response = admin_client_of_structure.get(reverse("imports:history_template", args=["classeur.xlsx"]))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "Lisez-moi"
    response = admin_client_of_structure.get(reverse("imports:history_template", args=["heures.csv"]))
    assert response.content.decode("utf-8-sig").startswith("ref_contrat;mois;heures")
    assert admin_client_of_structure.get(reverse("imports:history_template", args=["autre.csv"])).status_code == 404


def test_preview_then_confirm_then_rerun(admin_client_of_structure, structure, workbook):
    data = to_xlsx(workbook)
    response = upload(admin_client_of_structure, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Aperçu de l'import de l'historique" in page
    assert not Beneficiary.objects.exists()
    response = admin_client_of_structure.post(reverse("imports:history_confirm"))
    assert response.status_code == 200
    assert "Historique importé" in response.content.decode()
    assert Beneficiary.objects.filter(structure=structure).count() == 5
    assert HoursRecord.objects.count() == len(workbook.sheets["heures"])
    # A second confirmation without a new preview does nothing.
    response = admin_client_of_structure.post(reverse("imports:history_confirm"))
    assert response.status_code == 302
    # The same workbook again: everything « inchangé ».
    response = upload(admin_client_of_structure, data)
    for sheet in ("marches", "participants", "contrats", "heures"):
        row = response.content.decode().split(f'data-sheet="{sheet}"')[1].split("</tr>")[0]
        assert 'data-status="created">0<' in row and 'data-status="updated">0<' in row


def test_csv_files_and_a_refusal_show_their_column(admin_client_of_structure, workbook):
    workbook.sheets["participants"][0]["commune"] = "99999"
    files = [_file(data, name) for name, data in to_csv_files(workbook)]
    response = admin_client_of_structure.post(reverse("imports:history"), {"files": files})
    page = response.content.decode()
    assert "Commune inconnue : aucun code INSEE « 99999 »." in page
    assert "<code>commune</code>" in page
    assert "Confirmer l'import" not in page
    assert admin_client_of_structure.post(reverse("imports:history_confirm")).status_code == 302
    assert not Beneficiary.objects.exists()


def test_unreadable_file_is_refused_in_french(admin_client_of_structure, db):
    response = upload(admin_client_of_structure, b"PK\x03\x04 pas un classeur")
    assert response.status_code == 400
    assert "pas un classeur XLSX lisible : enregistrez-le au format XLSX ou CSV." in response.content.decode()


def test_the_hours_import_page_leads_admins_to_the_history_import(admin_client_of_structure, owner_client):
    link = reverse("imports:history")
    assert link in admin_client_of_structure.get(reverse("imports:upload")).content.decode()
    assert link not in owner_client.get(reverse("imports:upload")).content.decode()


def _kept(names=None) -> list[str]:
    from django.core.files.storage import storages

    from beneficiaries.history_files import FOLDER

    storage = storages["exports"]
    return sorted(storage.listdir(FOLDER)[1]) if storage.exists(FOLDER) else []


def test_the_workbook_waits_in_the_private_storage_and_is_erased(admin_client_of_structure, workbook):
    """Between the preview and the confirmation the workbook (people's data) is in the private storage shared by the
    hosts, never in a host's temporary folder; a new upload replaces it, the confirmation erases it."""
    import tempfile
    from pathlib import Path

    legacy = Path(tempfile.gettempdir()) / "clausier-history-imports"  # where the files went before

    def in_legacy() -> list:
        return sorted(legacy.iterdir()) if legacy.exists() else []

    data = to_xlsx(workbook)
    before, legacy_before = _kept(), in_legacy()
    response = upload(admin_client_of_structure, data)
    assert "gardé 6 heures pour cette confirmation" in response.content.decode()
    first = sorted(set(_kept()) - set(before))
    assert len(first) == 1
    assert in_legacy() == legacy_before
    upload(admin_client_of_structure, data)
    second = sorted(set(_kept()) - set(before))
    assert len(second) == 1 and second != first  # the previous preview's file is gone
    admin_client_of_structure.post(reverse("imports:history_confirm"))
    assert _kept() == before


def test_a_preview_left_unanswered_is_erased_by_the_hourly_job(admin_client_of_structure, workbook):
    import os

    from django.core.files.storage import storages
    from django.utils import timezone

    from beneficiaries.history_files import FOLDER, PENDING_KEEP, prune_pending
    from notifications.recurring import HOURLY, JOBS

    (job,) = [job for job in JOBS if job.name == "prune_history_uploads"]
    assert job.frequency == HOURLY and job.task_path == "beneficiaries.history_files.prune_history_uploads"
    before = _kept()
    upload(admin_client_of_structure, to_xlsx(workbook))
    (mine,) = sorted(set(_kept()) - set(before))
    assert prune_pending() == 0  # a fresh preview waits for its confirmation
    path = storages["exports"].path(f"{FOLDER}/{mine}")
    old = (timezone.now() - PENDING_KEEP - timezone.timedelta(minutes=1)).timestamp()
    os.utime(path, (old, old))
    assert prune_pending() >= 1
    assert mine not in _kept()
    response = admin_client_of_structure.post(reverse("imports:history_confirm"))
    assert response.status_code == 302  # « Aucun import d'historique en attente : déposez de nouveau le classeur. »
    assert not Beneficiary.objects.exists()
