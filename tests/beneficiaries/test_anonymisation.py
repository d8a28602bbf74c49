"""manage.py anonymise_inactive: identity removed after the retention period, every statistic kept."""

import datetime
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessAction, AccessLog
from beneficiaries.anonymisation import PLACEHOLDER_LAST_NAME, anonymise_inactive, cutoff_date, purge_sessions
from beneficiaries.models import Beneficiary, Outcome, Placement
from markets.models import Market
from reporting.models import PlacementYear
from reporting.queries import yearly_report
from tests.audit.world import build_world
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.make_aware(datetime.datetime(2024, 1, 1))


@pytest.fixture
def world(settings):
    """The shared world (hours in 2025, placements ending 31/12/2025), a retention of 10 months from today
    (so 2025 is old), records last updated long ago; plus one person still active (hours this month)."""
    settings.CLAUSIER_RETENTION_MONTHS = 10
    world = build_world()
    Outcome.objects.update(notes="Observation sur la sortie")
    recent = BeneficiaryFactory(structure=world.a.structure, last_name="Récente", first_name="Active")
    today = timezone.localdate()
    placement = PlacementFactory(
        beneficiary=recent, lot=world.a.lot, start_date=today.replace(day=1), end_date=today.replace(day=1)
    )
    HoursRecordFactory(placement=placement, month=today.replace(day=1))
    Beneficiary.objects.update(updated_at=LONG_AGO)
    world.recent = recent
    return world


def region_report(year=2025):
    records = PlacementYear.objects.filter(lot__market__execution_commune__department__region="27")
    markets = Market.objects.filter(execution_commune__department__region="27")
    return yearly_report(records=records, markets=markets, year=year)


def test_identity_removed_statistics_kept(world):
    person = world.a.person
    before = Beneficiary.objects.get(pk=person.pk)
    frozen_before = list(Placement.objects.filter(beneficiary=person).values())
    result = anonymise_inactive()
    assert result.anonymised == 2
    after = Beneficiary.objects.get(pk=person.pk)
    assert after.anonymised_at is not None
    assert (after.last_name, after.first_name) == (PLACEHOLDER_LAST_NAME, "")
    assert after.birth_date is None
    assert after.address == after.notes == after.prescriber_name == ""
    assert str(after) == f"Participant·e anonymisé·e n° {person.pk}"
    # What statistics use is kept.
    assert (after.sex, after.commune_id, after.qpv_id) == (before.sex, before.commune_id, before.qpv_id)
    assert (after.prescriber_type, after.qualification_level) == (before.prescriber_type, before.qualification_level)
    assert set(after.criteria.values_list("criterion", flat=True)) == {"long_term_job_seeker", "rqth"}
    assert list(Placement.objects.filter(beneficiary=person).values()) == frozen_before
    assert not Outcome.objects.filter(placement__beneficiary=person).exclude(notes="").exists()
    entry = AccessLog.objects.get(beneficiary=person, action=AccessAction.ANONYMISED)
    assert entry.user is None and entry.structure_id == person.structure_id


def test_yearly_report_identical_before_and_after(world):
    before = (region_report(2025), region_report(timezone.localdate().year))
    assert before[0].summary.hours > 0
    assert anonymise_inactive().anonymised == 2
    assert (region_report(2025), region_report(timezone.localdate().year)) == before


def test_recent_people_untouched(world):
    recently_updated = BeneficiaryFactory(structure=world.b.structure, last_name="Modifiée")  # updated_at = now
    anonymise_inactive()
    for person in (world.recent, recently_updated):
        person.refresh_from_db()
        assert person.anonymised_at is None
        assert person.last_name in ("Récente", "Modifiée")
        assert person.birth_date is not None
    # A second run finds nobody new.
    assert anonymise_inactive().anonymised == 0


def test_dry_run_writes_nothing(world):
    snapshot = list(Beneficiary.objects.order_by("pk").values())
    logs = AccessLog.objects.count()
    out = StringIO()
    call_command("anonymise_inactive", "--dry-run", stdout=out)
    assert "Simulation : 2 participant·e(s) sans activité depuis le" in out.getvalue()
    assert "Rien n'a été modifié" in out.getvalue()
    assert list(Beneficiary.objects.order_by("pk").values()) == snapshot
    assert AccessLog.objects.count() == logs


def test_command_prints_the_count_in_french(world):
    out = StringIO()
    call_command("anonymise_inactive", stdout=out)
    assert "2 participant·e(s) sans activité depuis le" in out.getvalue()
    assert "(10 mois) anonymisé·es." in out.getvalue()
    assert Beneficiary.objects.filter(anonymised_at__isnull=False).count() == 2


# The retention cut-off: exactly CLAUSIER_RETENTION_MONTHS months before today (issue 11, item 10).


@pytest.mark.parametrize(
    ("today", "cutoff"),
    [
        (datetime.date(2026, 11, 26), datetime.date(2024, 11, 26)),
        (datetime.date(2026, 3, 31), datetime.date(2024, 3, 31)),
        (datetime.date(2026, 2, 28), datetime.date(2024, 2, 28)),
        (datetime.date(2028, 2, 29), datetime.date(2026, 2, 28)),  # no 29 February then: the month's last day
    ],
)
def test_cutoff_is_exactly_the_retention_period_before_today(settings, today, cutoff):
    settings.CLAUSIER_RETENTION_MONTHS = 24
    assert cutoff_date(today) == cutoff


def test_person_last_changed_24_and_a_half_months_ago_is_anonymised(settings):
    """With a cut-off on the first of the month, a person last changed on 10/11/2024 was kept until 31/12/2026."""
    settings.CLAUSIER_RETENTION_MONTHS = 24
    today = datetime.date(2026, 11, 26)
    old = BeneficiaryFactory(last_name="Vieille")
    kept = BeneficiaryFactory(last_name="Limite")
    Beneficiary.objects.filter(pk=old.pk).update(updated_at=timezone.make_aware(datetime.datetime(2024, 11, 25, 23)))
    Beneficiary.objects.filter(pk=kept.pk).update(updated_at=timezone.make_aware(datetime.datetime(2024, 11, 26, 9)))
    assert anonymise_inactive(today=today).anonymised == 1
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.anonymised_at is not None and kept.anonymised_at is None


def test_boundary_of_placement_end_and_hours_month(settings):
    """A placement ending the day before the cut-off is over; hours of the cut-off's month are an activity until
    the month's end."""
    settings.CLAUSIER_RETENTION_MONTHS = 24
    today = datetime.date(2026, 11, 26)
    ended = PlacementFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 11, 25))
    PlacementFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 11, 26))  # kept
    worked = PlacementFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 1, 31))
    HoursRecordFactory(placement=worked, month=datetime.date(2024, 11, 1))
    worked_before = PlacementFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 1, 31))
    HoursRecordFactory(placement=worked_before, month=datetime.date(2024, 10, 1))
    Beneficiary.objects.update(updated_at=LONG_AGO)
    anonymise_inactive(today=today)
    anonymised = set(Beneficiary.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    assert anonymised == {ended.beneficiary_id, worked_before.beneficiary_id}


# Sessions: expired ones deleted, import previews not saved for an hour emptied, the others untouched.


def _session(data: dict, expires_in: datetime.timedelta) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_purge_sessions(settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    preview = {"clausier_hours_import": {"filename": "heures.csv", "rows": [{"last_name": "Quidam"}]}}
    expired = _session({"x": 1}, datetime.timedelta(hours=-1))
    stale = _session({**preview, "keep": "oui"}, datetime.timedelta(hours=6))  # saved two hours ago
    fresh = _session(preview, datetime.timedelta(hours=7, minutes=50))  # saved ten minutes ago
    result = purge_sessions(keys=["clausier_hours_import"], older_than=datetime.timedelta(hours=1))
    assert (result.expired, result.cleaned) == (1, 1)
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.get(session_key=stale).get_decoded() == {"keep": "oui"}
    assert Session.objects.get(session_key=fresh).get_decoded() == preview


def test_command_purges_sessions(world):
    _session({"x": 1}, datetime.timedelta(hours=-1))
    out = StringIO()
    call_command("anonymise_inactive", stdout=out)
    assert "Sessions : 1 expirée(s) supprimée(s), 0 aperçu(s) d'import abandonné(s) effacé(s)." in out.getvalue()
    assert not Session.objects.filter(expire_date__lt=timezone.now()).exists()
