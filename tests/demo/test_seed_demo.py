import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum
from stdnum.fr import siret

from beneficiaries.calculations import ai_cap_excess, frozen_publics
from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.models import Beneficiary, HoursRecord, Placement
from clauses.models import Clause, Mechanism
from markets.models import Lot, Market, MarketType
from organisations.models import BuyerType, InsertionType, Membership, Organisation, Role, User

pytestmark = pytest.mark.django_db

FULL_YEARS = [date.today().year - n for n in (3, 2, 1)]


def validated(year):
    return HoursRecord.objects.filter(month__year=year, status=HoursStatus.VALIDATED)


@pytest.mark.parametrize("year", FULL_YEARS)
def test_hours_and_participants_per_full_year(seeded, year):
    hours = validated(year).aggregate(total=Sum("hours"))["total"]
    assert Decimal("900000") <= hours <= Decimal("1100000")
    people = validated(year).values("placement__beneficiary").distinct()
    participants = people.count()
    assert 2340 <= participants <= 2860
    women = people.filter(placement__beneficiary__sex="F").count()
    assert 0.20 <= women / participants <= 0.30


def test_every_category_is_present(seeded):
    assert set(Placement.objects.values_list("modality", flat=True).distinct()) == set(Modality.values)
    assert set(Clause.objects.values_list("mechanism", flat=True).distinct()) == set(Mechanism.values)
    assert set(Market.objects.values_list("market_type", flat=True).distinct()) == set(MarketType.values)
    assert set(Organisation.objects.exclude(buyer_type="").values_list("buyer_type", flat=True)) == set(
        BuyerType.values
    )
    assert set(Organisation.objects.exclude(insertion_type="").values_list("insertion_type", flat=True)) == set(
        InsertionType.values
    )
    assert Market.objects.count() == 400
    services = Market.objects.filter(market_type=MarketType.SERVICES).count()
    assert 150 <= services <= 250


def test_organisations_and_accounts(seeded, settings):
    # The module-scoped seed hashed with the default hasher, before the per-test fast hasher applies.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    facilitation = Organisation.objects.filter(kind="facilitation", region_id="27")
    assert facilitation.count() == 14
    members = Membership.objects.filter(organisation__kind="facilitation").exclude(role=Role.READER)
    assert members.count() == 23
    assert members.filter(role=Role.ADMIN).exists()
    assert Organisation.objects.filter(kind="coordination", region_id="27").count() == 1
    assert Organisation.objects.filter(kind="buyer").count() >= 50
    for number in Organisation.objects.exclude(siret="").values_list("siret", flat=True):
        assert siret.is_valid(number)
    for email, role, kind in [
        ("facilitateur@demo.clausier.fr", Role.MEMBER, "facilitation"),
        ("admin.structure@demo.clausier.fr", Role.ADMIN, "facilitation"),
        ("lecteur@demo.clausier.fr", Role.READER, "facilitation"),
        ("acheteur@demo.clausier.fr", Role.MEMBER, "buyer"),
        ("coordination@demo.clausier.fr", Role.MEMBER, "coordination"),
    ]:
        user = User.objects.get(email=email)
        assert user.check_password("clausier-demo-2026")
        assert user.memberships.filter(role=role, organisation__kind=kind).exists()
    admin = User.objects.get(email="admin@demo.clausier.fr")
    assert admin.is_superuser and admin.is_staff


def test_clause_targets_use_the_calibration(seeded):
    for clause in Clause.objects.select_related("lot").order_by("?")[:50]:
        assert clause.calibrated_hours == clause.compute_calibration()[0]
    assert Clause.objects.filter(calibration_method="cleaning").exists()
    assert Clause.objects.filter(override_hours__isnull=False).exclude(override_reason="").exists()


def test_some_lots_behind_and_some_over_target(seeded):
    lots = Clause.objects.filter(target_hours__gt=0, lot__end_date__lt=date.today()).annotate(
        done=Sum("lot__placements__hours_records__hours", filter=Q(lot__placements__hours_records__status="validated"))
    )
    rates = [float(c.done or 0) / c.target_hours for c in lots]
    over = sum(rate > 1 for rate in rates)
    behind = sum(rate < 0.7 for rate in rates)
    assert 5 <= over <= len(rates) * 0.25
    assert 5 <= behind <= len(rates) * 0.25


def test_frozen_publics_match_the_shared_calculation(seeded):
    sample = list(Placement.objects.select_related("beneficiary").order_by("pk"))
    for placement in random.Random(1).sample(sample, 200):
        person = placement.beneficiary
        expected = frozen_publics(
            start_date=placement.start_date,
            sex=person.sex,
            birth_date=person.birth_date,
            lives_in_qpv=person.qpv_id is not None,
            criteria_validated_on=dict(person.criteria.values_list("criterion", "validated_on")),
        )
        assert placement.age_at_start == expected.age_at_start
        assert (placement.is_woman, placement.is_youth, placement.is_senior, placement.is_qpv_resident) == (
            expected.is_woman,
            expected.is_youth,
            expected.is_senior,
            expected.is_qpv_resident,
        )
        assert (placement.is_rqth, placement.is_long_term_job_seeker, placement.is_rsa) == (
            expected.is_rqth,
            expected.is_long_term_job_seeker,
            expected.is_rsa,
        )
    assert Placement.objects.filter(is_youth=True).exists() and Placement.objects.filter(is_senior=True).exists()
    assert Beneficiary.objects.filter(qpv__isnull=False).exists()


def test_domain_rules_hold(seeded):
    assert not HoursRecord.objects.filter(Q(hours__gt=220) | Q(hours__lt=0)).exists()
    records = HoursRecord.objects.select_related("placement__lot").only(
        "month",
        "placement__start_date",
        "placement__end_date",
        "placement__lot__start_date",
        "placement__lot__end_date",
    )
    for record in records.iterator(chunk_size=5000):
        placement, lot = record.placement, record.placement.lot
        assert placement.start_date.replace(day=1) <= record.month <= placement.end_date
        assert lot.start_date.replace(day=1) <= record.month <= lot.end_date
        assert lot.start_date <= placement.start_date and placement.end_date <= lot.end_date
    ai = HoursRecord.objects.filter(placement__modality=Modality.AI_PROVISION).values_list(
        "placement__beneficiary", "placement__employer", "placement__lot__contractor", "month", "hours"
    )
    by_key = {}
    for person, employer, company, month, hours in ai:
        by_key.setdefault((person, employer, company), {})[month] = hours
    for months in by_key.values():
        for month, hours in months.items():
            assert ai_cap_excess(months, month, hours) == 0
    current = HoursRecord.objects.filter(month__year=date.today().year)
    if date.today().month > 1:
        assert current.filter(status=HoursStatus.DECLARED).exists()
        assert current.filter(status=HoursStatus.REJECTED).exclude(rejection_reason="").exists()
    assert HoursRecord.objects.filter(is_converted=True, invoiced_amount_excl_vat__isnull=False).exists()
    assert HoursRecord.objects.filter(training_hours__gt=0).exists()


def test_second_run_changes_nothing(seeded, settings):
    settings.DEBUG = True
    before = [model.objects.count() for model in (Organisation, User, Market, Lot, Placement, HoursRecord)]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = [model.objects.count() for model in (Organisation, User, Market, Lot, Placement, HoursRecord)]
    assert after == before


def test_refuses_without_debug_unless_forced(seeded, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))  # noqa: SIM115 - demo present: no-op
    assert Market.objects.count() == 400


def test_records_are_one_per_placement_and_month(seeded):
    duplicates = HoursRecord.objects.values("placement", "month").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


def test_participants_live_in_real_qpv_of_their_commune(seeded):
    """The demo uses the official QPV 2024 (issue 17): every resident's QPV is of the list and lies on the
    resident's commune; the made-up neighbourhoods are gone (QN02101M is « Le Mail », in Chenôve)."""
    from territories.models import Qpv

    residents = Beneficiary.objects.filter(qpv__isnull=False).select_related("qpv")
    assert residents.count() > 100
    assert not residents.filter(qpv__official=False).exists()
    assert not residents.exclude(qpv_source="entered").exists()
    pairs = set(Qpv.communes.through.objects.values_list("qpv_id", "commune_id"))
    assert all((qpv, commune) in pairs for qpv, commune in residents.values_list("qpv_id", "commune_id"))
    assert Qpv.objects.get(code="QN02101M").name == "Le Mail"
    assert residents.values("qpv").distinct().count() > 20


def test_the_coordination_publishes_its_last_complete_years(seeded, client):
    """The public page has figures from the first `make run`: the demo coordination published its région's last
    five complete years (version 1 each, by its coordinator), the current year is left to publish."""
    from reporting import publication
    from reporting.models import PlacementYear, PublishedReport

    this_year = date.today().year
    published = PublishedReport.objects.select_related("region", "published_by").order_by("year")
    assert [report.year for report in published] == list(range(this_year - 5, this_year))
    assert {(report.version, report.published_by.email, report.filters_key) for report in published} == {
        (1, "coordination@demo.clausier.fr", "")
    }
    region = published[0].region
    assert region.pk == "27" and all(report.organisation_id is None for report in published)
    assert PlacementYear.objects.filter(region=region, year=this_year).exists()  # a current year, not published
    # The frozen figures are the live ones (nothing changed since): the last year's hours as the coordinator reads them.
    last = published.last()
    live = publication.live_report(year=last.year, region=region, user=last.published_by)
    assert publication.thaw(last.payload).summary.hours == live.summary.hours > 0

    index = client.get("/public/")
    assert index.status_code == 200
    assert region.name in index.content.decode()
    page = client.get(f"/public/{region.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Aucune région n'a encore publié" not in text
    for year in range(this_year - 5, this_year):
        assert str(year) in text
