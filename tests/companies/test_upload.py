"""The company's own spreadsheet for a lot and month: preview, confirmation through the declaration (timeline,
source « Déclaration entreprise »), each refusal with its row number, the locked month, the pre-filled template."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AccessLog
from beneficiaries import services as people
from beneficiaries.choices import HoursSource, HoursStatus, Modality
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.choices import DeclarationAction, DeclarationStatus
from companies.models import Declaration
from tests.beneficiaries.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db

PAGE = "/entreprise/lots/{lot}/declaration/2026-03/"
UPLOAD = PAGE + "fichier/"
CONFIRM = UPLOAD + "confirmer/"
HEADER = "reference_marche;numero_lot;siret_titulaire;identifiant_participant;nom;prenom;mois;heures;heures_formation"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _line(lot, person_id, hours, *, month="03/2026", reference=None, number=None, siret=None, training="0"):
    return ";".join(
        [
            reference or lot.market.reference,
            str(number or lot.number),
            siret or lot.contractor.siret,
            str(person_id),
            "",
            "",
            month,
            hours,
            training,
        ]
    )


def _file(*lines) -> SimpleUploadedFile:
    return SimpleUploadedFile("heures.csv", "\n".join([HEADER, *lines]).encode(), content_type="text/csv")


def test_upload_shows_the_preview_then_confirming_writes_through_the_declaration(
    contact, lot, holder, employee, second_employee
):
    company = _client(contact)
    people.declare_month(
        entries=[
            people.HoursEntry(
                placement=employee, month=datetime.date(2026, 3, 1), hours=Decimal(100), expected_version=0
            )
        ],
        user=contact,
        source=HoursSource.GRID,
    )
    upload = _file(
        _line(lot, employee.beneficiary_id, "110,5"), _line(lot, second_employee.beneficiary_id, "0", training="7")
    )
    response = company.post(UPLOAD.format(lot=lot.pk), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "Aperçu de votre tableur de mars 2026" in page
    assert "100 → 110,5" in page  # « avant → après »
    assert "Confirmer et enregistrer" in page
    # The preview wrote nothing.
    assert HoursRecord.objects.get(placement=employee).hours == 100
    assert not HoursRecord.objects.filter(placement=second_employee).exists()

    response = company.post(CONFIRM.format(lot=lot.pk), follow=True)
    page = response.content.decode()
    assert "1 relevé(s) créé(s), 1 modifié(s)" in page
    records = {record.placement_id: record for record in HoursRecord.objects.all()}
    assert records[employee.pk].hours == Decimal("110.5")
    assert records[second_employee.pk].training_hours == 7
    assert {record.source for record in records.values()} == {HoursSource.COMPANY}
    assert {record.status for record in records.values()} == {HoursStatus.DECLARED}
    declaration = Declaration.objects.get(lot=lot, company=holder)
    assert declaration.status == DeclarationStatus.TO_DECLARE
    saved = declaration.events.get(action=DeclarationAction.SAVED)
    assert sorted(saved.placements) == sorted([employee.pk, second_employee.pk])
    assert saved.user == contact
    # The person's journal says the company declared it.
    assert AccessLog.objects.filter(
        beneficiary=employee.beneficiary,
        detail=f"Relevé d'heures de 03/2026 modifié par l'entreprise (contrat n° {employee.pk})",
    ).exists()
    assert AccessLog.objects.filter(
        beneficiary=second_employee.beneficiary,
        detail=f"Relevé d'heures de 03/2026 déclaré par l'entreprise (contrat n° {second_employee.pk})",
    ).exists()
    # A second confirmation finds nothing pending.
    response = company.post(CONFIRM.format(lot=lot.pk), follow=True)
    assert "Aucun dépôt en attente pour ce mois" in response.content.decode()


def test_the_grid_records_the_company_source(contact, lot, holder, employee):
    declarations.save_rows(
        lot=lot,
        company=holder,
        month=datetime.date(2026, 3, 1),
        entries=[
            people.HoursEntry(
                placement=employee, month=datetime.date(2026, 3, 1), hours=Decimal(35), expected_version=0
            )
        ],
        user=contact,
    )
    assert HoursRecord.objects.get(placement=employee).source == HoursSource.COMPANY
    assert HoursSource.COMPANY.label == "Déclaration entreprise"


def test_each_refused_row_is_named_with_its_reason_and_nothing_is_written(
    contact, structure, lot, holder, subcontractor, employee
):
    stranger = BeneficiaryFactory(structure=structure, last_name="Ailleurs", first_name="Zoé")
    people.start_placement(
        beneficiary=stranger,
        lot=lot,
        employer=subcontractor,  # on the lot, but employed by another company
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 6, 30),
    )
    upload = _file(
        _line(lot, employee.beneficiary_id, "10"),  # row 2: fine
        _line(lot, employee.beneficiary_id, "10", number=lot.number + 1),  # row 3: another lot
        _line(lot, employee.beneficiary_id, "10", month="04/2026"),  # row 4: another month
        _line(lot, stranger.pk, "10"),  # row 5: a person it does not employ
        _line(lot, employee.beneficiary_id, "10", siret="12345678901234"),  # row 6: not the holder's SIRET
        _line(lot, 999999, "10"),  # row 7: nobody
    )
    response = _client(contact).post(UPLOAD.format(lot=lot.pk), {"file": upload})
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert "5 erreurs : rien ne sera enregistré." in page
    assert f"Ligne 3 : Ligne d'un autre lot (marché « {lot.market.reference} », lot n° {lot.number + 1})" in page
    assert "Ligne 4 : Ligne du mois 04/2026 : ce dépôt ne concerne que le mois 03/2026." in page
    assert f"Ligne 5 : Cette personne (n° {stranger.pk}) n'est pas employée par votre entreprise" in page
    assert "Ligne 6 : Le SIRET 12345678901234 n'est pas celui du titulaire de ce lot" in page
    assert "Ligne 7 : Cette personne (n° 999999) n'est pas employée par votre entreprise" in page
    assert "Confirmer et enregistrer" not in page
    assert not HoursRecord.objects.exists()
    assert not Declaration.objects.exists()
    # Nothing is pending: a forged confirmation writes nothing.
    _client(contact).post(CONFIRM.format(lot=lot.pk))
    assert not HoursRecord.objects.exists()


def test_a_row_refused_by_the_hours_rules_names_its_row(contact, lot, employee):
    response = _client(contact).post(
        UPLOAD.format(lot=lot.pk), {"file": _file(_line(lot, employee.beneficiary_id, "9999"))}
    )
    page = response.content.decode()
    assert "Ligne 2 : Heures hors limites" in page
    assert not HoursRecord.objects.exists()


def test_a_hostile_file_is_refused_in_french(contact, lot, employee):
    bomb = SimpleUploadedFile("heures.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    response = _client(contact).post(UPLOAD.format(lot=lot.pk), {"file": bomb})
    assert response.status_code == 400
    assert "Ce fichier est refusé, rien n" in response.content.decode()
    formula = _file(_line(lot, employee.beneficiary_id, "=1+1"))
    page = _client(contact).post(UPLOAD.format(lot=lot.pk), {"file": formula}).content.decode()
    assert "Formule refusée" in page
    assert not HoursRecord.objects.exists()


@pytest.mark.parametrize("status", [DeclarationStatus.SUBMITTED, DeclarationStatus.VALIDATED, DeclarationStatus.CLOSED])
def test_the_upload_is_refused_while_the_month_is_transmitted_or_locked(contact, lot, holder, employee, status):
    Declaration.objects.create(lot=lot, company=holder, month=datetime.date(2026, 3, 1), status=status)
    company = _client(contact)
    response = company.post(
        UPLOAD.format(lot=lot.pk), {"file": _file(_line(lot, employee.beneficiary_id, "10"))}, follow=True
    )
    page = response.content.decode().replace("&#x27;", "'")
    expected = declarations.WAITING if status == DeclarationStatus.SUBMITTED else "Le mois 03/2026 est validé"
    assert expected.replace("&#x27;", "'") in page
    assert not HoursRecord.objects.exists()
    # The declaration page offers no upload then.
    assert 'id="upload-form"' not in company.get(PAGE.format(lot=lot.pk)).content.decode()


def test_a_month_transmitted_between_preview_and_confirmation_writes_nothing(contact, lot, holder, employee):
    company = _client(contact)
    company.post(UPLOAD.format(lot=lot.pk), {"file": _file(_line(lot, employee.beneficiary_id, "10"))})
    Declaration.objects.create(
        lot=lot, company=holder, month=datetime.date(2026, 3, 1), status=DeclarationStatus.SUBMITTED
    )
    response = company.post(CONFIRM.format(lot=lot.pk), follow=True)
    assert "la facilitatrice la vérifie" in response.content.decode()
    assert not HoursRecord.objects.exists()


def test_a_reopened_month_can_keep_its_validated_records(contact, owner, lot, holder, employee, second_employee):
    month = datetime.date(2026, 3, 1)
    entries = [
        people.HoursEntry(placement=placement, month=month, hours=Decimal(50), expected_version=0)
        for placement in (employee, second_employee)
    ]
    declarations.save_rows(lot=lot, company=holder, month=month, entries=entries, user=contact)
    declarations.submit(lot=lot, company=holder, month=month, user=contact)
    declaration = Declaration.objects.get()
    declarations.validate(declaration=declaration, user=owner)
    declarations.reopen(declaration=declaration, reason="Erreur de mois", user=owner)
    company = _client(contact)
    upload = _file(_line(lot, employee.beneficiary_id, "60"), _line(lot, second_employee.beneficiary_id, "50"))
    page = company.post(UPLOAD.format(lot=lot.pk), {"file": upload}).content.decode()
    assert "Relevés déjà validés" in page
    response = company.post(CONFIRM.format(lot=lot.pk))
    assert response.status_code == 400  # no silent default
    assert HoursRecord.objects.get(placement=employee).hours == 50
    response = company.post(CONFIRM.format(lot=lot.pk), {"validated": "keep"}, follow=True)
    record = HoursRecord.objects.get(placement=employee)
    assert (record.hours, record.status) == (50, HoursStatus.VALIDATED)


def test_the_template_is_pre_filled_with_the_company_s_placements_only(
    contact, structure, lot, holder, subcontractor, employee, second_employee
):
    response = _client(contact).get(PAGE.format(lot=lot.pk) + "modele.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    assert "RAVIGNAC;Hermeline;03/2026" in text and "BELLEROSE;Anatole;03/2026" in text
    assert "1987" not in text and "Glycines" not in text  # never a birth date or an address
    xlsx = _client(contact).get(PAGE.format(lot=lot.pk) + "modele.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    # The template with the hours filled in goes back through the upload.
    filled = text.replace("RAVIGNAC;Hermeline;03/2026;;0", "RAVIGNAC;Hermeline;03/2026;12;0").replace(
        "BELLEROSE;Anatole;03/2026;;0", "BELLEROSE;Anatole;03/2026;0;0"
    )
    upload = SimpleUploadedFile("modele.csv", filled.encode("utf-8-sig"))
    page = _client(contact).post(UPLOAD.format(lot=lot.pk), {"file": upload}).content.decode()
    assert "2 nouveaux relevés" in page, page[:3000]


def test_other_companies_and_other_roles_cannot_reach_the_upload(
    contact, owner_client, outsider_client, structure, lot, employee, owner
):
    from companies.services import accept_invitation, invite_contact
    from tests.markets.factories import LotFactory
    from tests.organisations.factories import CompanyFactory

    rival = CompanyFactory(name="Rival Construction")
    rival_lot = LotFactory(market=lot.market, number=2, contractor=rival)
    invitation = invite_contact(company=rival, lots=[rival_lot], email="rh@rival.fr", invited_by=owner)
    rival_contact = accept_invitation(user=invitation.user, password="un-autre-mot-de-passe-2026")
    upload = _file(_line(lot, employee.beneficiary_id, "10"))
    for client in (owner_client, outsider_client, _client(rival_contact)):
        for url in (UPLOAD, PAGE + "modele.csv"):
            assert client.get(url.format(lot=lot.pk)).status_code == 404
        upload.seek(0)
        assert client.post(UPLOAD.format(lot=lot.pk), {"file": upload}).status_code == 404
        assert client.post(CONFIRM.format(lot=lot.pk)).status_code == 404
    assert not HoursRecord.objects.exists()
