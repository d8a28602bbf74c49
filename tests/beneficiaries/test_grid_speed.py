"""The grid for speed: search by person, filters by record status and lot (GET, applied by the server), the error
list at the top linking to the fields at fault, the lots' totals after a save, and a bounded number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beneficiaries import services
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from markets.models import Lot
from reporting.queries import lots_progress
from tests.beneficiaries.factories import HoursRecordFactory
from tests.beneficiaries.test_views_hours import GRID, _grid_data, _placement
from tests.clauses.factories import ClauseFactory

pytestmark = pytest.mark.django_db
MARCH = datetime.date(2025, 3, 1)


@pytest.fixture
def lot(market):
    return market.lots.get()


@pytest.fixture
def people(structure, lot):
    """One placement per record status of March: none, declared, validated, rejected, and 0 h (aucune activité)."""
    names = ("Absent", "Declare", "Valide", "Rejete", "Zero")
    placements = {name: _placement(structure, lot, name) for name in names}
    HoursRecordFactory(placement=placements["Declare"], month=MARCH, hours=Decimal("10"), status=HoursStatus.DECLARED)
    HoursRecordFactory(placement=placements["Valide"], month=MARCH, hours=Decimal("12"), status=HoursStatus.VALIDATED)
    HoursRecordFactory(
        placement=placements["Rejete"],
        month=MARCH,
        hours=Decimal("14"),
        status=HoursStatus.REJECTED,
        rejection_reason="Illisible",
    )
    HoursRecordFactory(
        placement=placements["Zero"], month=MARCH, hours=0, training_hours=0, status=HoursStatus.DECLARED
    )
    return placements


def _names(client, query: str) -> set[str]:
    response = client.get(f"{GRID}&{query}")
    assert response.status_code == 200
    return set(re.findall(r'<th scope="row"><a href="[^"]+">([A-Z]+) ', response.text))


def test_search_by_name_or_participant_number(owner_client, people):
    assert _names(owner_client, "q=valid") == {"VALIDE"}
    assert _names(owner_client, "q=ZER") == {"ZERO"}
    number = people["Rejete"].beneficiary_id
    assert _names(owner_client, f"q=n°+{number}") == {"REJETE"}
    assert _names(owner_client, f"q={number}") == {"REJETE"}
    assert _names(owner_client, "q=personne") == set()
    assert "Aucun contrat ne correspond à la recherche" in owner_client.get(f"{GRID}&q=personne").text


def test_search_does_not_match_names_the_user_cannot_read(outsider_client, people):
    """Another structure's people are not on the outsider's grid, and a search never brings them in."""
    assert _names(outsider_client, "q=valide") == set()
    assert "VALIDE" not in outsider_client.get(f"{GRID}&q={people['Valide'].beneficiary_id}").text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("missing", {"ABSENT"}),
        ("declared", {"DECLARE", "ZERO"}),
        ("validated", {"VALIDE"}),
        ("rejected", {"REJETE"}),
        ("no_activity", {"ZERO"}),
        ("", {"ABSENT", "DECLARE", "VALIDE", "REJETE", "ZERO"}),
    ],
)
def test_status_filter(owner_client, people, status, expected):
    assert _names(owner_client, f"status={status}") == expected


def test_status_and_search_together_and_an_unknown_status_is_refused(owner_client, people):
    assert _names(owner_client, "status=declared&q=zero") == {"ZERO"}
    response = owner_client.get(f"{GRID}&status=perdu")
    assert response.status_code == 400
    assert "Le statut demandé n&#x27;est pas valide : choisissez-le dans la liste." in response.text


def test_lot_filter(owner_client, structure, market, lot, people):
    other = ClauseFactory(lot__market=market).lot
    _placement(structure, other, "Ailleurs")
    assert _names(owner_client, f"lot={other.pk}") == {"AILLEURS"}
    assert _names(owner_client, f"lot={lot.pk}&status=missing") == {"ABSENT"}
    assert "AILLEURS" in _names(owner_client, "status=missing")


def test_a_filtered_save_writes_only_the_rows_shown(owner_client, people):
    """The grid filtered on "non saisi" posts one row: the other rows of the month are left exactly as they were
    (not read as emptied), and the redirect keeps the filter."""
    url = f"{GRID}&status=missing"
    data = _grid_data(owner_client, url)
    absent = people["Absent"]
    assert {name for name in data if name.endswith("-version")} == {f"p{absent.pk}-version"}
    response = owner_client.post(url, {**data, f"p{absent.pk}-hours": "7,5"})
    assert response.status_code == 302 and response["Location"] == "/heures/?month=2025-03&status=missing"
    hours = dict(HoursRecord.objects.values_list("placement__beneficiary__last_name", "hours"))
    assert hours == {"Absent": 7.5, "Declare": 10, "Valide": 12, "Rejete": 14, "Zero": 0}


def test_a_row_recorded_since_a_filtered_page_was_shown_is_a_conflict(owner_client, admin_client_of_structure, people):
    url = f"{GRID}&status=missing"
    mine = _grid_data(owner_client, url)
    absent = people["Absent"]
    admin_client_of_structure.post(url, {**_grid_data(admin_client_of_structure, url), f"p{absent.pk}-hours": "3"})
    response = owner_client.post(url, {**mine, f"p{absent.pk}-hours": "30"})
    assert response.status_code == 422
    assert "ABSENT" in response.text
    assert HoursRecord.objects.get(placement=absent).hours == 3


def test_errors_are_listed_at_the_top_with_links_to_the_fields(owner_client, people):
    absent, declared = people["Absent"], people["Declare"]
    data = {**_grid_data(owner_client), f"p{absent.pk}-hours": "300", f"p{declared.pk}-training_hours": "abc"}
    response = owner_client.post(GRID, data)
    assert response.status_code == 422
    alert = re.search(r'<div class="alert alert--error" role="alert" id="grid-errors">(.*?)</div>', response.text, re.S)
    assert "Corrigez les 2 lignes signalées" in alert[1]
    links = re.findall(r'<li><a href="#([^"]+)" data-focus="([^"]+)">([^<]+)</a> : ([^<]+)</li>', alert[1])
    assert [(href, target) for href, target, _, _ in links] == [
        (f"id_p{absent.pk}-hours", f"id_p{absent.pk}-hours"),
        (f"id_p{declared.pk}-training_hours", f"id_p{declared.pk}-training_hours"),
    ]
    assert links[0][2].startswith("ABSENT ") and links[1][2].startswith("DECLARE ")
    assert "300 h dépasse le maximum légal de 220 h" in links[0][3]
    assert "Saisissez un nombre." in links[1][3]
    # The targets exist, and each field in error points at its row's messages.
    for target in (f"id_p{absent.pk}-hours", f"id_p{declared.pk}-training_hours"):
        field = re.search(rf'<input type="text" [^>]*id="{target}">', response.text)[0]
        assert 'aria-invalid="true"' in field and "aria-describedby=" in field
    assert not HoursRecord.objects.filter(placement=absent).exists()


def test_totals_of_the_lot_after_saving_then_validating(owner_client, structure, lot):
    alpha, bravo = _placement(structure, lot, "Alpha"), _placement(structure, lot, "Bravo")
    data = {**_grid_data(owner_client), f"p{alpha.pk}-hours": "35,25", f"p{bravo.pk}-hours": "20,5"}
    page = owner_client.post(GRID, data, follow=True).text
    assert "2 relevés enregistrés." in page
    assert _totals(page, lot) == {"validated": "0 h", "declared": "55,75 h"}
    # Shown once, after the write; the next plain display of all lots has no totals.
    assert 'id="grid-totals-title"' not in owner_client.get(GRID).text
    record = HoursRecord.objects.get(placement=alpha)
    page = owner_client.post(GRID, {"action": "validate", "review": [f"{record.pk}:{record.version}"]}, follow=True)
    assert _totals(page.text, lot) == {"validated": "35,25 h", "declared": "20,5 h"}
    progress = lots_progress(Lot.objects.filter(pk=lot.pk), today=datetime.date(2025, 4, 1))[0]
    assert progress.achieved_hours == Decimal("35.25")
    target = f"{progress.target_hours:,}".replace(",", "\u202f")
    row = re.search(rf'<tr id="totals-lot-{lot.pk}">(.*?)</tr>', page.text, re.S)[1]
    assert re.sub(r"[\u00a0\u202f ]", "", target) in re.sub(r"[\u00a0\u202f ]", "", row)
    # A grid filtered on the lot always shows its totals.
    assert _totals(owner_client.get(f"{GRID}&lot={lot.pk}").text, lot) == {"validated": "35,25 h", "declared": "20,5 h"}


def _totals(page: str, lot) -> dict[str, str]:
    row = re.search(rf'<tr id="totals-lot-{lot.pk}">(.*?)</tr>', page, re.S)
    assert row, "Les totaux du lot ne sont pas affichés."
    return {
        name: value.replace("\u00a0", " ").replace("\u202f", " ")
        for name, value in re.findall(r'data-total="(\w+)">([^<]*)<', row[1])
    }


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_filtered_display_and_save_run_a_bounded_number_of_queries(owner_client, structure, lot):
    url = f"{GRID}&lot={lot.pk}&status=missing&q=grille"

    def display():
        assert owner_client.get(url).status_code == 200

    def save():
        data = _grid_data(owner_client, url)
        for name in [name for name in data if name.endswith("-hours") and not name.startswith("initial-")]:
            data[name] = "1"
        assert owner_client.post(url, data).status_code == 302
        HoursRecord.objects.all().delete()

    # Each display follows a save (it then shows the totals of the lots saved, once).
    for index in range(3):
        _placement(structure, lot, f"Grille{index}")
    few_save, few_display = _count(save), _count(display)
    for index in range(30):
        _placement(structure, lot, f"Grillebis{index}")
    assert (_count(save), _count(display)) == (few_save, few_display)


def test_validated_totals_use_the_reporting_summary(owner_client, structure, lot, owner):
    """A record validated through the service counts in the totals (the summary the reports read)."""
    alpha = _placement(structure, lot, "Alpha")
    services.declare_month(
        entries=[
            services.HoursEntry(
                placement=alpha, month=MARCH, hours=Decimal("8.5"), training_hours=Decimal("0"), expected_version=0
            )
        ],
        user=owner,
    )
    record = HoursRecord.objects.get()
    services.validate_hours(records=[record], versions={record.pk: record.version}, user=owner)
    assert _totals(owner_client.get(f"{GRID}&lot={lot.pk}").text, lot) == {"validated": "8,5 h", "declared": "0 h"}


def test_grid_rows_cost_no_template_lookup(owner_client, structure, lot, people, monkeypatch):
    """The rows are written by GridRow.html, not looked up by the template row by row (about forty lookups a row
    were most of the page's time): 30 more rows, of every status, add no template variable lookup."""
    from django.template import base

    lookups = []
    original = base.Variable._resolve_lookup

    def counting(self, context):
        lookups.append(self.var)
        return original(self, context)

    monkeypatch.setattr(base.Variable, "_resolve_lookup", counting)

    def count() -> int:
        lookups.clear()
        response = owner_client.get(GRID)
        assert response.status_code == 200
        return len(lookups)

    few = count()
    for index in range(30):
        _placement(structure, lot, f"Lignebis{index}")
    assert count() == few
    page = owner_client.get(GRID).text
    assert page.count('<tr id="row-') == 35
    assert '<span class="muted">Motif : Illisible</span>' in page
