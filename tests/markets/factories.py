import datetime
from decimal import Decimal

import factory

from markets.models import DecpMarket, Lot, Market, MarketType, Operation, Trade


class TradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trade
        django_get_or_create = ("name",)

    name = "Maçonnerie, gros œuvre"
    default_labour_share = Decimal("0.50")


class OperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operation

    name = factory.Sequence(lambda n: f"Opération {n}")
    facilitator = factory.SubFactory("tests.organisations.factories.FacilitationStructureFactory")


class MarketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Market

    buyer = factory.SubFactory("tests.organisations.factories.BuyerFactory")
    facilitator = factory.SubFactory("tests.organisations.factories.FacilitationStructureFactory")
    reference = factory.Sequence(lambda n: f"2025-{n:04d}")
    title = factory.Sequence(lambda n: f"Réhabilitation du groupe scolaire {n}")
    market_type = MarketType.WORKS
    execution_commune = factory.SubFactory("tests.territories.factories.CommuneFactory")
    notified_on = datetime.date(2024, 12, 15)
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    amount_excl_vat = Decimal("1000000")


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    market = factory.SubFactory(MarketFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Gros œuvre"
    trade = factory.SubFactory(TradeFactory)
    contractor = factory.SubFactory("tests.organisations.factories.CompanyFactory")
    amount_excl_vat = Decimal("1000000")
    start_date = factory.SelfAttribute("market.start_date")
    end_date = factory.SelfAttribute("market.end_date")


class DecpMarketFactory(factory.django.DjangoModelFactory):
    """A published market (DECP), as markets.decp imports it."""

    class Meta:
        model = DecpMarket

    decp_id = factory.Sequence(lambda n: f"DECP-{n:04d}")
    buyer = factory.SubFactory("tests.organisations.factories.BuyerFactory")
    title = "Réhabilitation de 40 logements"
    nature = "Marché"
    market_type = MarketType.WORKS
    cpv_code = "45000000-7"
    amount_excl_vat = Decimal("450000")
    notified_on = datetime.date(2025, 3, 1)
    duration_months = 24
    place_code = "21231"
    place_kind = "Code commune"
    social_clause = True
