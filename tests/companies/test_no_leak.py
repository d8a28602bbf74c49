"""What a company contact can reach (issue 15, "done when"): every page and API answer it gets, searched for what it
must never read (a criterion, a birth date, an address, a prescriber, the person's sex or QPV, another company's lot
or employees, a lot of its own company not opened to it)."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from beneficiaries import services as people
from beneficiaries.choices import Criterion, Modality
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.models import Declaration
from companies.services import invite_contact
from tests.audit.world import build_world
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.markets.factories import LotFactory
from tests.organisations.factories import CompanyFactory
from tests.reporting.outputs import pdf_text
from tests.test_access_matrix import variants, walk

pytestmark = pytest.mark.django_db

# Public documentation (the same for an anonymous visitor): it describes the fields, criteria included. The public
# pages of published reports too (issue 18): aggregates for anyone (« Femmes » is a public), with their own walk for
# names and small counts (tests/reporting/test_public.py).
PUBLIC_DOCS = {
    "api:schema",
    "api:docs",
    "api:redoc",
    "public:index",
    "public:region",
    "public:region_year",
    "public:data_csv",
    "public:version_csv",
    "public:data_schema",
    "api:public-regions",
    "api:public-report",
}


def _text(response) -> str:
    if response["Content-Type"] == "application/pdf":
        return pdf_text(response.content)
    return response.content.decode()


def _reachable(world, user, extra_urls=()) -> dict[str, str]:
    """GET every URL pattern of the project as the contact (web by session, API by token); the bodies answered 200,
    after following redirects."""
    web = Client()
    web.force_login(user)
    token = {"HTTP_AUTHORIZATION": f"Token {world.tokens['company_a'][1]}"}
    bodies = {}
    for route in walk():
        if route.is_admin or route.name in PUBLIC_DOCS:
            continue
        for _, url in variants(route, world, "company_a"):
            response = Client().get(url, **token) if route.is_api else web.get(url, follow=True)
            if response.status_code == 200:
                bodies[url] = _text(response)
    for url in extra_urls:
        response = web.get(url, follow=True)
        if response.status_code == 200:
            bodies[url] = _text(response)
    return bodies


def test_a_company_reads_its_employees_names_and_nothing_else():
    world = build_world()
    a, b = world.a, world.b
    # A rival company on the same market: a lot of its own, and a person it employs on lot A as subcontractor.
    rival = CompanyFactory(name="Rival Construction")
    rival_lot = LotFactory(market=a.market, number=2, title="Charpente du concurrent", contractor=rival)
    rival_person = BeneficiaryFactory(structure=a.structure, last_name="Xérophile", first_name="Wolfgangine")
    people.start_placement(
        beneficiary=rival_person,
        lot=a.lot,
        employer=rival,
        modality=Modality.TEMP_AGENCY,
        start_date=datetime.date(2025, 2, 1),
        end_date=datetime.date(2025, 11, 30),
    )
    invite_contact(company=rival, lots=[rival_lot, a.lot], email="rh@rival.fr", invited_by=world.users["fac_a"])
    # The month the walk reads (April 2025) has a timeline: saved, transmitted, a correction asked on its row.
    contact, april = world.users["company_a"], datetime.date(2025, 4, 1)
    record = HoursRecord.objects.get(placement=a.placement, month=april)
    entry = people.HoursEntry(placement=a.placement, month=april, hours=Decimal("61"), expected_version=record.version)
    declarations.save_rows(lot=a.lot, company=world.company, month=april, entries=[entry], user=contact)
    declarations.submit(lot=a.lot, company=world.company, month=april, user=contact)
    declarations.request_correction(
        declaration=Declaration.objects.get(lot=a.lot, month=april),
        placements=[a.placement],
        comment="Vérifiez le 30 avril.",
        user=world.users["fac_a"],
    )

    extra = [f"/entreprise/lots/{rival_lot.pk}/", f"/entreprise/lots/{rival_lot.pk}/attestation/2025.pdf"]
    bodies = _reachable(world, world.users["company_a"], extra_urls=extra)

    # What it must read: its lot and the person it employs there, by name.
    home = bodies["/entreprise/"]
    assert "Quenouillard" in home and "Philomène" in home and a.market.reference in home
    assert f"/entreprise/lots/{a.lot.pk}/" in bodies
    # Its yearly statement (PDF, read as text): its employee's name, and nothing more of them (searched below).
    statement = bodies[f"/entreprise/lots/{a.lot.pk}/attestation/2025.pdf"]
    assert "Attestation des heures d'insertion 2025" in statement and "QUENOUILLARD" in statement
    assert len(bodies) >= 10, sorted(bodies)
    # The company API answers (api/companies.py) are searched too: its lots, contracts and the month's timeline.
    api = f"/api/v1/company/lots/{a.lot.pk}/"
    assert "Quenouillard" in bodies[f"{api}placements/"]
    month = bodies[f"{api}declarations/2025-04/"]
    assert "Vérifiez le 30 avril." in month and "Quenouillard" in month and '"changes"' in month
    assert a.market.reference in bodies["/api/v1/company/lots/"]
    # Its new-person proposal, by name, on its lot page and the proposal page (never its birth date, below).
    assert "VASQUEREL Ombeline" in bodies[f"/entreprise/lots/{a.lot.pk}/"]
    assert "VASQUEREL Ombeline" in bodies[f"/entreprise/lots/{a.lot.pk}/proposer/"]
    # Its spreadsheet template: its employee, never a birth date (checked below with every other page).
    assert "QUENOUILLARD" in bodies[f"/entreprise/lots/{a.lot.pk}/declaration/2025-04/modele.csv"]

    never = [
        "03/04/1999",
        "1999-04-03",
        "avril 1999",
        "14/07/1991",  # the birth date the company gave for its proposal: never shown back
        "1991-07-14",
        "12 rue des Secrets",
        "Agence Confidentielle",
        "Observation privée",
        world.qpv.name,
        "Femme",
        *Criterion.labels,
        # Another company, its lot and its employee; the other tenant's lot and person.
        "Rival Construction",
        "Charpente du concurrent",
        "Xérophile",
        "Zabulonski",
        b.market.reference,
        "contact-b@btp-commun.fr",
    ]
    found = [(url, word) for url, body in bodies.items() for word in never if word in body]
    assert not found, found
