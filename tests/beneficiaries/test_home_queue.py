"""The facilitator home's work queue: exact counts, each linking to the grid filtered where the work is done."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory

pytestmark = pytest.mark.django_db


def total(text: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">(\d+)<', text)
    assert found, f"{element_id} absent"
    return int(found.group(1))


@pytest.fixture
def world(structure, other_structure, market):
    today = timezone.localdate()
    last_month = add_months(first_of_month(today), -1)
    two_months_ago = add_months(last_month, -1)
    lot_a = market.lots.get()
    lot_b = ClauseFactory(lot=LotFactory(market=market, number=2)).lot
    running = {"start_date": today - datetime.timedelta(days=400), "end_date": today + datetime.timedelta(days=100)}

    def placement(last_name, lot, **dates):
        person = BeneficiaryFactory(structure=structure, last_name=last_name, first_name="Zoé")
        return PlacementFactory(beneficiary=person, lot=lot, employer=lot.contractor, **(dates or running))

    declared = {"status": HoursStatus.DECLARED, "hours": Decimal("35")}
    first, second, without = placement("Arnaud", lot_a), placement("Bernard", lot_a), placement("Carpentier", lot_a)
    on_b = placement("Dupuis", lot_b)
    HoursRecordFactory(placement=first, month=last_month, **declared)
    HoursRecordFactory(placement=second, month=last_month, **declared)
    HoursRecordFactory(placement=first, month=two_months_ago, **declared)
    HoursRecordFactory(placement=second, month=two_months_ago)  # validated: nothing to do
    HoursRecordFactory(
        placement=on_b, month=last_month, status=HoursStatus.REJECTED, rejection_reason="Heures incohérentes"
    )
    # Starts today, ends within 30 days: ending soon, not missing last month.
    placement("Etienne", lot_a, start_date=today, end_date=today + datetime.timedelta(days=10))
    # Another structure's market and person: never counted.
    other_market = MarketFactory(facilitator=other_structure)
    other_lot = ClauseFactory(lot__market=other_market).lot
    stranger = BeneficiaryFactory(structure=other_structure, last_name="Ailleurs")
    foreign = PlacementFactory(beneficiary=stranger, lot=other_lot, employer=other_lot.contractor, **running)
    HoursRecordFactory(placement=foreign, month=last_month, **declared)
    HoursRecordFactory(
        placement=PlacementFactory(beneficiary=stranger, lot=other_lot, employer=other_lot.contractor, **running),
        month=last_month,
        status=HoursStatus.REJECTED,
        rejection_reason="Non",
    )
    return {
        "last_month": last_month,
        "two_months_ago": two_months_ago,
        "lot_a": lot_a,
        "lot_b": lot_b,
        "without": without,
    }


def grid_url(month, lot):
    return f"/heures/?month={month:%Y-%m}&amp;lot={lot.pk}"


def test_home_queue_counts_exactly_the_structures_own_work(owner_client, world):
    text = owner_client.get("/").text
    assert total(text, "to-validate-total") == 3
    assert total(text, "rejected-total") == 1
    assert total(text, "missing-total") == 1
    assert total(text, "ending-total") == 1
    assert "CARPENTIER Zoé" in text  # the placement without a record last month
    assert "AILLEURS" not in text
    # One line per month and lot, most recent month first, each with its exact count.
    last, before = world["last_month"], world["two_months_ago"]
    validate_links = re.findall(r'<a href="(/heures/\?[^"]+)">[^<]*</a> : (\d+) relevé', text)
    assert validate_links == [
        (grid_url(last, world["lot_a"]), "2"),
        (grid_url(before, world["lot_a"]), "1"),
        (grid_url(last, world["lot_b"]), "1"),  # the rejected card
    ]


def test_each_queue_link_answers_and_shows_its_rows(owner_client, world):
    text = owner_client.get("/").text
    for href, names in (
        (grid_url(world["last_month"], world["lot_a"]), ["ARNAUD Zoé", "BERNARD Zoé"]),
        (grid_url(world["two_months_ago"], world["lot_a"]), ["ARNAUD Zoé"]),
        (grid_url(world["last_month"], world["lot_b"]), ["DUPUIS Zoé"]),
        (f"/heures/?month={world['last_month']:%Y-%m}", ["CARPENTIER Zoé"]),
        ("/contrats/?ending_soon=on", ["ETIENNE Zoé"]),
    ):
        assert f'href="{href}"' in text
        response = owner_client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, href
        for name in names:
            assert name in response.text, (href, name)
        assert "AILLEURS" not in response.text


def test_home_no_longer_says_all_hours_are_in_while_records_await_validation(owner_client, world):
    world["without"].delete()
    text = owner_client.get("/").text
    assert "sont saisies" not in text
    assert "des relevés restent à valider ou à corriger" in text


def test_home_queue_is_empty_for_another_structure(outsider_client, world):
    text = outsider_client.get("/").text
    assert total(text, "to-validate-total") == 1
    assert total(text, "rejected-total") == 1
    assert "ARNAUD" not in text


def test_outcomes_due_counted_and_listed_at_the_end_and_six_months_later(owner_client, structure, market):
    from beneficiaries.calculations import months_before
    from beneficiaries.choices import OutcomeStage
    from tests.beneficiaries.factories import OutcomeFactory

    today = timezone.localdate()
    lot = market.lots.get()

    def ended(last_name, end_date, *stages):
        person = BeneficiaryFactory(structure=structure, last_name=last_name, first_name="Zoé")
        placement = PlacementFactory(
            beneficiary=person,
            lot=lot,
            employer=lot.contractor,
            start_date=end_date - datetime.timedelta(days=200),
            end_date=end_date,
        )
        for stage in stages:
            OutcomeFactory(placement=placement, stage=stage, observed_on=end_date)
        return placement

    ended("Fabre", today - datetime.timedelta(days=1))  # at the end due
    ended("Garnier", today)  # still running today: nothing due
    ended("Hubert", months_before(today, 6), OutcomeStage.AT_END)  # six months later due, today
    ended("Imbert", months_before(today, 6) + datetime.timedelta(days=1), OutcomeStage.AT_END)  # not yet
    ended("Jourdan", months_before(today, 8))  # both due
    ended("Klein", months_before(today, 9), OutcomeStage.AT_END, OutcomeStage.AFTER_6_MONTHS)  # all done
    text = owner_client.get("/").text
    assert total(text, "outcome-due-at_end") == 2
    assert total(text, "outcome-due-after_6_months") == 2
    for stage, expected in (("at_end", {"FABRE", "JOURDAN"}), ("after_6_months", {"HUBERT", "JOURDAN"})):
        assert f'href="/contrats/?outcome_due={stage}"' in text
        listed = owner_client.get(f"/contrats/?outcome_due={stage}")
        assert listed.status_code == 200
        names = {"FABRE", "GARNIER", "HUBERT", "IMBERT", "JOURDAN", "KLEIN"}
        assert {name for name in names if f"{name} Zoé" in listed.text} == expected


def test_home_counts_cost_one_query_whatever_the_lists_hold(owner_client, structure, market, django_assert_num_queries):
    """Issue 19: the counts of the queue (missing hours, ending soon, outcomes due at the end and six months
    later) come from one aggregate query over the visible placements, however long each list is, and stay exact
    beyond the ten rows listed."""
    today = timezone.localdate()
    lot = market.lots.get()
    running = {"start_date": today - datetime.timedelta(days=400), "end_date": today + datetime.timedelta(days=100)}
    ending = {"start_date": today, "end_date": today + datetime.timedelta(days=10)}
    ended = {"start_date": today - datetime.timedelta(days=800), "end_date": today - datetime.timedelta(days=300)}

    def placements(count, last_name, dates):
        for index in range(count):
            person = BeneficiaryFactory(structure=structure, last_name=f"{last_name}{index:02d}")
            PlacementFactory(beneficiary=person, lot=lot, employer=lot.contractor, **dates)

    for name, dates in (("Running", running), ("Ending", ending), ("Ended", ended)):
        placements(1, name, dates)
    owner_client.get("/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        owner_client.get("/")
    # The outcomes table is read once, by the one query that counts everything.
    assert len([query for query in few.captured_queries if "beneficiaries_outcome" in query["sql"]]) == 1
    for name, dates, count in (("Running", running, 11), ("Ending", ending, 12), ("Ended", ended, 13)):
        placements(count, f"{name}-more", dates)
    with django_assert_num_queries(len(few.captured_queries)):
        body = owner_client.get("/").content.decode()
    assert total(body, "missing-total") == 12
    assert total(body, "ending-total") == 13
    assert total(body, "outcome-due-at_end") == 14
    assert total(body, "outcome-due-after_6_months") == 14
