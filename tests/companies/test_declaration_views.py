"""The monthly declaration on the web: the company's grid (save, transmit, correct, locked), the facilitator's review
(correction on given rows, validation, timeline), the buyer's status without names, and who reaches what."""

import datetime
import re

import pytest
from django.test import Client

from beneficiaries import services as people
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from companies.choices import DeclarationStatus
from companies.models import Declaration
from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.organisations.factories import InsertionStructureFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/entreprise/lots/{lot}/declaration/2026-03/"
REVIEW = "/entreprise/suivi/lot/{lot}/2026-03/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _grid(placement, hours="", training="", none=False, version=0):
    prefix = f"p{placement.pk}"
    data = {f"{prefix}-hours": hours, f"{prefix}-training_hours": training, f"{prefix}-version": version}
    if none:
        data[f"{prefix}-no_activity"] = "on"
    return data


def test_the_company_declares_transmits_corrects_and_the_facilitator_validates(
    contact, owner_client, lot, holder, employee, second_employee
):
    company = _client(contact)
    page = company.get(PAGE.format(lot=lot.pk)).content.decode()
    assert "Déclaration de mars 2026" in page
    assert "À l&#x27;entreprise de déclarer" in page
    assert "RAVIGNAC Hermeline" in page and "BELLEROSE Anatole" in page

    # A missing row is refused on the row, nothing saved.
    response = company.post(PAGE.format(lot=lot.pk), {**_grid(employee, "120,5"), **_grid(second_employee)})
    assert "Indiquez les heures du mois, ou cochez « aucune activité »." in response.content.decode()
    assert not HoursRecord.objects.exists()

    data = {**_grid(employee, "120,5"), **_grid(second_employee, none=True), "action": "submit"}
    response = company.post(PAGE.format(lot=lot.pk), data, follow=True)
    page = response.content.decode()
    assert "Déclaration transmise : la facilitatrice va la vérifier." in page
    assert "À la facilitatrice de valider" in page
    records = {record.placement_id: record for record in HoursRecord.objects.all()}
    assert records[employee.pk].hours == records[employee.pk].hours.__class__("120.5")
    assert records[second_employee.pk].hours == 0
    assert {record.status for record in records.values()} == {HoursStatus.DECLARED}
    # Transmitted: the company can no longer write.
    response = company.post(PAGE.format(lot=lot.pk), {**data, "action": "save"})
    assert "la facilitatrice la vérifie et vous ne pouvez plus la modifier" in response.content.decode()

    review = owner_client.get(REVIEW.format(lot=lot.pk)).content.decode()
    assert "Maçonnerie Dupuis" in review and "RAVIGNAC Hermeline" in review
    assert "Transmise" in review and "À la facilitatrice de valider" in review
    prefix = f"c{holder.pk}"
    response = owner_client.post(
        REVIEW.format(lot=lot.pk),
        {"company": holder.pk, "action": "correction", f"{prefix}-placements": [employee.pk], f"{prefix}-comment": ""},
    )
    assert "Expliquez ce qui doit être corrigé." in response.content.decode()
    response = owner_client.post(
        REVIEW.format(lot=lot.pk),
        {
            "company": holder.pk,
            "action": "correction",
            f"{prefix}-placements": [employee.pk],
            f"{prefix}-comment": "Le 31 mars manque.",
        },
        follow=True,
    )
    assert "Correction demandée à Maçonnerie Dupuis" in response.content.decode()

    page = company.get(PAGE.format(lot=lot.pk)).content.decode()
    assert "La facilitatrice demande une correction : « Le 31 mars manque. » (lignes : RAVIGNAC Hermeline)" in page
    version = HoursRecord.objects.get(placement=employee).version
    data = {
        **_grid(employee, "127", version=version),
        **_grid(second_employee, none=True, version=HoursRecord.objects.get(placement=second_employee).version),
        "action": "resubmit",
    }
    page = company.post(PAGE.format(lot=lot.pk), data, follow=True).content.decode()
    assert "Déclaration corrigée retransmise" in page
    assert "RAVIGNAC Hermeline : 120,5 h → 127 h" in page

    response = owner_client.post(REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "validate"}, follow=True)
    page = response.content.decode()
    assert "Déclaration de Maçonnerie Dupuis validée" in page
    assert set(HoursRecord.objects.values_list("status", flat=True)) == {HoursStatus.VALIDATED}
    # The timeline: each step with its actor and date.
    for step in (
        "Déclaration transmise</strong> le",
        "Correction demandée</strong> le",
        "Déclaration retransmise</strong> le",
        "Déclaration validée</strong> le",
    ):
        assert step in page
    assert "par chef@dupuis.fr (Maçonnerie Dupuis)" in page  # the contact chose no name: its e-mail stands for it
    # Validated: locked for the company.
    page = company.get(PAGE.format(lot=lot.pk)).content.decode()
    assert "Ce mois est validé : ses heures sont verrouillées." in page
    assert 'name="p' not in page


def test_a_company_sees_and_writes_only_its_own_placements(contact, structure, lot, holder, employee):
    geiq = InsertionStructureFactory(name="GEIQ BTP 21")
    theirs = people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure, last_name="Quintavalle", first_name="Sidonie"),
        lot=lot,
        employer=geiq,
        modality="hire_cdd",
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 6, 30),
    )
    company = _client(contact)
    page = company.get(PAGE.format(lot=lot.pk)).content.decode()
    assert "RAVIGNAC" in page and "QUINTAVALLE" not in page and "Quintavalle" not in page
    # Posting the other company's row is ignored (not a row of the page); the facilitator's review is closed to it.
    company.post(PAGE.format(lot=lot.pk), {**_grid(employee, "10"), **_grid(theirs, "10"), "action": "save"})
    assert list(HoursRecord.objects.values_list("placement_id", flat=True)) == [employee.pk]
    assert company.get(REVIEW.format(lot=lot.pk)).status_code == 404


def test_who_reaches_the_pages(contact, owner_client, reader_client, outsider_client, lot, holder, employee):
    assert outsider_client.get(REVIEW.format(lot=lot.pk)).status_code == 404
    assert reader_client.get(REVIEW.format(lot=lot.pk)).status_code == 200
    assert (
        reader_client.post(REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "validate"}).status_code == 403
    )
    assert owner_client.get(PAGE.format(lot=lot.pk)).status_code == 404  # the company's page
    future = _client(contact).get(f"/entreprise/lots/{lot.pk}/declaration/2099-01/", follow=True)
    assert "Le mois 01/2099 n&#x27;est pas encore commencé" in future.content.decode()
    assert _client(contact).get(f"/entreprise/lots/{lot.pk}/declaration/2026-13/").status_code == 404


def test_the_buyer_sees_the_status_without_names(contact, lot, holder, employee):
    company = _client(contact)
    company.post(PAGE.format(lot=lot.pk), {**_grid(employee, "35"), "action": "submit"})
    buyer_user = UserFactory()
    MembershipFactory(user=buyer_user, organisation=lot.market.buyer, role=Role.ADMIN)
    page = _client(buyer_user).get(f"/lots/{lot.pk}/").content.decode()
    assert "Déclarations des entreprises" in page
    assert "Transmise" in page and "À la facilitatrice de valider" in page and "Maçonnerie Dupuis" in page
    assert "Ravignac" not in page and "RAVIGNAC" not in page and "Hermeline" not in page
    assert "/entreprise/suivi/" not in page  # no link to the review for a buyer
    assert Declaration.objects.get().status == DeclarationStatus.SUBMITTED


def test_the_facilitator_closes_and_reopens_with_a_reason(contact, owner_client, lot, holder, employee):
    company = _client(contact)
    company.post(PAGE.format(lot=lot.pk), {**_grid(employee, "35"), "action": "submit"})
    owner_client.post(REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "validate"})
    page = owner_client.post(REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "close"}, follow=True)
    assert "Déclaration de Maçonnerie Dupuis clôturée." in page.content.decode()
    assert "Aucune action attendue" in page.content.decode()
    # A second « Clôturer » (another tab): refused in French on the declaration, nothing changed.
    page = owner_client.post(REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "close"})
    assert "On ne peut pas clôturer cette déclaration : elle est « Clôturée » (aucune action attendue)." in (
        page.content.decode()
    )
    prefix = f"r{holder.pk}"
    page = owner_client.post(
        REVIEW.format(lot=lot.pk), {"company": holder.pk, "action": "reopen", f"{prefix}-reason": ""}
    )
    assert "Indiquez pourquoi vous rouvrez ce mois." in page.content.decode()
    assert Declaration.objects.get().status == DeclarationStatus.CLOSED
    page = owner_client.post(
        REVIEW.format(lot=lot.pk),
        {"company": holder.pk, "action": "reopen", f"{prefix}-reason": "Heures du 31 oubliées"},
        follow=True,
    ).content.decode()
    assert "Déclaration de Maçonnerie Dupuis rouverte" in page
    assert "« Heures du 31 oubliées »" in page
    # Each step dated JJ/MM/AAAA HH:MM.
    assert len(re.findall(r"</strong> le <time datetime=\"[^\"]+\">\d\d/\d\d/\d{4} \d\d:\d\d</time> par ", page)) == 5
    company_page = company.get(PAGE.format(lot=lot.pk)).content.decode()
    assert "La facilitatrice a rouvert ce mois : « Heures du 31 oubliées »" in company_page
    assert 'name="action" value="resubmit"' in company_page
