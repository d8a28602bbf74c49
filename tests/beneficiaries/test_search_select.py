"""Searchable selects (issue 14, point 5): the options of the placement form's person, lot and employer selects
searched on the server (placements:choices), among the very choices the form accepts from the user; the commune
of the market form searched by name or INSEE code instead of typed as a raw code."""

import datetime

import pytest

from beneficiaries.choices import Modality
from beneficiaries.models import Placement
from markets.models import Market
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db

URL = "/contrats/choix/{}/"


def options(text: str) -> list[str]:
    """The labels of the <option> elements of a fragment, in order."""
    return [part.split(">", 1)[1].split("</option", 1)[0] for part in text.split("<option")[1:]]


@pytest.fixture
def lot(market):
    return market.lots.get()


def test_people_search_tells_same_name_people_apart_and_ranks_names_starting_first(owner_client, structure):
    first = BeneficiaryFactory(
        structure=structure, last_name="Martin", first_name="Léa", birth_date=datetime.date(1990, 3, 1)
    )
    second = BeneficiaryFactory(
        structure=structure, last_name="Martin", first_name="Léa", birth_date=datetime.date(2001, 7, 9)
    )
    BeneficiaryFactory(structure=structure, last_name="Saint-Martin", first_name="Paul")
    BeneficiaryFactory(structure=structure, last_name="Durand", first_name="Zoé")
    found = options(owner_client.get(URL.format("beneficiary"), {"beneficiary_search": "martin"}).text)
    assert found == [
        "3 résultats : choisissez dans la liste",
        f"MARTIN Léa – né·e en 1990 – n° {first.pk}",
        f"MARTIN Léa – né·e en 2001 – n° {second.pk}",
        f"SAINT-MARTIN Paul – né·e en 1990 – n° {second.pk + 1}",
    ]
    # Several words narrow the search; the participant number finds one person, selected at once.
    assert len(options(owner_client.get(URL.format("beneficiary"), {"beneficiary_search": "léa mart"}).text)) == 3
    text = owner_client.get(URL.format("beneficiary"), {"beneficiary_search": f"n° {second.pk}"}).text
    assert f'value="{second.pk}" selected' in text
    assert 'id="beneficiary-search-status"' in text and "1 résultat : choisissez dans la liste" in text


def test_people_search_never_lists_another_structure_s_people(owner_client, outsider_client, structure):
    BeneficiaryFactory(structure=structure, last_name="Bernard")
    text = outsider_client.get(URL.format("beneficiary"), {"beneficiary_search": "bern"}).text
    assert "BERNARD" not in text and "Aucun résultat pour cette recherche" in text
    assert "BERNARD" in owner_client.get(URL.format("beneficiary"), {"beneficiary_search": "bern"}).text


def test_lot_search_shows_reference_number_and_title_and_only_visible_lots(owner_client, outsider_client, lot):
    lot.market.reference = "2026-VOI-07"
    lot.market.save()
    LotFactory(market=MarketFactory(reference="2026-VOI-99"), title="Voirie d'un autre")  # another structure's
    found = options(owner_client.get(URL.format("lot"), {"lot_search": "voi"}).text)
    assert found == ["1 résultat : choisissez dans la liste", f"2026-VOI-07 – lot {lot.number} : {lot.title}"]
    assert "2026-VOI" not in outsider_client.get(URL.format("lot"), {"lot_search": "voi"}).text


def test_employer_search_by_name_or_siret_shows_the_siret(owner_client):
    first = CompanyFactory(name="Bâtir Ensemble")
    second = CompanyFactory(name="Bâtir Ensemble")
    found = options(owner_client.get(URL.format("employer"), {"employer_search": "bâtir"}).text)
    assert found[1:] == [
        f"Bâtir Ensemble – SIRET {first.siret} (Entreprise)",
        f"Bâtir Ensemble – SIRET {second.siret} (Entreprise)",
    ]
    text = owner_client.get(URL.format("employer"), {"employer_search": second.siret[:14]}).text
    assert f'value="{second.pk}" selected' in text and first.siret not in text


def test_search_refused_to_roles_without_the_form(reader_client, outsider_client, client):
    assert reader_client.get(URL.format("lot"), {"lot_search": "x"}).status_code == 403
    assert outsider_client.get(URL.format("inconnu")).status_code == 404
    assert client.get(URL.format("lot")).status_code == 302  # to the login page


def test_placement_form_offers_searches_and_distinguishable_options(owner_client, structure, lot):
    person = BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Léa")
    text = owner_client.get("/contrats/nouveau/", {"beneficiary": person.pk}).text
    for name in ("beneficiary", "lot", "employer"):
        assert f'name="{name}_search"' in text and f'hx-get="/contrats/choix/{name}/"' in text
        assert f'id="{name}-search-status"' in text
    assert f"MARTIN Léa – né·e en 1990 – n° {person.pk}" in text
    assert f"SIRET {lot.contractor.siret}" in text


def test_placement_form_saves_through_the_service_with_the_searches_posted(owner_client, structure, lot):
    person = BeneficiaryFactory(structure=structure)
    data = {
        "beneficiary_search": person.last_name,
        "beneficiary": person.pk,
        "lot_search": lot.market.reference,
        "lot": lot.pk,
        "employer_search": lot.contractor.name,
        "employer": lot.contractor.pk,
        "modality": Modality.HIRE_CDD,
        "start_date": "01/02/2025",
        "end_date": "31/07/2025",
    }
    response = owner_client.post("/contrats/nouveau/", data)
    placement = Placement.objects.get()
    assert response.status_code == 302 and placement.beneficiary == person and placement.employer == lot.contractor


def _market_payload(structure, buyer, **fields):
    return {
        "reference": "2026-TX-01",
        "title": "Construction d'un gymnase",
        "buyer": buyer.pk,
        "facilitator": structure.pk,
        "market_type": "works",
        "notified_on": "15/12/2025",
        "start_date": "2026-01-01",
        "end_date": "2027-06-30",
        "amount_excl_vat": "2 500 000,50",
        **fields,
    }


def test_market_form_searches_the_commune_instead_of_asking_for_a_raw_code(owner_client, structure):
    CommuneFactory(code="25056", name="Besançon")
    text = owner_client.get("/marches/nouveau/").text
    assert 'name="execution_commune_search"' in text and "Besançon" not in text  # no 35 000 options
    assert '<select name="execution_commune"' in text and "(code INSEE)" not in text
    found = owner_client.get(
        "/participants/communes/", {"field": "execution_commune", "execution_commune_search": "besan"}
    )
    assert 'value="25056" selected' in found.text and 'id="execution_commune-search-status"' in found.text
    assert 'id="id_qpv"' not in found.text  # the QPV select belongs to the participant form only


def test_market_form_saves_with_the_chosen_commune_or_a_single_match_without_javascript(owner_client, structure):
    besancon = CommuneFactory(code="25056", name="Besançon")
    CommuneFactory(code="25057", name="Besançon-les-Bains")
    buyer = BuyerFactory()
    response = owner_client.post("/marches/nouveau/", _market_payload(structure, buyer, execution_commune="25056"))
    assert response.status_code == 302 and Market.objects.get().execution_commune == besancon
    # Without JavaScript: the search is sent alone; several matches are offered, one match is taken.
    payload = _market_payload(structure, buyer, reference="2026-TX-02", execution_commune_search="besan")
    response = owner_client.post("/marches/nouveau/", payload)
    assert "Choisissez la commune parmi les résultats de la recherche." in response.text
    assert "Besançon-les-Bains" in response.text and Market.objects.count() == 1
    payload["execution_commune_search"] = "25056"
    response = owner_client.post("/marches/nouveau/", payload)
    assert response.status_code == 302 and Market.objects.get(reference="2026-TX-02").execution_commune == besancon


def test_lot_form_searches_its_contractor_among_the_employers(owner_client, market):
    company = CompanyFactory(name="Bâtir Bourgogne")
    page = owner_client.get(f"/marches/{market.pk}/lots/nouveau/").text
    assert 'name="lot-contractor_search"' in page and 'hx-target="#id_lot-contractor"' in page
    assert 'id="contractor-search-status"' in page
    assert f"Bâtir Bourgogne – SIRET {company.siret} (Entreprise)" in page
    found = owner_client.get(URL.format("employer"), {"field": "contractor", "lot-contractor_search": "bourgogne"})
    assert f'value="{company.pk}" selected' in found.text and 'id="contractor-search-status"' in found.text


def test_the_person_select_lists_the_chosen_person_only_and_the_search_works_without_javascript(
    owner_client, structure, lot
):
    chosen = BeneficiaryFactory(structure=structure, last_name="Choisie")
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Léa")
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Hugo")
    page = owner_client.get("/contrats/nouveau/", {"beneficiary": chosen.pk}).text
    assert f'<option value="{chosen.pk}" selected>' in page and "MARTIN" not in page
    assert "MARTIN" not in owner_client.get("/contrats/nouveau/").text
    data = {
        "beneficiary_search": "martin",
        "lot": lot.pk,
        "employer": lot.contractor.pk,
        "modality": Modality.HIRE_CDD,
        "start_date": "01/02/2025",
        "end_date": "31/07/2025",
    }
    response = owner_client.post("/contrats/nouveau/", data)
    assert "Choisissez la personne parmi les résultats de la recherche." in response.text
    assert "MARTIN Hugo" in response.text and "MARTIN Léa" in response.text and not Placement.objects.exists()
    response = owner_client.post("/contrats/nouveau/", {**data, "beneficiary_search": "martin hugo"})
    assert response.status_code == 302 and Placement.objects.get().beneficiary.first_name == "Hugo"


def test_operation_form_searches_its_commune_without_the_qpv_select(owner_client):
    CommuneFactory(code="25056", name="Besançon")
    page = owner_client.get("/operations/nouvelle/").text
    assert 'hx-get="/participants/communes/?field=commune&amp;qpv=0"' in page
    found = owner_client.get("/participants/communes/", {"field": "commune", "qpv": "0", "commune_search": "besan"})
    assert 'value="25056" selected' in found.text and 'id="id_qpv"' not in found.text
    # The residence search of the participant form keeps its QPV select; an odd field name falls back to it.
    found = owner_client.get("/participants/communes/", {"field": '"><b>', "commune_search": "besan"})
    assert 'id="id_qpv"' in found.text and 'id="commune-search-status"' in found.text and "<b>" not in found.text
