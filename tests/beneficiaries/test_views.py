"""Views of the facilitator workspace: beneficiaries, criteria, placements, outcomes, lot page, home.

Every view: the owner (a member of the structure), a colleague with the reader role (reads, 403 on POST),
an outsider from another structure (404 on every object URL).
"""

import datetime
from decimal import Decimal

import pytest

from beneficiaries.choices import Criterion, EvidenceType, HoursStatus, Modality, OutcomeStage
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Outcome, Placement
from tests.beneficiaries.factories import (
    BeneficiaryCriterionFactory,
    BeneficiaryFactory,
    HoursRecordFactory,
    PlacementFactory,
)
from tests.territories.factories import CommuneFactory, QpvFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(market):
    return market.lots.get()


@pytest.fixture
def person(structure):
    return BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Inès")


@pytest.fixture
def placement(person, lot):
    return PlacementFactory(
        beneficiary=person,
        lot=lot,
        employer=lot.contractor,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )


# Beneficiaries ---------------------------------------------------------------------------------------------


def test_beneficiary_pages_for_owner_reader_and_outsider(owner_client, reader_client, outsider_client, person):
    for url in ("/participants/", f"/participants/{person.pk}/", f"/participants/{person.pk}/modifier/"):
        assert owner_client.get(url).status_code == 200
    assert "LEFÈVRE Inès" in owner_client.get("/participants/?q=lef").text
    assert reader_client.get(f"/participants/{person.pk}/").status_code == 200
    assert reader_client.get(f"/participants/{person.pk}/modifier/").status_code == 403
    assert reader_client.post(f"/participants/{person.pk}/modifier/", {}).status_code == 403
    assert reader_client.post("/participants/nouveau/", {}).status_code == 403
    assert "LEFÈVRE" not in outsider_client.get("/participants/").text
    for url in (f"/participants/{person.pk}/", f"/participants/{person.pk}/modifier/"):
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(f"/participants/{person.pk}/criteres/", {}).status_code == 404


def test_list_filters_on_qpv_and_active_placement(owner_client, structure, placement):
    qpv = QpvFactory(communes=[placement.beneficiary.commune])
    BeneficiaryFactory(structure=structure, last_name="Quartier", commune=qpv.communes.get(), qpv=qpv)
    text = owner_client.get("/participants/?qpv_resident=true").text
    assert "QUARTIER" in text and "LEFÈVRE" not in text
    text = owner_client.get("/participants/?qpv_resident=false").text
    assert "LEFÈVRE" in text and "QUARTIER" not in text


def test_create_beneficiary_with_commune_and_its_qpv(owner_client, structure):
    commune = CommuneFactory()
    qpv = QpvFactory(communes=[commune])
    elsewhere = QpvFactory(code="QN0999990M", communes=[CommuneFactory(code="25056", name="Besançon")])
    data = {
        "last_name": "Moreau",
        "first_name": "Léa",
        "sex": "F",
        "birth_date": "03/04/1999",
        "commune": commune.pk,
        "qpv": elsewhere.pk,
        "prescriber_type": "mission_locale",
    }
    response = owner_client.post("/participants/nouveau/", data)
    assert response.status_code == 200
    assert "pas situé dans la commune choisie" in response.text
    assert 'aria-describedby="id_qpv_helptext id_qpv_error"' in response.text
    assert not Beneficiary.objects.exists()
    response = owner_client.post("/participants/nouveau/", {**data, "qpv": qpv.pk})
    person = Beneficiary.objects.get()
    assert response.url == f"/participants/{person.pk}/"
    assert (person.structure, person.birth_date, person.qpv) == (structure, datetime.date(1999, 4, 3), qpv)


def test_commune_search_and_qpv_options(owner_client):
    dijon = CommuneFactory()
    CommuneFactory(code="25056", name="Besançon")
    qpv = QpvFactory(communes=[dijon], name="Grésilles")
    text = owner_client.get("/participants/communes/?commune_search=dij").text
    assert 'value="21231" selected' in text and "Besançon" not in text
    assert "Grésilles" in text  # the QPV select follows the single match
    assert "Grésilles" in owner_client.get("/participants/qpv/?commune=21231").text
    assert qpv.name not in owner_client.get("/participants/qpv/?commune=25056").text


def test_commune_select_never_lists_every_commune(owner_client, person):
    CommuneFactory(code="25056", name="Besançon")
    text = owner_client.get(f"/participants/{person.pk}/modifier/").text
    assert "Dijon" in text and "Besançon" not in text


def test_add_criterion_records_the_validator_and_requires_a_derogation_reason(owner, owner_client, person):
    url = f"/participants/{person.pk}/criteres/"
    data = {"criterion": Criterion.DEROGATION, "validated_on": "02/01/2025", "evidence_type": "prescriber_opinion"}
    response = owner_client.post(url, data)
    assert response.status_code == 422
    assert 'id="id_derogation_reason_error"' in response.text
    assert "Une dérogation doit être motivée." in response.text
    owner_client.post(url, {**data, "derogation_reason": "Avis motivé de la Mission locale"})
    criterion = BeneficiaryCriterion.objects.get()
    assert (criterion.validated_by, criterion.validated_on) == (owner, datetime.date(2025, 1, 2))


def test_reader_cannot_add_or_remove_criteria(reader_client, person):
    criterion = BeneficiaryCriterionFactory(beneficiary=person)
    data = {"criterion": Criterion.RSA, "validated_on": "02/01/2025", "evidence_type": "caf_certificate"}
    assert reader_client.post(f"/participants/{person.pk}/criteres/", data).status_code == 403
    assert reader_client.post(f"/participants/{person.pk}/criteres/{criterion.pk}/retirer/").status_code == 403
    assert BeneficiaryCriterion.objects.count() == 1


def test_owner_removes_a_criterion_outsider_gets_404(owner_client, outsider_client, person):
    criterion = BeneficiaryCriterionFactory(beneficiary=person)
    url = f"/participants/{person.pk}/criteres/{criterion.pk}/retirer/"
    assert outsider_client.post(url).status_code == 404
    assert owner_client.post(url).status_code == 302
    assert not BeneficiaryCriterion.objects.exists()


def test_sensitive_criteria_hidden_from_a_reader(owner_client, reader_client, person):
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RQTH, evidence_type=EvidenceType.MDPH_DECISION)
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RSA)
    label = Criterion.RQTH.label.replace("'", "&#x27;")
    assert label in owner_client.get(f"/participants/{person.pk}/").text
    text = reader_client.get(f"/participants/{person.pk}/").text
    assert label not in text and "Notification MDPH" not in text
    assert "Allocataire du RSA" in text


# Placements ----------------------------------------------------------------------------------------------


def test_placement_create_goes_through_the_service(owner_client, reader_client, person, lot):
    BeneficiaryCriterionFactory(beneficiary=person, criterion=Criterion.RSA, validated_on=datetime.date(2024, 12, 1))
    data = {
        "beneficiary": person.pk,
        "lot": lot.pk,
        "employer": lot.contractor_id,
        "modality": Modality.AI_PROVISION,
        "start_date": "01/02/2025",
        "end_date": "31/07/2025",
    }
    assert reader_client.post("/contrats/nouveau/", data).status_code == 403
    response = owner_client.post("/contrats/nouveau/", data)
    assert "suppose un employeur de type Association intermédiaire (AI)" in response.text
    assert not Placement.objects.exists()
    response = owner_client.post("/contrats/nouveau/", {**data, "modality": Modality.HIRE_CDD})
    placement = Placement.objects.get()
    assert response.url == f"/contrats/{placement.pk}/"
    assert placement.is_rsa and placement.start_date == datetime.date(2025, 2, 1)


def test_placement_pages_and_outcomes(owner_client, reader_client, outsider_client, placement):
    for url in ("/contrats/", f"/contrats/{placement.pk}/", f"/contrats/{placement.pk}/modifier/"):
        assert owner_client.get(url).status_code == 200
    assert reader_client.get(f"/contrats/{placement.pk}/").status_code == 200
    outcome = {"stage": OutcomeStage.AT_END, "at_end-result": "durable_cdi", "at_end-observed_on": "05/01/2026"}
    assert reader_client.post(f"/contrats/{placement.pk}/sortie/", outcome).status_code == 403
    for url in (f"/contrats/{placement.pk}/", f"/contrats/{placement.pk}/modifier/"):
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(f"/contrats/{placement.pk}/sortie/", outcome).status_code == 404
    assert owner_client.post(f"/contrats/{placement.pk}/sortie/", outcome).status_code == 302
    assert Outcome.objects.get().result == "durable_cdi"
    early = {**outcome, "at_end-observed_on": "01/01/2024"}
    assert "avant le début du contrat" in owner_client.post(f"/contrats/{placement.pk}/sortie/", early).text


def test_placement_update_through_the_service(owner_client, reader_client, placement):
    data = {
        "beneficiary": placement.beneficiary_id,
        "lot": placement.lot_id,
        "employer": placement.employer_id,
        "modality": placement.modality,
        "start_date": "01/01/2025",
        "end_date": "30/06/2025",
    }
    assert reader_client.post(f"/contrats/{placement.pk}/modifier/", data).status_code == 403
    HoursRecordFactory(placement=placement, month=datetime.date(2025, 9, 1))
    assert "hors de la nouvelle période" in owner_client.post(f"/contrats/{placement.pk}/modifier/", data).text
    assert (
        owner_client.post(f"/contrats/{placement.pk}/modifier/", {**data, "end_date": "30/09/2025"}).status_code == 302
    )
    placement.refresh_from_db()
    assert placement.end_date == datetime.date(2025, 9, 30)


def test_placement_filters(owner_client, placement, lot):
    assert "LEFÈVRE" in owner_client.get(f"/contrats/?lot={lot.pk}&active_on=15/03/2025").text
    assert "LEFÈVRE" not in owner_client.get("/contrats/?active_on=15/03/2026").text
    assert "LEFÈVRE" not in owner_client.get("/contrats/?modality=temp_agency").text


# Lot page and home -------------------------------------------------------------------------------------------


def test_lot_page_shows_progress_and_hides_other_lots(owner_client, reader_client, outsider_client, placement, lot):
    for month in range(1, 6):
        HoursRecordFactory(placement=placement, month=datetime.date(2025, month, 1), hours=Decimal("200"))
    HoursRecordFactory(
        placement=placement, month=datetime.date(2025, 6, 1), hours=Decimal("80"), status=HoursStatus.DECLARED
    )
    text = owner_client.get(f"/lots/{lot.pk}/").text
    assert "833\xa0h" in text  # target
    assert "1\xa0000\xa0h" in text  # validated only
    assert "120,0\xa0%" in text  # above 100 % shown as such
    assert "Objectif atteint" in text
    assert 'id="lot-chart-data"' in text and "chart.umd.min.js" in text
    assert "LEFÈVRE Inès" in text
    assert reader_client.get(f"/lots/{lot.pk}/").status_code == 200
    assert outsider_client.get(f"/lots/{lot.pk}/").status_code == 404


def test_home_lists_missing_hours_ending_placements_and_late_lots(owner_client, placement, lot):
    from django.utils import timezone

    today = timezone.localdate()
    placement.start_date = today - datetime.timedelta(days=120)
    placement.end_date = today + datetime.timedelta(days=10)
    placement.save()
    lot.start_date, lot.end_date = today - datetime.timedelta(days=365), today + datetime.timedelta(days=30)
    lot.save()
    text = owner_client.get("/").text
    assert "Heures manquantes" in text
    assert text.count("LEFÈVRE Inès") == 2  # missing hours and ending soon
    assert f"/lots/{lot.pk}/" in text  # no validated hours near the end: behind
    assert "PLIE de la Côte" in text


def test_buyers_and_coordinators_land_on_their_dashboard_not_on_people(client, market, placement):
    from organisations.models import Role
    from tests.organisations.factories import CoordinationFactory, MembershipFactory

    buyer_member = MembershipFactory(organisation=market.buyer, role=Role.MEMBER).user
    coordinator = MembershipFactory(organisation=CoordinationFactory(), role=Role.MEMBER).user
    for user in (buyer_member, coordinator):
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 302
        assert response.url == "/tableau-de-bord/"


def test_reader_of_a_structure_keeps_the_facilitator_home(reader_client, placement):
    response = reader_client.get("/")
    assert response.status_code == 200
    assert "Contrats se terminant" in response.text
