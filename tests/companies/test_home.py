"""The company's home (issue 15, point 4): its own hours (validated, awaiting validation, projected), the lot's progress
for the holder only (the figures of reporting.queries.lots_progress), what it owes this month, its declarations with
who acts next, and the access journal of the company pages that name people."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AccessAction, AccessLog
from beneficiaries import services as people
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import Modality
from clauses import calculations as clause_calculations
from companies import declarations
from companies.services import accept_invitation, invite_contact
from markets.models import Lot
from reporting import queries
from reporting.templatetags.reporting_format import fr_hours
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import TEST_PASSWORD, CompanyFactory, InsertionStructureFactory

pytestmark = pytest.mark.django_db


def _months_ago(count: int) -> datetime.date:
    return add_months(first_of_month(timezone.localdate()), -count)


class World:
    """A lot running from 14 months ago to 10 months ahead, target 2 000 h, held by Dupuis; Dupuis employs two people
    on it, the GEIQ (its subcontractor) one. Hours: validated, declared only, and one month sent back for a
    correction."""

    def __init__(self, structure, owner):
        today = timezone.localdate()
        self.holder = CompanyFactory(name="Maçonnerie Dupuis")
        self.geiq = InsertionStructureFactory(name="GEIQ BTP 21")
        market = MarketFactory(
            facilitator=structure,
            reference="2026-CHANTIER-07",
            start_date=_months_ago(14),
            end_date=add_months(first_of_month(today), 11) - datetime.timedelta(days=1),
        )
        self.lot = LotFactory(market=market, number=1, title="Gros œuvre", contractor=self.holder)
        ClauseFactory(lot=self.lot, override_hours=2000, override_reason="Objectif du CCAP")
        self.lot.refresh_from_db()
        start, end = _months_ago(12), add_months(first_of_month(today), 6)
        self.alix = self._placement("Ravignac", "Hermeline", self.holder, start, end)
        self.basile = self._placement("Bellerose", "Anatole", self.holder, start, _months_ago(2))
        self.geiq_person = self._placement("Grandjean", "Oscarine", self.geiq, start, end)
        self.owner = owner
        self.holder_contact = self._contact(self.holder, "chef@dupuis.fr")
        self.geiq_contact = self._contact(self.geiq, "rh@geiq21.fr")

    def _placement(self, last_name, first_name, employer, start, end):
        person = BeneficiaryFactory(
            structure=self.lot.market.facilitator,
            last_name=last_name,
            first_name=first_name,
            birth_date=datetime.date(1988, 2, 14),
        )
        return people.start_placement(
            beneficiary=person,
            lot=self.lot,
            employer=employer,
            modality=Modality.HIRE_CDD,
            start_date=start,
            end_date=end,
        )

    def _contact(self, company, email):
        invitation = invite_contact(company=company, lots=[self.lot], email=email, invited_by=self.owner)
        return accept_invitation(user=invitation.user, password=TEST_PASSWORD)

    def hours(self, placement, month, hours, *, validate):
        record = people.declare_hours(
            entry=people.HoursEntry(placement=placement, month=month, hours=Decimal(hours), expected_version=0),
            user=self.owner,
        ).record
        if validate:
            people.validate_hours(records=[record], user=self.owner, versions=people.UNCHECKED)
        return record


def build_world(structure, owner) -> World:
    world = World(structure, owner)
    world.hours(world.alix, _months_ago(5), "120.5", validate=True)
    world.hours(world.alix, _months_ago(4), "99.25", validate=True)
    world.hours(world.basile, _months_ago(4), "35", validate=True)
    world.hours(world.alix, _months_ago(3), "80", validate=False)  # declared, not validated
    world.hours(world.geiq_person, _months_ago(4), "60", validate=True)
    world.hours(world.geiq_person, _months_ago(3), "44", validate=False)
    return world


@pytest.fixture
def world(structure, owner):
    return build_world(structure, owner)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _figures(body: str) -> dict[str, str]:
    return {
        name: re.sub(r"<[^>]+>", "", value).strip()
        for name, value in re.findall(r'<dd data-figure="([\w-]+)">(.*?)</dd>', body, re.S)
    }


def test_the_holder_reads_its_own_validated_hours_and_the_lots_progress_as_reporting_computes_it(world):
    body = _client(world.holder_contact).get("/entreprise/").content.decode()
    figures = _figures(body)

    # Its own share: Hermeline's and Anatole's validated hours; the 80 h only declared are shown apart.
    assert figures["own-validated"] == fr_hours(Decimal("254.75"))
    assert figures["own-declared"] == fr_hours(Decimal("80"))
    # The lot's progress: every company's validated hours (the GEIQ's 60 h included), as the dashboards show it.
    (progress,) = queries.lots_progress(Lot.objects.filter(pk=world.lot.pk), today=timezone.localdate())
    assert progress.achieved_hours == Decimal("314.75")
    assert figures["lot-validated"].startswith(fr_hours(Decimal("314.75")))
    assert figures["target"] == fr_hours(2000)
    assert figures["projection"].startswith(fr_hours(progress.projected_hours))
    assert progress.projected_hours > progress.achieved_hours
    assert f"status--{progress.status}" in body and progress.status_label in body
    assert "Avancement du lot (toutes entreprises)" in body
    # Its people by name; never the subcontractor's.
    assert "Ravignac" in body and "Bellerose" in body
    assert "Grandjean" not in body


def test_a_subcontractor_reads_only_its_own_hours_and_their_projection(world):
    body = _client(world.geiq_contact).get("/entreprise/").content.decode()
    figures = _figures(body)

    assert figures["own-validated"] == fr_hours(Decimal("60"))
    assert figures["own-declared"] == fr_hours(Decimal("44"))
    expected = clause_calculations.projected_hours(
        achieved_hours=Decimal("60"),
        start=world.lot.start_date,
        end=world.lot.end_date,
        today=timezone.localdate(),
    )
    assert figures["own-projection"].startswith(fr_hours(expected))
    # The lot's target and total are the holder's: not shown to it.
    assert "target" not in figures and "lot-validated" not in figures
    assert fr_hours(Decimal("314.75")) not in body and "Avancement du lot" not in body
    assert "Grandjean" in body and "Ravignac" not in body


def test_what_a_company_owes_this_month_and_its_declarations_with_the_next_actor(world):
    previous = _months_ago(1)
    corrected = _months_ago(3)
    lot, holder, contact = world.lot, world.holder, world.holder_contact
    # Month -3: declared, transmitted, then sent back for a correction on Hermeline's row.
    world.hours(world.basile, corrected, "0", validate=False)
    declarations.submit(lot=lot, company=holder, month=corrected, user=contact)
    declaration = declarations.current(lot=lot, company=holder, month=corrected)
    declarations.request_correction(
        declaration=declaration, placements=[world.alix], comment="Vérifiez les heures d'Hermeline.", user=world.owner
    )
    client = _client(contact)
    body = client.get("/entreprise/").content.decode()
    owed = body[body.index('id="owed-title"') : body.index('id="declarations-title"')]
    # The previous month is owed (Hermeline still works there), and the month to correct, with its comment.
    assert f"/entreprise/lots/{lot.pk}/declaration/{previous:%Y-%m}/" in owed
    assert f"/entreprise/lots/{lot.pk}/declaration/{corrected:%Y-%m}/" in owed
    assert "Vérifiez les heures d&#x27;Hermeline." in owed
    listed = body[body.index('id="declarations-title"') :]
    assert "Correction demandée" in listed and "À l&#x27;entreprise de corriger" in listed

    # Once the previous month is transmitted, it is no longer owed; the GEIQ owes its own month still.
    world.hours(world.alix, previous, "70", validate=False)
    declarations.submit(lot=lot, company=holder, month=previous, user=contact)
    body = client.get("/entreprise/").content.decode()
    owed = body[body.index('id="owed-title"') : body.index('id="declarations-title"')]
    assert f"declaration/{previous:%Y-%m}/" not in owed
    assert "À la facilitatrice de valider" in body
    geiq_home = _client(world.geiq_contact).get("/entreprise/").content.decode()
    assert f"/entreprise/lots/{lot.pk}/declaration/{previous:%Y-%m}/" in geiq_home
    assert "Vérifiez les heures" not in geiq_home


def test_nothing_is_owed_for_a_month_without_anyone_employed(world):
    client = _client(world.holder_contact)
    for placement in (world.alix, world.basile):
        placement.end_date = _months_ago(2) - datetime.timedelta(days=1)
        placement.save(update_fields=["end_date"])
    body = client.get("/entreprise/").content.decode()
    assert "Rien à déclarer ni à corriger pour l'instant" in body


def test_the_homes_queries_do_not_grow_with_the_lots(world, django_assert_max_num_queries):
    client = _client(world.holder_contact)
    client.get("/entreprise/")  # warm the session
    with django_assert_max_num_queries(30) as few:
        client.get("/entreprise/")
    other = LotFactory(market=world.lot.market, number=2, contractor=world.holder)
    ClauseFactory(lot=other)
    invite_contact(company=world.holder, lots=[other], email="chef@dupuis.fr", invited_by=world.owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/entreprise/")


def test_company_pages_naming_people_write_the_access_journal(world):
    client = _client(world.holder_contact)
    AccessLog.objects.all().delete()
    client.get("/entreprise/")
    client.get(f"/entreprise/lots/{world.lot.pk}/")
    client.get(f"/entreprise/lots/{world.lot.pk}/declaration/{_months_ago(4):%Y-%m}/")
    entries = AccessLog.objects.filter(user=world.holder_contact, action=AccessAction.VIEWED)
    by_page = {}
    for entry in entries:
        by_page.setdefault(entry.detail.split(" n° ")[0].split(",")[0], set()).add(entry.beneficiary_id)
    holder_people = {world.alix.beneficiary_id, world.basile.beneficiary_id}
    assert by_page == {
        "Entreprise : mes lots": holder_people,
        "Entreprise : lot": holder_people,
        "Entreprise : déclaration du lot": holder_people,
    }
    # A page refused (another lot) writes nothing.
    AccessLog.objects.all().delete()
    assert client.get(f"/entreprise/lots/{world.lot.pk + 999}/").status_code == 404
    assert not AccessLog.objects.exists()
