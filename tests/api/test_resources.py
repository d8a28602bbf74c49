"""Every resource: list, detail, owner / reader / outsider (404), filters."""

import datetime

import pytest
from django.utils import timezone

from reporting import summary

pytestmark = pytest.mark.django_db

V1 = "/api/v1"

# (url prefix, attribute of the owner's object, attribute of the outsider's object or None)
SCOPED = [
    ("markets", "market", "other_market"),
    ("lots", "lot", "other_lot"),
    ("placements", "placement", "other_placement"),
    ("hours", "record", "other_record"),
    ("beneficiaries", "person", "other_person"),
    ("outcomes", "outcome", None),
    ("clauses", "clause", None),
    ("operations", "operation", None),
]


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize(("resource", "mine", "theirs"), SCOPED)
def test_owner_lists_and_reads_their_objects_only(world, api, resource, mine, theirs):
    api.as_user(world.owner)
    obj = getattr(world, mine)
    listed = ids(api.get(f"{V1}/{resource}/"))
    assert obj.pk in listed
    assert api.get(f"{V1}/{resource}/{obj.pk}/").json()["id"] == obj.pk
    if theirs:
        other = getattr(world, theirs)
        assert other.pk not in listed
        assert api.get(f"{V1}/{resource}/{other.pk}/").status_code == 404


@pytest.mark.parametrize(("resource", "mine", "theirs"), SCOPED)
def test_reader_reads_but_outsider_gets_404(world, api, resource, mine, theirs):
    obj = getattr(world, mine)
    api.as_user(world.reader)
    assert api.get(f"{V1}/{resource}/{obj.pk}/").status_code == 200
    api.as_user(world.outsider)
    assert obj.pk not in ids(api.get(f"{V1}/{resource}/"))
    assert api.get(f"{V1}/{resource}/{obj.pk}/").status_code == 404


def test_anonymous_gets_401_not_a_login_redirect(world, api):
    response = api.get(f"{V1}/markets/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_organisations_show_shared_kinds_and_own_structure_only(world, api):
    api.as_user(world.owner)
    listed = ids(api.get(f"{V1}/organisations/?page_size=500"))
    assert {world.buyer.pk, world.company.pk, world.structure.pk} <= listed
    assert world.other.pk not in listed
    assert api.get(f"{V1}/organisations/{world.other.pk}/").status_code == 404
    filtered = ids(api.get(f"{V1}/organisations/?kind=buyer"))
    assert world.buyer.pk in filtered and world.company.pk not in filtered


def test_territories_are_read_only_reference_data_with_search(world, api):
    api.as_user(world.buyer_user)
    communes = api.get(f"{V1}/territories/communes/?q=dij").json()["results"]
    assert [commune["code"] for commune in communes] == ["21231"]
    assert api.get(f"{V1}/territories/communes/?q=zzz").json()["count"] == 0
    assert api.get(f"{V1}/territories/communes/21231/").json()["name"] == "Dijon"
    assert api.get(f"{V1}/territories/regions/27/").json()["name"] == "Bourgogne-Franche-Comté"
    assert api.get(f"{V1}/territories/departments/?region=27").json()["count"] == 1
    assert api.get(f"{V1}/territories/epcis/").status_code == 200
    assert api.get(f"{V1}/territories/qpvs/").status_code == 200
    api.as_user(world.admin)
    assert api.post(f"{V1}/territories/regions/", {"code": "99", "name": "X"}).status_code == 405


def test_market_filters(world, api):
    api.as_user(world.owner)
    assert ids(api.get(f"{V1}/markets/?year=2025")) == {world.market.pk}
    assert ids(api.get(f"{V1}/markets/?year=2030")) == set()
    assert ids(api.get(f"{V1}/markets/?market_type=services")) == set()
    assert ids(api.get(f"{V1}/markets/?market_type=works&department=21")) == {world.market.pk}
    assert ids(api.get(f"{V1}/markets/?buyer={world.buyer.pk}")) == {world.market.pk}
    assert ids(api.get(f"{V1}/markets/?facilitator={world.structure.pk}")) == {world.market.pk}
    assert ids(api.get(f"{V1}/markets/?q=DIJ")) == {world.market.pk}
    assert api.get(f"{V1}/markets/?market_type=nimporte").status_code == 400


def test_hours_filters_month_range_status_and_structure(world, api, django_assert_max_num_queries):
    api.as_user(world.owner)
    assert ids(api.get(f"{V1}/hours/?year=2025")) == {world.record.pk}
    assert ids(api.get(f"{V1}/hours/?month_from=2025-04-01")) == set()
    assert ids(api.get(f"{V1}/hours/?month_from=2025-01-01&month_to=2025-03-01")) == {world.record.pk}
    assert ids(api.get(f"{V1}/hours/?status=validated")) == set()
    assert ids(api.get(f"{V1}/hours/?status=declared&structure={world.structure.pk}")) == {world.record.pk}
    assert ids(api.get(f"{V1}/hours/?market={world.market.pk}&buyer={world.buyer.pk}")) == {world.record.pk}
    with django_assert_max_num_queries(8):
        api.get(f"{V1}/hours/")


def test_lot_placement_outcome_clause_filters(world, api):
    api.as_user(world.owner)
    assert ids(api.get(f"{V1}/lots/?market={world.market.pk}&has_clause=true")) == {world.lot.pk}
    assert ids(api.get(f"{V1}/lots/?contractor_siret={world.company.siret}")) == {world.lot.pk}
    assert ids(api.get(f"{V1}/placements/?active_on=2025-06-15")) == {world.placement.pk}
    assert ids(api.get(f"{V1}/placements/?active_on=2026-06-15")) == set()
    assert ids(api.get(f"{V1}/placements/?beneficiary={world.person.pk}")) == {world.placement.pk}
    assert ids(api.get(f"{V1}/outcomes/?year=2026&stage=at_end")) == {world.outcome.pk}
    assert ids(api.get(f"{V1}/clauses/?market={world.market.pk}")) == {world.clause.pk}
    assert ids(api.get(f"{V1}/beneficiaries/?q=dup")) == {world.person.pk}


def test_ordering_and_pagination(world, api):
    api.as_user(world.owner)
    body = api.get(f"{V1}/organisations/?ordering=-name&page_size=2").json()
    assert len(body["results"]) == 2 and body["next"]
    names = [item["name"] for item in body["results"]]
    assert names == sorted(names, reverse=True)
    assert api.get(f"{V1}/organisations/?page=999").status_code == 404


# Personal data ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["buyer_user", "coordinator"])
def test_buyers_and_coordinators_see_no_person(world, api, who):
    """Person-level resources, even without a name, are a 404 for them (issue 13): they read aggregates."""
    api.as_user(getattr(world, who))
    for url in (
        f"{V1}/beneficiaries/",
        f"{V1}/beneficiaries/{world.person.pk}/",
        f"{V1}/placements/",
        f"{V1}/placements/{world.placement.pk}/",
        f"{V1}/placements/?beneficiary={world.person.pk}",
        f"{V1}/hours/",
        f"{V1}/hours/{world.record.pk}/",
        f"{V1}/outcomes/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert "Dupont" not in response.content.decode()
    assert api.get(f"{V1}/markets/{world.market.pk}/").status_code == 200  # their market's figures stay open


def test_facilitator_sees_identity_and_sensitive_criteria(world, api):
    api.as_user(world.owner)
    body = api.get(f"{V1}/beneficiaries/{world.person.pk}/").json()
    assert body["last_name"] == "Dupont" and body["birth_date"] == "1990-02-01"
    assert {item["criterion"] for item in body["criteria"]} == {"long_term_job_seeker", "rqth"}
    placement = api.get(f"{V1}/placements/{world.placement.pk}/").json()
    assert placement["beneficiary"] == world.person.pk
    assert placement["beneficiary_name"] == "DUPONT Marie"
    assert placement["is_rqth"] is True and placement["is_long_term_job_seeker"] is True


def test_reader_does_not_see_disability_criteria(world, api):
    api.as_user(world.reader)
    body = api.get(f"{V1}/beneficiaries/{world.person.pk}/").json()
    assert body["last_name"] == "Dupont"
    assert {item["criterion"] for item in body["criteria"]} == {"long_term_job_seeker"}
    assert api.get(f"{V1}/placements/{world.placement.pk}/").json()["is_rqth"] is None


# Yearly report -------------------------------------------------------------------------------------------


def test_yearly_report_as_json(world, api):
    world.record.status = "validated"
    world.record.save()
    summary.refresh([world.record.placement_id])  # saved directly, not through validate_hours
    api.as_user(world.owner)
    body = api.get(f"{V1}/reports/yearly/?year=2025").json()
    assert body["year"] == 2025
    assert body["summary"]["hours"] == "100.00"
    assert body["summary"]["participants"] == 1
    assert body["breakdowns"]["department"][0]["key"] == "21"
    assert api.get(f"{V1}/reports/yearly/?year=2025&department=75").json()["summary"]["hours"] == "0.00"
    assert api.get(f"{V1}/reports/yearly/").status_code == 400
    assert api.get(f"{V1}/reports/yearly/?year=abc").status_code == 400


def test_yearly_report_of_the_current_year_is_partial_like_the_page(world, api, monkeypatch):
    """As on the web (issue 13): the current year counts up to the end of the previous month, compared with the
    same months; a year not yet begun is refused on the field, never a page of zeros and "-100 %"."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2025, 3, 12))
    world.record.status = "validated"  # March 2025: after the cutoff of 12/03/2025 (end of February)
    world.record.save()
    summary.refresh([world.record.placement_id])
    api.as_user(world.owner)
    body = api.get(f"{V1}/reports/yearly/?year=2025").json()
    assert body["through"] == "2025-02-28"
    assert body["summary"]["hours"] == "0.00"  # March is not counted yet
    assert body["previous_full_summary"]["hours"] == "0.00"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 11, 26))
    complete = api.get(f"{V1}/reports/yearly/?year=2025").json()
    assert complete["through"] is None and complete["previous_full_summary"] == complete["previous_summary"]
    assert complete["summary"]["hours"] == "100.00"
    response = api.get(f"{V1}/reports/yearly/?year=2027")
    assert response.status_code == 400
    assert "pas encore commencée" in str(response.json())


def test_yearly_report_is_not_for_buyers(world, api):
    world.record.status = "validated"
    world.record.save()
    summary.refresh([world.record.placement_id])  # saved directly, not through validate_hours
    api.as_user(world.buyer_user)  # as on the web, buyers have their dashboard (issue 13: suppressed figures)
    assert api.get(f"{V1}/reports/yearly/?year=2025").status_code == 404
    api.as_user(world.outsider)  # their own validated 100 h only, not ours
    assert api.get(f"{V1}/reports/yearly/?year=2025").json()["summary"]["markets"] == 1
