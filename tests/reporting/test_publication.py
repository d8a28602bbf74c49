"""Published yearly reports (issue 18, item 1): freezing, publishing, versions, differences."""

import dataclasses
import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

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
