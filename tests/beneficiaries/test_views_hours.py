"""The monthly hours grid: all-or-nothing save, per-row errors, "aucune activité", review, optimistic lock."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory

pytestmark = pytest.mark.django_db
GRID = "/heures/?month=2025-03"


@pytest.fixture
def lot(market):
    return market.lots.get()


def _placement(structure, lot, name):
    return PlacementFactory(
        beneficiary=BeneficiaryFactory(structure=structure, last_name=name),
        lot=lot,
        employer=lot.contractor,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )


@pytest.fixture
def rows(structure, lot):
    return [_placement(structure, lot, "Alpha"), _placement(structure, lot, "Bravo")]


def _grid_data(client, url=GRID):
    """The grid's own form values, as a browser would submit them."""
    from html.parser import HTMLParser

    data = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "search"):
                data[attrs["name"]] = attrs.get("value", "")

    Inputs().feed(client.get(url).text)
    return data


def test_grid_for_owner_reader_and_outsider(owner_client, reader_client, outsider_client, rows, lot):
    text = owner_client.get(GRID).text
    assert f'name="p{rows[0].pk}-hours"' in text and "ALPHA" in text
    text = reader_client.get(GRID).text
    assert "ALPHA" in text and f'name="p{rows[0].pk}-hours"' not in text
    assert reader_client.post(GRID, {f"p{rows[0].pk}-hours": "10"}).status_code == 403
    assert "ALPHA" not in outsider_client.get(GRID).text
    assert outsider_client.get(f"{GRID}&lot={lot.pk}").status_code == 404
    assert not HoursRecord.objects.exists()


def test_default_month_is_the_previous_one(owner_client):
    from beneficiaries.views_hours import default_month

    assert default_month(datetime.date(2025, 1, 15)) == datetime.date(2024, 12, 1)
    assert owner_client.get("/heures/").status_code == 200


def test_one_invalid_row_saves_nothing_then_the_corrected_grid_saves_all(owner_client, rows):
    alpha, bravo = rows
    data = {**_grid_data(owner_client), f"p{alpha.pk}-hours": "35,5", f"p{bravo.pk}-hours": "300"}
    response = owner_client.post(GRID, data)
    assert response.status_code == 422
    assert "Rien n'a été enregistré" in response.text
    assert "300 h dépasse le maximum légal de 220 h" in response.text
    bravo_input = re.search(rf'<input type="text" name="p{bravo.pk}-hours"[^>]*>', response.text).group()
    assert 'value="300"' in bravo_input and 'aria-invalid="true"' in bravo_input
    assert f'aria-describedby="row-{bravo.pk}-errors"' in bravo_input
    assert f'<ul class="row-errors" id="row-{bravo.pk}-errors"><li>300 h dépasse' in response.text
    assert 'value="35,5"' in response.text  # typed values kept
    assert not HoursRecord.objects.exists()
    data[f"p{bravo.pk}-hours"] = "160"
    response = owner_client.post(GRID, data, follow=True)
    assert "2 relevés enregistrés." in response.text
    assert "dépasse un temps plein" in response.text  # warning shown after save
    hours = dict(HoursRecord.objects.values_list("placement__beneficiary__last_name", "hours"))
    assert hours == {"Alpha": Decimal("35.5"), "Bravo": Decimal("160")}


def test_untyped_rows_are_not_recorded(owner_client, rows):
    owner_client.post(GRID, {**_grid_data(owner_client), f"p{rows[0].pk}-hours": "12"})
    assert HoursRecord.objects.get().placement == rows[0]


def test_no_activity_for_one_row_and_for_all_empty_rows(owner_client, structure, lot, rows):
    third = _placement(structure, lot, "Charlie")
    owner_client.post(GRID, {**_grid_data(owner_client), "action": f"none:{rows[0].pk}"})
    assert HoursRecord.objects.get().hours == 0
    data = {**_grid_data(owner_client), f"p{rows[1].pk}-hours": "20", "action": "none_empty"}
    owner_client.post(GRID, data)
    hours = dict(HoursRecord.objects.values_list("placement_id", "hours"))
    assert hours == {rows[0].pk: 0, rows[1].pk: 20, third.pk: 0}


def test_validate_and_reject_with_a_reason(owner_client, reader_client, rows):
    first = HoursRecordFactory(placement=rows[0], status=HoursStatus.DECLARED)
    second = HoursRecordFactory(placement=rows[1], status=HoursStatus.DECLARED)
    ticked_first, ticked_second = f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"
    assert reader_client.post(GRID, {"action": "validate", "review": [ticked_first]}).status_code == 403
    owner_client.post(GRID, {"action": "validate", "review": [ticked_first]})
    first.refresh_from_db()
    assert first.status == HoursStatus.VALIDATED
    response = owner_client.post(GRID, {"action": "reject", "review": [ticked_second], "reject_reason": " "})
    assert response.status_code == 422
    assert 'aria-describedby="reject-reason-error"' in response.text and "Indiquez le motif du rejet." in response.text
    owner_client.post(GRID, {"action": "reject", "review": [ticked_second], "reject_reason": "Relevé non signé"})
    second.refresh_from_db()
    assert (second.status, second.rejection_reason) == (HoursStatus.REJECTED, "Relevé non signé")


def test_concurrent_edit_is_reported_not_lost(owner_client, admin_client_of_structure, rows):
    record = HoursRecordFactory(placement=rows[0], hours=Decimal("10"), status=HoursStatus.DECLARED)
    mine = _grid_data(owner_client)
    theirs = _grid_data(admin_client_of_structure)
    admin_client_of_structure.post(GRID, {**theirs, f"p{rows[0].pk}-hours": "20"})
    response = owner_client.post(GRID, {**mine, f"p{rows[0].pk}-hours": "30"})
    assert response.status_code == 422
    assert "modifié par quelqu&#x27;un d&#x27;autre entre-temps" in response.text
    record.refresh_from_db()
    assert record.hours == 20


def test_untouched_rows_do_not_conflict(owner_client, admin_client_of_structure, rows):
    HoursRecordFactory(placement=rows[0], hours=Decimal("10"), status=HoursStatus.DECLARED)
    mine = _grid_data(owner_client)
    admin_client_of_structure.post(GRID, {**_grid_data(admin_client_of_structure), f"p{rows[0].pk}-hours": "20"})
    response = owner_client.post(GRID, {**mine, f"p{rows[1].pk}-hours": "5"}, follow=True)
    assert "1 relevé enregistré." in response.text
    assert HoursRecord.objects.get(placement=rows[0]).hours == 20


def test_grid_query_count_does_not_grow_with_rows(owner_client, structure, lot):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(GRID).status_code == 200
        return len(queries)

    for index in range(5):
        placement = _placement(structure, lot, f"Petit{index}")
        HoursRecordFactory(placement=placement, status=HoursStatus.DECLARED)
    few = count_queries()
    for index in range(45):
        placement = _placement(structure, lot, f"Grand{index}")
        if index % 2:
            HoursRecordFactory(placement=placement, status=HoursStatus.DECLARED)
    assert count_queries() == few


def test_ids_above_999_are_rendered_without_thousands_separator(owner_client, structure, lot):
    """USE_THOUSAND_SEPARATOR is on: an id rendered as "12 345" in a button or a checkbox broke the
    "aucune activité" button and the review of records once ids passed 999. Use the page's own values."""
    placement = PlacementFactory(
        pk=12345,
        beneficiary=BeneficiaryFactory(pk=23456, structure=structure, last_name="Delta"),
        lot=lot,
        employer=lot.contractor,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    page = owner_client.get(GRID).text
    button = re.search(r'name="action" value="(none:[^"]+)"', page).group(1)
    assert button == "none:12345"
    owner_client.post(GRID, {**_grid_data(owner_client), "action": button})
    assert HoursRecord.objects.get(placement=placement).hours == 0
    other = PlacementFactory(
        beneficiary=BeneficiaryFactory(structure=structure, last_name="Echo"),
        lot=lot,
        employer=lot.contractor,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    HoursRecordFactory(pk=34567, placement=other, month=datetime.date(2025, 3, 1), status=HoursStatus.DECLARED)
    page = owner_client.get(GRID).text
    assert 'name="review" value="34567:1"' in page
    owner_client.post(GRID, {"action": "validate", "review": ["34567:1"]})
    assert HoursRecord.objects.get(pk=34567).status == HoursStatus.VALIDATED
    detail = owner_client.get("/participants/23456/").text
    assert "?beneficiary=23456" in detail
