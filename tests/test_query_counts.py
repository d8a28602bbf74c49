"""Query-count guards: every list, dashboard and API page runs as many SQL queries with 100 objects as with 10.

One world is built once for the module (inside a transaction rolled back at the end), grown to 10 "units", every
page is fetched, then grown to 100 units and every page is fetched again. A unit adds one of everything a page
lists: territories, organisations, an operation, a market with a lot and its clause, a lot on the world's
market, a person with a criterion, two placements (one of them for the world's person, on the world's lot),
hours and an outcome. Each page's count must not move, and its response must grow (so it did list them).

To guard a new page, add one line to PAGES (or API_LISTS) below.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from beneficiaries import services
from beneficiaries.choices import Criterion, EvidenceType, HoursStatus, Modality
from tests.api.conftest import build_world
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, OutcomeFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory, OperationFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory, DepartmentFactory, EpciFactory, QpvFactory, RegionFactory

SMALL, LARGE = 10, 100
GRID_MONTH = "2025-03"


@dataclass(frozen=True)
class Page:
    """A page to guard: who fetches it (a name in the world) and how to build its URL from the world."""

    name: str
    user: str
    url: object  # callable(world) -> str

    def __str__(self):
        return self.name


def page(name, user, url):
    return Page(name, user, url if callable(url) else (lambda world, url=url: url))


PAGES = [
    # HTML lists, detail pages that list children, dashboards and reports.
    page("accueil", "owner", lambda w: reverse("home")),
    page("operations", "owner", lambda w: reverse("markets:operation_list")),
    page("marches", "owner", lambda w: reverse("markets:market_list")),
    page("organisations", "owner", lambda w: reverse("organisations:list")),
    page("participants", "owner", lambda w: reverse("beneficiaries:list")),
    page("contrats", "owner", lambda w: reverse("placements:list")),
    page("grille-heures", "owner", lambda w: f"{reverse('hours:grid')}?month={GRID_MONTH}"),
    page("grille-heures-lot", "owner", lambda w: f"{reverse('hours:grid')}?month={GRID_MONTH}&lot={w.lot.pk}"),
    page("lot", "owner", lambda w: reverse("lot_detail", args=[w.lot.pk])),
    page("marche", "owner", lambda w: reverse("markets:market_detail", args=[w.market.pk])),
    page("organisation", "owner", lambda w: reverse("organisations:detail", args=[w.structure.pk])),
    page("participant", "owner", lambda w: reverse("beneficiaries:detail", args=[w.person.pk])),
    page("tableau-de-bord-acheteur", "buyer_user", lambda w: f"{reverse('reporting:dashboard')}?year=2025"),
    page("tableau-de-bord-structure", "owner", lambda w: f"{reverse('reporting:dashboard')}?year=2025"),
    page("bilan-marche", "owner", lambda w: reverse("reporting:market_bilan", args=[w.market.pk])),
    page("bilan-annuel", "coordinator", lambda w: f"{reverse('reporting:yearly_report')}?year=2025"),
    page("bilan-annuel-structure", "owner", lambda w: f"{reverse('reporting:yearly_report')}?year=2025"),
    page("bilan-annuel-en-cours", "coordinator", lambda w: reverse("reporting:yearly_report")),  # partial year
    page("tableau-de-bord-coordination", "coordinator", lambda w: reverse("reporting:dashboard")),
    page("api-bilan-annuel", "owner", lambda w: f"{reverse('api:yearly-report')}?year=2025"),
]
API_LISTS = [
    "region",
    "department",
    "epci",
    "commune",
    "qpv",
    "organisation",
    "operation",
    "market",
    "lot",
    "clause",
    "beneficiary",
    "placement",
    "hoursrecord",
    "outcome",
]
PAGES += [page(f"api-{basename}", "owner", lambda w, b=basename: reverse(f"api:{b}-list")) for basename in API_LISTS]


def add_units(world, start: int, stop: int) -> None:
    """Units number `start` to `stop - 1` (see the module docstring)."""
    for n in range(start, stop):
        region = RegionFactory(code=f"R{n:02d}", name=f"Région {n}")
        department = DepartmentFactory(code=f"D{n:02d}", name=f"Département {n}", region=region)
        commune = CommuneFactory(
            code=f"9{n:04d}",
            name=f"Commune {n}",
            department=department,
            epci=EpciFactory(code=f"2{n:08d}", name=f"Communauté {n}"),
        )
        QpvFactory(communes=[commune])
        buyer = BuyerFactory()
        company = CompanyFactory()
        operation = OperationFactory(facilitator=world.structure)
        market = MarketFactory(
            buyer=world.buyer if n % 2 else buyer,
            facilitator=world.structure,
            operation=operation,
            execution_commune=commune,
        )
        lot = ClauseFactory(lot=LotFactory(market=market, number=1, contractor=company)).lot
        ClauseFactory(lot=LotFactory(market=world.market, number=n + 2, contractor=company))
        person = BeneficiaryFactory(structure=world.structure, commune=commune)
        services.add_criterion(
            beneficiary=person,
            criterion=Criterion.LONG_TERM_JOB_SEEKER,
            validated_on=datetime.date(2024, 6, 1),
            validated_by=None,
            evidence_type=EvidenceType.FRANCE_TRAVAIL_CERTIFICATE,
        )
        for who, on_lot in ((person, lot), (world.person, world.lot)) if n < 40 else ((person, lot),):
            placement = services.start_placement(
                beneficiary=who,
                lot=on_lot,
                employer=on_lot.contractor,
                modality=Modality.HIRE_CDD,
                start_date=datetime.date(2025, 1, 1),
                end_date=datetime.date(2026, 12, 10),
            )
            HoursRecordFactory(placement=placement, month=datetime.date(2025, 2, 1), hours=Decimal("70"))
            HoursRecordFactory(
                placement=placement, month=datetime.date(2025, 3, 1), hours=Decimal("35"), status=HoursStatus.DECLARED
            )
            OutcomeFactory(placement=placement, observed_on=datetime.date(2026, 1, 5))


@dataclass
class Fetched:
    queries: list[str]
    size: int


def fetch_all(clients, world) -> dict[str, Fetched]:
    fetched = {}
    for item in PAGES:
        url = item.url(world)
        client = clients[item.user]
        client.get(url, secure=True)  # warm-up: per-process caches (content types...) fill on the first request
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, secure=True)
        assert response.status_code == 200, f"{item}: {url} → {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        fetched[item.name] = Fetched(queries=[q["sql"] for q in captured], size=len(body))
    return fetched


def _analyze() -> None:
    """Statistics for the rows this still-open transaction inserted: without them PostgreSQL may plan the summary
    refresh of every factory-created record as nested loops, and the fixture ran for more than 5 minutes in CI."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """{page name: (with SMALL units, with LARGE units)}; the data is rolled back at the end."""
    # Module-scoped, so the function-scoped settings of tests/conftest.py are not applied yet: plain storage here.
    plain_storage = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with django_db_blocker.unblock(), override_settings(STORAGES=plain_storage), transaction.atomic():
        world = build_world()
        _analyze()
        clients = {}
        for role in {item.user for item in PAGES}:
            clients[role] = Client()
            clients[role].force_login(getattr(world, role))
        add_units(world, 0, SMALL)
        _analyze()
        small = fetch_all(clients, world)
        add_units(world, SMALL, LARGE)
        large = fetch_all(clients, world)
        transaction.set_rollback(True)
    return {name: (small[name], large[name]) for name in small}


def most_repeated(queries: list[str]) -> str:
    from collections import Counter

    sql, times = Counter(queries).most_common(1)[0]
    return f"{times}× {sql[:300]}"


@pytest.mark.django_db
@pytest.mark.parametrize("item", PAGES, ids=str)
def test_query_count_does_not_grow_with_the_data(measured, item):
    small, large = measured[item.name]
    assert len(large.queries) == len(small.queries), (
        f"{item}: {len(small.queries)} requêtes avec {SMALL} objets, {len(large.queries)} avec {LARGE}. "
        f"La plus répétée : {most_repeated(large.queries)}"
    )
    # The page did list the added objects: otherwise the guard could not fail.
    assert large.size > small.size, f"{item}: la page n'a pas grandi avec les données"
