"""Indicator queries against a small dataset whose expected figures are computed by hand below."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries.choices import HoursStatus, Modality, Sex
from clauses.calculations import TargetStatus
from markets.models import Lot, Market, MarketType
from organisations.models import BuyerType
from reporting import queries
from reporting.models import PlacementYear
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import BuyerFactory
from tests.territories.factories import CommuneFactory, DepartmentFactory, EpciFactory, QpvFactory

D = Decimal


@pytest.fixture
def dataset(db):
    """Two buyers, two markets in two départements, two people, records of every status around 2025.

    Lot 1 (Dijon, works, buyer = city): training hours do NOT count.
    Lot 2 (Besançon, services, buyer = social landlord): training hours count.
    Alice (woman, 24 at start, QPV resident) works on both lots; Bernard (man, 55 at start) on lot 1.
    """
    dijon = CommuneFactory()
    besancon = CommuneFactory(
        code="25056",
        name="Besançon",
        department=DepartmentFactory(code="25", name="Doubs"),
        epci=EpciFactory(code="242500361", name="Grand Besançon Métropole"),
    )
    qpv = QpvFactory(code="QN02501M", name="Planoise", communes=[besancon])
    city = BuyerFactory(name="Ville de Dijon", buyer_type=BuyerType.MUNICIPALITY)
    landlord = BuyerFactory(name="Habitat 25", buyer_type=BuyerType.SOCIAL_LANDLORD)
    market1 = MarketFactory(
        buyer=city, market_type=MarketType.WORKS, execution_commune=dijon, notified_on=datetime.date(2024, 12, 15)
    )
    market2 = MarketFactory(
        buyer=landlord,
        market_type=MarketType.SERVICES,
        execution_commune=besancon,
        notified_on=datetime.date(2025, 2, 1),
        amount_excl_vat=D("200000"),
    )
    lot1 = ClauseFactory(lot=LotFactory(market=market1, number=1), counts_training_hours=False).lot
    lot2 = ClauseFactory(
        lot=LotFactory(market=market2, number=1, amount_excl_vat=D("200000")), counts_training_hours=True
    ).lot
    alice = BeneficiaryFactory(sex=Sex.FEMALE, birth_date=datetime.date(2000, 5, 1), qpv=qpv)
    bernard = BeneficiaryFactory(sex=Sex.MALE, birth_date=datetime.date(1970, 1, 1))
    alice_publics = {
        "is_woman": True,
        "is_youth": True,
        "is_qpv_resident": True,
        "qpv_at_start": qpv,
        "age_at_start": 24,
    }
    alice1 = PlacementFactory(beneficiary=alice, lot=lot1, **alice_publics)
    alice2 = PlacementFactory(beneficiary=alice, lot=lot2, modality=Modality.ETTI_MISSION, **alice_publics)
    bernard1 = PlacementFactory(beneficiary=bernard, lot=lot1, is_senior=True, is_rqth=True, age_at_start=55)

    def record(placement, month, hours, training="0", status=HoursStatus.VALIDATED):
        extra = {"rejection_reason": "Heures non justifiées"} if status == HoursStatus.REJECTED else {}
        return HoursRecordFactory(
            placement=placement, month=month, hours=D(hours), training_hours=D(training), status=status, **extra
        )

    record(alice1, datetime.date(2025, 3, 1), "100", training="10")  # training not counted on lot 1 → 100
    record(alice2, datetime.date(2025, 4, 1), "50", training="20")  # training counted on lot 2 → 70
    record(bernard1, datetime.date(2025, 12, 1), "80")  # → 80
    record(bernard1, datetime.date(2026, 1, 1), "60")  # next year
    record(bernard1, datetime.date(2025, 11, 1), "40", status=HoursStatus.DECLARED)  # not validated
    record(bernard1, datetime.date(2025, 10, 1), "30", status=HoursStatus.REJECTED)  # not validated
    record(alice1, datetime.date(2024, 12, 1), "25")  # previous year
    return {"lot1": lot1, "lot2": lot2, "alice": alice, "market1": market1, "market2": market2}


def all_records():
    return PlacementYear.objects.all()


def test_summary_counts_only_validated_hours_of_the_year(dataset):
    result = queries.summary(all_records(), year=2025)
    assert result.hours == D("250")  # 100 + 70 + 80
    assert result.fte == D("0.2")  # 250 / 1600 = 0.156 → 0.2
    assert result.participants == 2  # Alice on two placements counted once
    assert result.contracts == 3
    assert result.companies == 2
    assert result.markets == 2
    assert result.buyers == 2


def test_months_across_the_year_boundary(dataset):
    assert queries.summary(all_records(), year=2024).hours == D("25")
    assert queries.summary(all_records(), year=2026).hours == D("60")
    assert queries.summary(all_records(), year=2026).participants == 1


def test_by_public_uses_frozen_publics(dataset):
    # A later birthday or move does not rewrite the report: publics are read from the placement.
    alice = dataset["alice"]
    alice.birth_date = datetime.date(1960, 1, 1)
    alice.qpv = None
    alice.save()
    rows = {row.code: row for row in queries.by_public(all_records(), year=2025)}
    assert (rows["women"].hours, rows["women"].participants) == (D("170"), 1)
    assert (rows["youth"].hours, rows["youth"].participants) == (D("170"), 1)
    assert (rows["qpv"].hours, rows["qpv"].participants) == (D("170"), 1)
    assert (rows["seniors"].hours, rows["seniors"].participants) == (D("80"), 1)
    assert (rows["rqth"].hours, rows["rqth"].participants) == (D("80"), 1)
    assert (rows["rsa"].hours, rows["rsa"].participants) == (D("0"), 0)
    assert rows["women"].hours_share == D("0.68")  # 170 / 250
    assert rows["women"].participants_share == D("0.5")


def test_by_dimension(dataset):
    departments = queries.by_dimension(all_records(), year=2025, dimension="department")
    assert [(row.key, row.label, row.hours, row.participants, row.contracts) for row in departments] == [
        ("21", "Côte-d'Or", D("180"), 2, 2),
        ("25", "Doubs", D("70"), 1, 1),
    ]
    market_types = queries.by_dimension(all_records(), year=2025, dimension="market_type")
    assert [(row.label, row.hours) for row in market_types] == [("Travaux", D("180")), ("Services", D("70"))]
    buyer_types = queries.by_dimension(all_records(), year=2025, dimension="buyer_type")
    assert [(row.label, row.hours) for row in buyer_types] == [
        ("Commune ou intercommunalité", D("180")),
        ("Bailleur social", D("70")),
    ]
    modalities = {row.key: row.hours for row in queries.by_dimension(all_records(), year=2025, dimension="modality")}
    assert modalities == {Modality.HIRE_CDD: D("180"), Modality.ETTI_MISSION: D("70")}
    qpvs = queries.by_dimension(all_records(), year=2025, dimension="qpv")
    assert [(row.label, row.hours, row.participants) for row in qpvs] == [
        ("Planoise", D("170"), 1),
        ("Non renseigné", D("80"), 1),  # Bernard does not live in a QPV
    ]
    epcis = {row.label: row.hours for row in queries.by_dimension(all_records(), year=2025, dimension="epci")}
    assert epcis == {"Dijon Métropole": D("180"), "Grand Besançon Métropole": D("70")}


def test_notified_markets_and_their_targets(dataset):
    notified = queries.notified_markets(Market.objects.all(), year=2025)
    # Lot 2: 200 000 € × 50 % × 5 % ÷ 30 €/h = 166,67 → 167 h
    assert (notified.markets, notified.lots, notified.target_hours) == (1, 1, 167)
    assert queries.notified_markets(Market.objects.all(), year=2024).target_hours == 833


def test_lot_progress_counts_all_years(dataset):
    progress = {item.lot.pk: item for item in queries.lots_progress(Lot.objects.all(), today=datetime.date(2026, 2, 1))}
    lot1 = progress[dataset["lot1"].pk]
    assert lot1.achieved_hours == D("265")  # 25 + 100 + 80 + 60, training not counted
    assert lot1.target_hours == 833
    assert lot1.rate == D("265") / D("833")  # exact: rounded once, for display
    assert lot1.status == TargetStatus.BEHIND  # 13 months of 24 elapsed, 32 % done
    lot2 = progress[dataset["lot2"].pk]
    assert lot2.achieved_hours == D("70")
    # Behind lots come first.
    assert queries.lots_progress(Lot.objects.all(), today=datetime.date(2026, 2, 1))[0].status == TargetStatus.BEHIND


def test_filters_narrow_the_report(dataset):
    report = queries.yearly_report(
        records=all_records(),
        markets=Market.objects.all(),
        year=2025,
        filters=queries.ReportFilters(department="25"),
    )
    assert report.summary.hours == D("70")
    assert report.notified.target_hours == 167
    by_type = queries.yearly_report(
        records=all_records(),
        markets=Market.objects.all(),
        year=2025,
        filters=queries.ReportFilters(buyer_type=BuyerType.MUNICIPALITY),
    )
    assert by_type.summary.hours == D("180")


def test_yearly_report_has_previous_year_beside(dataset):
    report = queries.yearly_report(records=all_records(), markets=Market.objects.all(), year=2025)
    assert report.summary.hours == D("250")
    assert report.previous_summary.hours == D("25")
    assert [point.month.month for point in report.monthly] == [3, 4, 12]
    assert set(report.breakdowns) == {"department", "epci", "qpv", "market_type", "buyer_type", "modality", "mechanism"}


def test_yearly_report_query_count_does_not_grow_with_data(dataset):
    def count_queries():
        with CaptureQueriesContext(connection) as context:
            queries.yearly_report(records=all_records(), markets=Market.objects.all(), year=2025)
        return len(context.captured_queries)

    before = count_queries()
    for index in range(10):
        placement = PlacementFactory(lot=dataset["lot2"], beneficiary=BeneficiaryFactory())
        HoursRecordFactory(placement=placement, month=datetime.date(2025, 1 + index, 1))
    assert count_queries() == before


def test_yearly_report_breakdowns_and_months_of_the_previous_year(dataset):
    report = queries.yearly_report(records=all_records(), markets=Market.objects.all(), year=2025)
    previous = report.previous_breakdowns["department"]
    assert [(row.key, row.hours, row.participants) for row in previous] == [("21", D("25"), 1)]
    assert [(point.month, point.hours) for point in report.previous_monthly] == [(datetime.date(2024, 12, 1), D("25"))]


def test_the_seven_breakdowns_cost_one_query_beside_the_names(dataset):
    """yearly_report reads every dimension in one query (a UNION ALL), plus one query for the names of each named
    dimension with rows (département, EPCI, QPV); each dimension gives the rows it gives alone."""
    codes = [dimension.code for dimension in queries.DIMENSIONS]
    for through_month, years in ((12, [2025, 2024]), (4, [2025, 2024]), (12, None)):
        with CaptureQueriesContext(connection) as context:
            together = queries.dimensions_by_year(
                all_records(), years=years, dimensions=codes, through_month=through_month
            )
        named = [query["sql"] for query in context.captured_queries if "reporting_placementyear" not in query["sql"]]
        assert len(context.captured_queries) - len(named) == 1
        assert len(named) <= 3
        for code in codes:
            alone = queries.dimension_by_year(all_records(), years=years, dimension=code, through_month=through_month)
            assert together[code] == alone
    together = queries.dimensions_by_year(all_records(), years=[2025], dimensions=codes)
    assert [(row.key, row.hours, row.participants, row.contracts) for row in together["market_type"][2025]] == [
        (row.key, row.hours, row.participants, row.contracts)
        for row in queries.by_dimension(all_records(), year=2025, dimension="market_type")
    ]
    assert sum(row.hours for row in together["department"][2025]) == D("250")
