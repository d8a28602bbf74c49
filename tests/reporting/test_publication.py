"""Published yearly reports (issue 18, item 1): freezing, publishing, versions, differences."""

import dataclasses
import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from config.formatting import THOUSANDS
from markets.models import Market
from organisations.models import Role
from reporting import publication, queries
from reporting.models import PlacementYear, PublishedReport
from tests.organisations.factories import MembershipFactory, UserFactory

D = Decimal


def filled_report(through=None) -> queries.YearlyReport:
    return queries.yearly_report(
        records=PlacementYear.objects.all(), markets=Market.objects.all(), year=2025, through=through
    )


@pytest.mark.parametrize("through", [None, datetime.date(2025, 11, 30)])
def test_every_field_of_the_yearly_report_round_trips(world, through):
    report = filled_report(through)
    assert report.summary.hours and report.publics and report.breakdowns["department"] and report.monthly
    if through:
        assert report.previous_full_summary is not None and report.through == through
    payload = json.loads(json.dumps(publication.freeze(report)))  # through JSON, as the database keeps it
    thawed = publication.thaw(payload)
    for item in dataclasses.fields(queries.YearlyReport):
        assert getattr(thawed, item.name) == getattr(report, item.name), item.name
    assert thawed == report
    assert isinstance(thawed.summary.hours, Decimal) and isinstance(thawed.monthly[0].month, datetime.date)
    assert payload["summary"]["hours"] == str(report.summary.hours)


def test_the_hash_is_that_of_the_canonical_payload(world):
    payload = publication.freeze(filled_report())
    same = json.loads(json.dumps(payload, indent=3))
    assert publication.content_hash(payload) == publication.content_hash(same)
    same["summary"]["hours"] = "1.00"
    assert publication.content_hash(payload) != publication.content_hash(same)


def test_publishing_numbers_the_versions_of_a_perimeter_year_and_filters(world):
    region, coordinator = world["region"], world["coordinator"]
    first = publication.publish(user=coordinator, year=2025, region=region)
    second = publication.publish(user=coordinator, year=2025, region=region)
    filtered = publication.publish(user=coordinator, year=2025, region=region, filters={"department": "21"})
    assert (first.version, second.version, filtered.version) == (1, 2, 1)
    assert first.content_hash == publication.content_hash(first.payload)
    assert publication.thaw(first.payload) == filled_report()
    assert publication.latest(region=region, year=2025) == second
    assert list(publication.versions(region=region, year=2025, filters={})) == [second, first]
    assert publication.published_regions_years(region) == [2025]
    assert first.published_by == coordinator


def test_a_structure_publishes_its_own_perimeter(world):
    admin = MembershipFactory(organisation=world["facilitator"], role=Role.ADMIN, user=UserFactory()).user
    published = publication.publish(user=admin, year=2025, organisation=world["facilitator"])
    assert published.version == 1 and published.region is None
    assert publication.thaw(published.payload).summary.hours == filled_report().summary.hours


@pytest.mark.parametrize("who", ["coordination_reader", "city_admin", "facilitator_member", "landlord_member"])
def test_only_coordinators_publish_a_region(world, who):
    with pytest.raises(PermissionDenied):
        publication.publish(user=world[who], year=2025, region=world["region"])
    assert not PublishedReport.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "facilitator_member", "facilitator_reader", "city_admin"])
def test_only_a_structure_admin_publishes_the_structure(world, who):
    with pytest.raises(PermissionDenied):
        publication.publish(user=world[who], year=2025, organisation=world["facilitator"])
    assert not PublishedReport.objects.exists()


def test_differences_name_each_figure_that_moved(world):
    live = filled_report()
    departments = live.breakdowns["department"]
    assert [row.label for row in departments] == ["Côte-d'Or", "Doubs"]
    # Published before Doubs had any hours, and with 3 h more in Côte-d'Or than now (a correction downward).
    cote_dor = dataclasses.replace(departments[0], hours=departments[0].hours + 3)
    published = dataclasses.replace(live, breakdowns={**live.breakdowns, "department": [cote_dor]})
    found = [
        (item.table, item.row, item.column, item.published, item.live, item.change)
        for item in publication.differences(published, live)
    ]
    assert found == [
        ("Par département", "Côte-d'Or", "Heures 2025", D("183.00"), D("180.00"), D("-3.00")),
        ("Par département", "Doubs", "Heures 2025", None, D("70.00"), D("70.00")),
        ("Par département", "Doubs", "Participant·es 2025", None, 1, 1),
        ("Par département", "Doubs", "Contrats 2025", None, 1, 1),
    ]
    assert publication.differences(live, live) == []
    assert publication.signed_hours(D("-3.00")) == "−3\u00a0h"
    assert publication.signed_hours(D("1234.56")) == f"+1{THOUSANDS}234,56\u00a0h"


def test_a_public_version_hides_small_counts(world):
    version = publication.publish(user=world["coordinator"], year=2025, region=world["region"])
    public = publication.public_report(version)
    assert version.payload["summary"]["participants"] == 2
    assert public.summary.participants == "< 5" and public.summary.hours == D("250.00")
    assert all(row.hours == "secret" for row in public.publics)  # 2 people: every public hidden
    assert {row.participants for row in public.breakdowns["department"]} == {"< 5"}
