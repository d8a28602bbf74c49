"""The demo's company contact (demo/companies.py): its account, its lots and its declarations' story."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Sum

from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord, Placement
from companies.choices import DeclarationAction, DeclarationStatus, ProposalStatus
from companies.models import CompanyAccess, Declaration, DeclarationEvent, PersonProposal, lots_of
from demo.companies import COMPANY_EMAIL, FACILITATOR_EMAIL
from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from markets.models import Lot
from organisations.models import User
from reporting.models import PlacementYear, hours_column

pytestmark = pytest.mark.django_db

LAST = add_months(first_of_month(date.today()), -1)
BEFORE_LAST = add_months(LAST, -1)


@pytest.fixture
def contact(seeded):
    return User.objects.get(email=COMPANY_EMAIL)


@pytest.fixture
def company(contact):
    return contact.memberships.get().organisation


@pytest.fixture
def main_lot(company):
    """The lot of the whole story: the one with a month in correction."""
    return Declaration.objects.get(company=company, status=DeclarationStatus.CORRECTION_REQUESTED).lot


def test_company_account_logs_in_and_is_listed(contact, company, client, settings):
    # The module-scoped seed hashed with the default hasher, before the per-test fast hasher applies.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    assert (COMPANY_EMAIL, DEMO_ACCOUNTS[-1][1]) in DEMO_ACCOUNTS
    assert company.kind == "company"
    landed = client.post("/compte/connexion/", {"username": COMPANY_EMAIL, "password": DEMO_PASSWORD}, follow=True)
    assert landed.wsgi_request.user == contact
    assert landed.redirect_chain[-1][0] == "/entreprise/"


def test_its_lots_are_held_by_its_company_and_followed_by_the_demo_structure(contact, company):
    structure = User.objects.get(email=FACILITATOR_EMAIL).memberships.get().organisation
    accesses = CompanyAccess.objects.of_user(contact)
    assert 1 <= accesses.count() <= 2
    assert all(access.accepted_at for access in accesses)
    lots = Lot.objects.filter(pk__in=accesses.values("lot"))
    assert set(lots_of(contact)) == set(lots)
    assert {lot.contractor_id for lot in lots} == {company.pk}
    assert {lot.market.facilitator_id for lot in lots} == {structure.pk}
    assert Placement.objects.filter(lot__in=lots, employer=company).exists()


def test_it_sees_only_its_lots(contact, client):
    client.force_login(contact)
    own = lots_of(contact).first()
    assert client.get(f"/entreprise/lots/{own.pk}/").status_code == 200
    other = Lot.objects.exclude(pk__in=lots_of(contact)).filter(market__facilitator=own.market.facilitator).first()
    assert client.get(f"/entreprise/lots/{other.pk}/").status_code in (403, 404)
    home = client.get("/entreprise/").content.decode()
    assert own.market.reference in home
    assert other.market.reference not in home or other.market_id == own.market_id


def test_the_story_of_its_declarations(company, main_lot):
    declarations = Declaration.objects.filter(lot=main_lot, company=company)
    assert declarations.get(month=LAST).status == DeclarationStatus.SUBMITTED
    correction = declarations.get(month=BEFORE_LAST)
    assert correction.status == DeclarationStatus.CORRECTION_REQUESTED
    validated = declarations.filter(month__lt=BEFORE_LAST, status=DeclarationStatus.VALIDATED)
    assert validated.count() == 4
    step = correction.events.get(action=DeclarationAction.CORRECTION_REQUESTED)
    assert step.comment.startswith("Il manque une semaine") and len(step.placements) == 1
    rejected = HoursRecord.objects.get(placement_id=step.placements[0], month=BEFORE_LAST)
    assert rejected.status == HoursStatus.REJECTED and rejected.rejection_reason == step.comment
    # The steps are dated in the past, oldest month first.
    events = DeclarationEvent.objects.filter(declaration__in=declarations).order_by("created_at", "pk")
    assert [event.declaration.month for event in events] == sorted(event.declaration.month for event in events)
    assert events.last().created_at.date() <= date.today()
    proposal = PersonProposal.objects.get(company=company)
    assert proposal.status == ProposalStatus.PROPOSED and proposal.lot == main_lot


def test_its_home_shows_the_correction_and_the_transmitted_month(contact, main_lot, client):
    client.force_login(contact)
    page = client.get("/entreprise/").content.decode()
    owed, history = page.split('id="declarations-title"', 1)
    assert "Correction demandée" in owed and "Il manque une semaine" in owed
    rows = {row.split("</tr>", 1)[0] for row in history.split("<tr")}
    transmitted = [row for row in rows if f"/entreprise/lots/{main_lot.pk}/declaration/{LAST:%Y-%m}/" in row]
    assert len(transmitted) == 1 and "Transmise" in transmitted[0]
    corrected = [row for row in rows if f"/entreprise/lots/{main_lot.pk}/declaration/{BEFORE_LAST:%Y-%m}/" in row]
    assert len(corrected) == 1 and "Correction demandée" in corrected[0]


def test_the_facilitator_home_lists_the_declaration_to_review(seeded, company, main_lot, client):
    client.force_login(User.objects.get(email=FACILITATOR_EMAIL))
    page = client.get("/").content.decode()
    review = page.split("Déclarations à vérifier", 1)[1].split('</li>\n  <li class="card"', 1)[0]
    assert company.name.replace("'", "&#x27;") in review
    assert f"/entreprise/suivi/lot/{main_lot.pk}/{LAST:%Y-%m}/" in review


def test_reports_count_validated_hours_only(company, main_lot):
    placements = Placement.objects.filter(lot=main_lot, employer=company)
    declared = HoursRecord.objects.filter(placement__in=placements, month=LAST, status=HoursStatus.DECLARED)
    assert declared.aggregate(total=Sum("hours"))["total"] > 0
    for row in PlacementYear.objects.filter(placement__in=placements):
        records = HoursRecord.objects.filter(placement=row.placement, month__year=row.year)
        assert row.hours == sum(r.hours for r in records if r.status == HoursStatus.VALIDATED)
        if row.year == LAST.year:
            last = records.filter(month=LAST, status=HoursStatus.VALIDATED).aggregate(total=Sum("hours"))["total"]
            assert getattr(row, hours_column(LAST.month)) == (last or 0)


def test_second_run_adds_no_company_data(seeded, settings):
    settings.DEBUG = True
    models = (User, CompanyAccess, Declaration, DeclarationEvent, PersonProposal, HoursRecord)
    before = [model.objects.count() for model in models]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [model.objects.count() for model in models] == before
