import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markets.models import Lot, Market, Operation
from tests.markets.factories import LotFactory, MarketFactory, OperationFactory, TradeFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory

# Operations --------------------------------------------------------------------------------------------


def test_operation_list_and_detail(owner_client, reader_client, outsider_client, structure):
    operation = OperationFactory(facilitator=structure, name="ANRU Grésilles")
    for client in (owner_client, reader_client):
        assert "ANRU Grésilles" in client.get("/operations/").text
        assert client.get(f"/operations/{operation.pk}/").status_code == 200
    assert "ANRU Grésilles" not in outsider_client.get("/operations/").text
    assert outsider_client.get(f"/operations/{operation.pk}/").status_code == 404


def test_operation_list_filter_and_sort(owner_client, structure):
    OperationFactory(facilitator=structure, name="Bêta", kind="anru")
    OperationFactory(facilitator=structure, name="Alpha", kind="gup")
    response = owner_client.get("/operations/?kind=anru")
    assert "Bêta" in response.text and "Alpha" not in response.text
    text = owner_client.get("/operations/?ordering=-name").text
    assert text.index("Bêta") < text.index("Alpha")


def test_operation_create_update(owner_client, reader_client, outsider_client, structure):
    assert owner_client.get("/operations/nouvelle/").status_code == 200
    commune = CommuneFactory()
    response = owner_client.post(
        "/operations/nouvelle/",
        {"name": "GUP Fontaine", "kind": "gup", "facilitator": structure.pk, "commune": commune.code},
    )
    assert response.status_code == 302
    operation = Operation.objects.get(name="GUP Fontaine")
    assert operation.facilitator == structure and operation.commune == commune
    url = f"/operations/{operation.pk}/modifier/"
    assert reader_client.get("/operations/nouvelle/").status_code == 403
    assert reader_client.post(url, {"name": "x", "kind": "gup", "facilitator": structure.pk}).status_code == 403
    assert outsider_client.get(url).status_code == 404
    response = owner_client.post(url, {"name": "GUP Fontaine d'Ouche", "kind": "gup", "facilitator": structure.pk})
    assert response.status_code == 302
    operation.refresh_from_db()
    assert operation.name == "GUP Fontaine d'Ouche"


def test_operation_cannot_be_filed_for_another_structure(owner_client, other_structure):
    response = owner_client.post(
        "/operations/nouvelle/", {"name": "Intrus", "kind": "other", "facilitator": other_structure.pk}
    )
    assert response.status_code == 200
    assert not Operation.objects.filter(name="Intrus").exists()


# Markets -----------------------------------------------------------------------------------------------


def test_market_list_and_detail(owner_client, reader_client, outsider_client, market):
    for client in (owner_client, reader_client):
        assert market.reference in client.get("/marches/").text
        response = client.get(f"/marches/{market.pk}/")
        assert response.status_code == 200
        assert "833\xa0h" in response.text
    assert "Ajouter un lot" in owner_client.get(f"/marches/{market.pk}/").text
    assert "Ajouter un lot" not in reader_client.get(f"/marches/{market.pk}/").text
    assert market.reference not in outsider_client.get("/marches/").text
    assert outsider_client.get(f"/marches/{market.pk}/").status_code == 404


def test_buyer_and_coordination_members_see_market_aggregates(client, market):
    from tests.organisations.factories import CoordinationFactory, MembershipFactory

    buyer_member = MembershipFactory(organisation=market.buyer, role="reader").user
    client.force_login(buyer_member)
    assert client.get(f"/marches/{market.pk}/").status_code == 200
    assert client.get(f"/marches/{market.pk}/modifier/").status_code == 403
    coordination = CoordinationFactory(region=market.execution_commune.department.region)
    coordinator = MembershipFactory(organisation=coordination, role="member").user
    client.force_login(coordinator)
    assert client.get(f"/marches/{market.pk}/").status_code == 200
    assert client.get(f"/organisations/{market.facilitator_id}/").status_code == 200


def _market_payload(structure, buyer, **overrides):
    payload = {
        "reference": "2026-TX-01",
        "title": "Construction d'un gymnase",
        "buyer": buyer.pk,
        "facilitator": structure.pk,
        "market_type": "works",
        "execution_commune": CommuneFactory().code,
        "notified_on": "15/12/2025",
        "start_date": "2026-01-01",
        "end_date": "2027-06-30",
        "amount_excl_vat": "2 500 000,50",
    }
    payload.update(overrides)
    return payload


def test_market_create(owner_client, structure):
    buyer = BuyerFactory()
    assert owner_client.get("/marches/nouveau/").status_code == 200
    response = owner_client.post("/marches/nouveau/", _market_payload(structure, buyer))
    assert response.status_code == 302
    market = Market.objects.get(reference="2026-TX-01")
    assert response.url == f"/marches/{market.pk}/lots/nouveau/"
    assert market.amount_excl_vat == Decimal("2500000.50")
    assert market.notified_on == datetime.date(2025, 12, 15)


def test_market_create_refuses_end_before_start_and_unknown_commune(owner_client, structure):
    buyer = BuyerFactory()
    response = owner_client.post(
        "/marches/nouveau/",
        _market_payload(structure, buyer, end_date="2025-01-01", execution_commune="99999"),
    )
    assert response.status_code == 200
    assert "La fin d&#x27;exécution ne peut pas précéder son début." in response.text
    assert "Code INSEE inconnu" in response.text
    assert not Market.objects.exists()


def test_market_update_owner_reader_outsider(owner_client, reader_client, outsider_client, market, structure):
    url = f"/marches/{market.pk}/modifier/"
    assert owner_client.get(url).status_code == 200
    payload = _market_payload(structure, market.buyer, reference=market.reference, title="Nouvel objet")
    assert reader_client.get(url).status_code == 403
    assert reader_client.post(url, payload).status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert owner_client.post(url, payload).status_code == 302
    market.refresh_from_db()
    assert market.title == "Nouvel objet"
    assert reader_client.get("/marches/nouveau/").status_code == 403


def test_market_list_filters(owner_client, structure):
    buyer_a, buyer_b = BuyerFactory(name="Ville A"), BuyerFactory(name="Ville B")
    MarketFactory(facilitator=structure, buyer=buyer_a, reference="AAA-1", title="Gymnase", market_type="works")
    MarketFactory(
        facilitator=structure,
        buyer=buyer_b,
        reference="BBB-2",
        title="Nettoyage des écoles",
        market_type="services",
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )

    def refs(query):
        text = owner_client.get(f"/marches/?{query}").text
        return {ref for ref in ("AAA-1", "BBB-2") if ref in text}

    assert refs("") == {"AAA-1", "BBB-2"}
    assert refs(f"buyer={buyer_a.pk}") == {"AAA-1"}
    assert refs("market_type=services") == {"BBB-2"}
    assert refs("year=2027") == {"BBB-2"}
    assert refs("year=2025") == {"AAA-1"}
    assert refs("q=nettoyage") == {"BBB-2"}
    assert refs("q=aaa") == {"AAA-1"}
    assert refs(f"facilitator={structure.pk}") == {"AAA-1", "BBB-2"}
    assert refs("department=21") == {"AAA-1", "BBB-2"}
    assert refs("commune=dijon") == {"AAA-1", "BBB-2"}
    assert refs("commune=75056") == set()


def test_market_list_sorting_is_whitelisted(owner_client, structure):
    MarketFactory(facilitator=structure, reference="A-1", amount_excl_vat=Decimal("10"))
    MarketFactory(facilitator=structure, reference="Z-9", amount_excl_vat=Decimal("20"))
    text = owner_client.get("/marches/?ordering=-amount").text
    assert text.index("Z-9") < text.index("A-1")
    text = owner_client.get("/marches/?ordering=reference").text
    assert text.index("A-1") < text.index("Z-9")
    assert owner_client.get("/marches/?ordering=facilitator__memberships__user__password").status_code == 200


def test_market_list_paginates_by_25(owner_client, structure):
    for n in range(30):
        MarketFactory(facilitator=structure, reference=f"P-{n:02d}")
    page1 = owner_client.get("/marches/?ordering=reference").text
    page2 = owner_client.get("/marches/?ordering=reference&page=2").text
    assert "P-24" in page1 and "P-25" not in page1
    assert "P-25" in page2 and "P-29" in page2
    assert "30 marchés" in page1


def test_market_list_htmx_fragment(owner_client, market):
    response = owner_client.get("/marches/?q=zzz", headers={"HX-Request": "true"})
    assert 'id="market-results"' in response.text
    assert "<html" not in response.text
    assert "Aucun marché" in response.text


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_market_list_query_count_does_not_grow(owner_client, structure):
    def add_markets(count):
        for _ in range(count):
            lot = LotFactory(market=MarketFactory(facilitator=structure, buyer=BuyerFactory()))
            from tests.clauses.factories import ClauseFactory

            ClauseFactory(lot=lot)

    add_markets(3)
    with_3 = _count_queries(owner_client, "/marches/")
    add_markets(27)
    with_30 = _count_queries(owner_client, "/marches/")
    assert with_3 == with_30


# Lots --------------------------------------------------------------------------------------------------


def _lot_payload(**overrides):
    trade = TradeFactory(name="Peinture", default_labour_share=Decimal("0.70"))
    payload = {
        "lot-number": "2",
        "lot-title": "Peinture",
        "lot-trade": trade.pk,
        "lot-contractor": CompanyFactory().pk,
        "lot-amount_excl_vat": "1 000 000",
        "lot-start_date": "2025-01-01",
        "lot-end_date": "2026-12-31",
        "has_clause": "on",
        "clause-mechanism": "execution_condition",
        "clause-calibration_method": "general",
        "clause-labour_share": "50",
        "clause-insertion_rate": "5",
        "clause-hourly_cost": "30",
    }
    payload.update(overrides)
    return payload


def test_lot_create_with_its_clause(owner_client, market):
    url = f"/marches/{market.pk}/lots/nouveau/"
    response = owner_client.get(url)
    assert response.status_code == 200
    assert 'hx-get="/clauses/calibrage/"' in response.text
    response = owner_client.post(url, _lot_payload())
    assert response.status_code == 302, response.text
    lot = Lot.objects.get(market=market, number=2)
    assert lot.clause.labour_share == Decimal("0.5")
    assert lot.clause.calibrated_hours == 833
    assert lot.clause.target_hours == 833


def test_lot_create_without_clause(owner_client, market):
    payload = _lot_payload()
    del payload["has_clause"]
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", payload)
    assert response.status_code == 302
    assert not hasattr(Lot.objects.get(market=market, number=2), "clause")


def test_lot_override_without_reason_is_refused(owner_client, market):
    response = owner_client.post(
        f"/marches/{market.pk}/lots/nouveau/", _lot_payload(**{"clause-override_hours": "1000"})
    )
    assert response.status_code == 200
    assert "Indiquez le motif de l&#x27;objectif saisi à la main." in response.text
    assert not Lot.objects.filter(market=market, number=2).exists()
    response = owner_client.post(
        f"/marches/{market.pk}/lots/nouveau/",
        _lot_payload(**{"clause-override_hours": "1000", "clause-override_reason": "Avenant n° 2"}),
    )
    assert response.status_code == 302
    clause = Lot.objects.get(market=market, number=2).clause
    assert (clause.calibrated_hours, clause.target_hours, clause.override_reason) == (833, 1000, "Avenant n° 2")


def test_lot_cleaning_with_p_not_positive_is_refused_and_rolled_back(owner_client, market):
    payload = _lot_payload(
        **{
            "clause-calibration_method": "cleaning",
            "clause-hourly_cost": "25",
            "clause-cleaning_taken_over_monthly_hours": "2000",
            "clause-cleaning_duration_months": "24",
        }
    )
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", payload)
    assert response.status_code == 200
    assert "Aucune clause possible" in response.text
    assert not Lot.objects.filter(market=market, number=2).exists()


def test_lot_update_owner_reader_outsider(owner_client, reader_client, outsider_client, market):
    lot = market.lots.get()
    url = f"/lots/{lot.pk}/modifier/"
    response = owner_client.get(url)
    assert response.status_code == 200
    assert "833\xa0h" in response.text
    payload = _lot_payload(**{"lot-number": str(lot.number), "clause-insertion_rate": "10"})
    assert reader_client.get(url).status_code == 403
    assert reader_client.post(url, payload).status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.get(f"/marches/{market.pk}/lots/nouveau/").status_code == 404
    assert reader_client.get(f"/marches/{market.pk}/lots/nouveau/").status_code == 403
    response = owner_client.post(url, payload)
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.clause.calibrated_hours == 1667


@pytest.mark.parametrize("amount", ["1000000", "1 000 000", "1\xa0000\xa0000,00"])
def test_lot_amount_accepts_french_typing(owner_client, market, amount):
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", _lot_payload(**{"lot-amount_excl_vat": amount}))
    assert response.status_code == 302
    assert Lot.objects.get(market=market, number=2).amount_excl_vat == Decimal("1000000")


def test_lot_page_places_a_cleaning_clause_refusal_on_its_field(owner_client, market):
    # P ≤ 0: the taken-over staff (S = 4,000 h a month × 25 €) absorbs a 1,000,000 € market over 12 months.
    payload = _lot_payload(
        **{
            "clause-calibration_method": "cleaning",
            "clause-cleaning_taken_over_monthly_hours": "4000",
            "clause-cleaning_duration_months": "12",
            "clause-hourly_cost": "25",
        }
    )
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", payload)
    assert response.status_code == 200
    clause_form = response.context["clause_form"]
    assert list(clause_form.errors) == ["cleaning_taken_over_monthly_hours"]  # on the field, not at the top
    assert not Lot.objects.filter(market=market, number=2).exists()  # the lot went back with its clause


def test_lot_page_refuses_an_end_before_the_start_once(owner_client, market):
    payload = _lot_payload(**{"lot-start_date": "2026-01-01", "lot-end_date": "2025-01-01"})
    response = owner_client.post(f"/marches/{market.pk}/lots/nouveau/", payload)
    assert response.status_code == 200
    assert response.context["lot_form"].errors["end_date"] == [
        "La fin d'exécution du lot ne peut pas précéder son début."
    ]
