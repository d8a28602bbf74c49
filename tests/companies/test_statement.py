"""The yearly statement of a company's insertion hours on one lot (issue 15, point 4): a PDF of its own validated hours
month by month, its totals, its employees by name (no criterion, no birth date), the lot, market, buyer and
facilitation structure; refused (404) for another company's lot, a buyer or a facilitator."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from audit.models import AccessAction, AccessLog
from beneficiaries import services as people
from beneficiaries.choices import Modality
from companies.services import accept_invitation, invite_contact
from config.formatting import french_hours
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.markets.factories import LotFactory
from tests.organisations.factories import InsertionStructureFactory, MembershipFactory, UserFactory
from tests.reporting.outputs import pdf_text

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide-2026"
YEAR = 2025


def _spaces(text: str) -> str:
    """pdftotext writes the (narrow) no-break spaces of French figures as they are, or as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _placement(lot, employer, last_name, first_name):
    person = BeneficiaryFactory(
        structure=lot.market.facilitator,
        last_name=last_name,
        first_name=first_name,
        birth_date=datetime.date(1987, 11, 23),
        address="7 impasse des Glycines",
    )
    return people.start_placement(
        beneficiary=person,
        lot=lot,
        employer=employer,
        modality=Modality.HIRE_CDD,
        start_date=datetime.date(YEAR, 1, 6),
        end_date=datetime.date(YEAR + 1, 6, 30),
    )


def _hours(placement, month, hours, user, *, validate=True):
    record = people.declare_hours(
        entry=people.HoursEntry(placement=placement, month=month, hours=Decimal(hours), expected_version=0),
        user=user,
    ).record
    if validate:
        people.validate_hours(records=[record], user=user, versions=people.UNCHECKED)


@pytest.fixture
def statement_world(lot, holder, owner, contact):
    """On the lot (2025-01-01 to 2026-12-31): two employees of the holder and one of its subcontractor, validated and
    declared hours in 2025 and 2026."""
    alix = _placement(lot, holder, "Ravignac", "Hermeline")
    basile = _placement(lot, holder, "Bellerose", "Anatole")
    geiq = InsertionStructureFactory(name="GEIQ BTP 21")
    other = _placement(lot, geiq, "Grandjean", "Oscarine")
    _hours(alix, datetime.date(YEAR, 3, 1), "120.5", owner)
    _hours(alix, datetime.date(YEAR, 4, 1), "99.25", owner)
    _hours(basile, datetime.date(YEAR, 4, 1), "35", owner)
    _hours(basile, datetime.date(YEAR, 11, 1), "12.4", owner)
    _hours(alix, datetime.date(YEAR, 5, 1), "80", owner, validate=False)  # declared only: never counted
    _hours(other, datetime.date(YEAR, 4, 1), "60", owner)  # the subcontractor's: not the holder's statement
    _hours(alix, datetime.date(YEAR + 1, 1, 1), "50", owner)  # another year
    return {"alix": alix, "basile": basile, "other": other, "geiq": geiq}


def test_the_statement_lists_the_validated_hours_of_its_own_employees_month_by_month(lot, contact, statement_world):
    response = _client(contact).get(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attestation-heures-insertion-2025-2026-CHANTIER-07-lot-1.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = _spaces(pdf_text(response.content))
    lines = [" ".join(line.split()) for line in text.splitlines()]

    assert "Attestation des heures d'insertion 2025" in text
    assert "Entreprise : Maçonnerie Dupuis" in lines and "Lot : 2026-CHANTIER-07 – lot 1 : Gros œuvre" in lines
    assert f"Marché : {lot.market.title}" in lines and f"Acheteur : {lot.market.buyer.name}" in lines
    assert "Structure de facilitation : PLIE de la Côte" in lines
    assert "Période : du 01/01/2025 au 31/12/2025" in lines
    # Month by month, every month of the year (0 where nothing is validated), and the total: only validated hours,
    # only its own placements (not the subcontractor's 60 h, not May's 80 h declared, not 2026's 50 h).
    assert "mars 2025 120,5" in lines
    assert "avril 2025 134,3" in lines  # 99.25 + 35, rounded once to 0.1 h
    assert "mai 2025 0" in lines
    assert "novembre 2025 12,4" in lines
    total = _spaces(french_hours(Decimal("267.15")))
    assert f"Total {total}" in lines
    assert f"Heures d'insertion validées {total}" in lines
    assert "Personnes en insertion 2" in lines
    assert "Contrats 2" in lines
    # Its own employees by name with their hours; nothing else of them.
    assert "RAVIGNAC Hermeline 219,8" in lines
    assert "BELLEROSE Anatole 47,4" in lines
    for never in ("Grandjean", "GRANDJEAN", "23/11/1987", "1987", "Glycines", "GEIQ BTP 21"):
        assert never not in text
    assert "Généré le" in text


def test_the_subcontractors_statement_holds_its_own_hours_only(lot, owner, statement_world):
    invitation = invite_contact(company=statement_world["geiq"], lots=[lot], email="rh@geiq21.fr", invited_by=owner)
    geiq_contact = accept_invitation(user=invitation.user, password=PASSWORD)
    text = _spaces(pdf_text(_client(geiq_contact).get(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf").content))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "GEIQ BTP 21" in text and "GRANDJEAN Oscarine 60" in lines
    assert "Total 60" in lines and "Personnes en insertion 1" in lines
    assert "Ravignac" not in text.title() and "Bellerose" not in text.title()


def test_the_statement_writes_the_access_journal(lot, contact, statement_world):
    AccessLog.objects.all().delete()
    _client(contact).get(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf")
    entries = AccessLog.objects.filter(user=contact, action=AccessAction.VIEWED)
    assert {entry.beneficiary_id for entry in entries} == {
        statement_world["alix"].beneficiary_id,
        statement_world["basile"].beneficiary_id,
    }
    assert {entry.detail for entry in entries} == {f"Entreprise : attestation 2025 du lot n° {lot.pk}"}


def test_another_companys_lot_a_year_outside_the_lot_a_buyer_and_a_facilitator_get_a_404(
    lot, holder, contact, owner_client, statement_world
):
    client = _client(contact)
    rival_lot = LotFactory(market=lot.market, number=2, contractor=statement_world["geiq"])
    AccessLog.objects.all().delete()
    assert client.get(f"/entreprise/lots/{rival_lot.pk}/attestation/{YEAR}.pdf").status_code == 404
    assert client.get(f"/entreprise/lots/{lot.pk}/attestation/2024.pdf").status_code == 404  # before the lot
    assert client.get(f"/entreprise/lots/{lot.pk}/attestation/2031.pdf").status_code == 404
    assert client.post(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf").status_code == 405
    buyer = UserFactory(email="achat@ville.fr")
    MembershipFactory(user=buyer, organisation=lot.market.buyer, role="member")
    assert _client(buyer).get(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf").status_code == 404
    assert owner_client.get(f"/entreprise/lots/{lot.pk}/attestation/{YEAR}.pdf").status_code == 404
    assert not AccessLog.objects.exists()
