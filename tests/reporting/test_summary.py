"""The reporting summary (one row per placement and year) always equals the detailed hours records.

Every writing service is run in turn, and after each step the summary is compared with the records in two
independent ways: `summary.differences()` (column by column) and totals computed here straight from the
records with the ORM.
"""

import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db.models import BooleanField, Count, DateField, PositiveSmallIntegerField
from rest_framework.test import APIClient

from beneficiaries import services
from beneficiaries.choices import HoursStatus, Modality, Sex
from beneficiaries.models import HoursRecord
from beneficiaries.services import HoursEntry
from clauses.models import Clause
from clauses.services import CLAUSE_FIELDS, save_clause
from reporting import queries, summary
from reporting.models import PlacementYear
from territories.models import Commune
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.organisations.factories import CompanyFactory, UserFactory
from tests.territories.factories import CommuneFactory, DepartmentFactory, EpciFactory, QpvFactory, RegionFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def place(lot, *, beneficiary=None, modality=Modality.HIRE_CDD, start=date(2024, 6, 1), end=date(2026, 6, 30)):
    return services.start_placement(
        beneficiary=beneficiary or BeneficiaryFactory(),
        lot=lot,
        employer=lot.contractor,
        modality=modality,
        start_date=start,
        end_date=end,
    )


def lot_of(**clause):
    dates = {"lot__market__start_date": date(2024, 1, 1), "lot__market__end_date": date(2026, 12, 31)}
    return ClauseFactory(**dates, **clause).lot


def counted_record(**fields) -> HoursRecord:
    """A validated record on a lot that carries a clause (hours count only there, DOMAIN.md §5)."""
    return HoursRecordFactory(placement__lot=ClauseFactory().lot, **fields)


def detail_totals(year: int) -> dict:
    """Hours, people and contracts of a year computed straight from the records (no summary)."""
    records = HoursRecord.objects.filter(status=HoursStatus.VALIDATED, month__year=year)
    counted = 0
    for hours, training, counts in records.values_list(
        "hours", "training_hours", "placement__lot__clause__counts_training_hours"
    ):
        counted += hours + (training if counts else 0)
    people = records.aggregate(n=Count("placement__beneficiary", distinct=True))["n"]
    contracts = records.aggregate(n=Count("placement", distinct=True))["n"]
    return {"hours": D(counted), "participants": people, "contracts": contracts}


def report_totals(year: int) -> dict:
    result = queries.summary(PlacementYear.objects.all(), year=year)
    return {"hours": result.hours, "participants": result.participants, "contracts": result.contracts}


def assert_in_step():
    assert summary.differences() == []
    for year in (2024, 2025, 2026):
        assert report_totals(year) == detail_totals(year)


def test_every_service_keeps_the_summary_equal_to_the_records():
    user = UserFactory()
    lot = lot_of(counts_training_hours=True)
    alice = place(lot, beneficiary=BeneficiaryFactory(sex=Sex.FEMALE))
    bruno = place(lot)
    assert PlacementYear.objects.count() == 0

    # A grid: records are declared, nothing counts yet.
    results = services.declare_month(
        entries=[
            HoursEntry(
                placement=alice,
                month=date(2025, 3, 1),
                hours=D("100"),
                training_hours=D("10"),
                expected_version=services.UNCHECKED,
            ),
            HoursEntry(placement=alice, month=date(2024, 12, 1), hours=D("20"), expected_version=services.UNCHECKED),
            HoursEntry(placement=bruno, month=date(2025, 3, 1), hours=D("0"), expected_version=services.UNCHECKED),
        ],
        user=user,
    )
    assert PlacementYear.objects.count() == 0
    assert_in_step()

    # Validation: the rows appear, month by month; a 0 h record still counts the person.
    services.validate_hours(records=[result.record for result in results], user=user, versions=services.UNCHECKED)
    row = PlacementYear.objects.get(placement=alice, year=2025)
    assert (row.records, row.hours, row.training_hours, row.hours_03, row.training_03, row.hours_04) == (
        1,
        D("100"),
        D("10"),
        D("100"),
        D("10"),
        D("0"),
    )
    assert row.is_woman and row.beneficiary_id == alice.beneficiary_id and row.lot_id == lot.pk
    assert PlacementYear.objects.get(placement=alice, year=2024).hours_12 == D("20")
    assert PlacementYear.objects.get(placement=bruno, year=2025).records == 1
    assert report_totals(2025) == {"hours": D("110"), "participants": 2, "contracts": 2}
    assert_in_step()

    # A validated record declared again goes back to "declared": it leaves the summary until validated.
    services.declare_hours(
        entry=HoursEntry(placement=alice, month=date(2025, 3, 1), hours=D("90"), expected_version=services.UNCHECKED),
        user=user,
    )
    assert not PlacementYear.objects.filter(placement=alice, year=2025).exists()
    assert_in_step()
    services.validate_hours(
        records=HoursRecord.objects.filter(placement=alice, month=date(2025, 3, 1)),
        user=user,
        versions=services.UNCHECKED,
    )
    assert PlacementYear.objects.get(placement=alice, year=2025).hours == D("90")
    assert_in_step()

    # A rejected record never counts.
    entry = HoursEntry(placement=bruno, month=date(2025, 4, 1), hours=D("35"), expected_version=services.UNCHECKED)
    declared = services.declare_hours(entry=entry, user=user)
    services.reject_hours(records=[declared.record], user=user, reason="Heures en double", versions=services.UNCHECKED)
    assert PlacementYear.objects.get(placement=bruno, year=2025).hours == D("0")
    assert_in_step()

    # Changing the placement (modality, start date with publics frozen again) moves its rows.
    services.update_placement(placement=bruno, modality=Modality.HIRE_CDI)
    assert set(PlacementYear.objects.filter(placement=bruno).values_list("modality", flat=True)) == {Modality.HIRE_CDI}
    assert_in_step()


def test_training_hours_follow_the_clause():
    user = UserFactory()
    lot = lot_of(counts_training_hours=False)
    placement = place(lot)
    results = services.declare_month(
        entries=[
            HoursEntry(
                placement=placement,
                month=date(2025, 5, 1),
                hours=D("50"),
                training_hours=D("7"),
                expected_version=services.UNCHECKED,
            )
        ],
        user=user,
    )
    services.validate_hours(records=[results[0].record], user=user, versions=services.UNCHECKED)
    assert report_totals(2025)["hours"] == D("50")
    clause = lot.clause
    fields = {name: getattr(clause, name) for name in CLAUSE_FIELDS}
    save_clause(lot=lot, **{**fields, "counts_training_hours": True, "mechanism": "award_criterion"})
    assert report_totals(2025)["hours"] == D("57") == detail_totals(2025)["hours"]
    assert [(point.month, point.hours) for point in queries.monthly_hours(PlacementYear.objects.all(), year=2025)] == [
        (date(2025, 5, 1), D("57"))
    ]
    assert [row.key for row in queries.by_dimension(PlacementYear.objects.all(), year=2025, dimension="mechanism")] == [
        "award_criterion"
    ]
    assert_in_step()


def test_random_operations_keep_the_summary_in_step():
    rng = random.Random(20261124)
    user = UserFactory()
    lots = [lot_of(counts_training_hours=rng.random() < 0.5) for _ in range(3)]
    placements = [place(rng.choice(lots)) for _ in range(8)]
    months = [date(year, month, 1) for year in (2024, 2025, 2026) for month in range(1, 13)]
    months = [month for month in months if date(2024, 6, 1) <= month <= date(2026, 6, 1)]
    for _step in range(25):
        entries = {}
        for placement in rng.sample(placements, 4):
            month = rng.choice(months)
            entries[(placement.pk, month)] = HoursEntry(
                placement=placement,
                month=month,
                hours=D(rng.randrange(0, 15000)) / 100,
                training_hours=D(rng.choice([0, 0, 500, 1250])) / 100,
                expected_version=services.UNCHECKED,
            )
        services.declare_month(entries=list(entries.values()), user=user)
        declared = list(HoursRecord.objects.filter(status=HoursStatus.DECLARED))
        chosen = rng.sample(declared, min(len(declared), 3))
        if rng.random() < 0.7:
            services.validate_hours(records=chosen, user=user, versions=services.UNCHECKED)
        else:
            services.reject_hours(records=chosen, user=user, reason="Relevé à corriger", versions=services.UNCHECKED)
        assert summary.differences() == []
    assert PlacementYear.objects.exists()
    for year in (2024, 2025, 2026):
        assert report_totals(year) == detail_totals(year)


def test_differences_reports_a_summary_out_of_step():
    first = counted_record(month=date(2025, 3, 1), hours=D("100"))
    second = counted_record(month=date(2025, 4, 1), hours=D("40"))
    assert summary.differences() == []
    PlacementYear.objects.filter(placement=first.placement).update(hours=D("99"), hours_03=D("99"))
    PlacementYear.objects.filter(placement=second.placement).delete()
    stray = PlacementYear.objects.get(placement=first.placement)
    stray.pk, stray.year = None, 2019
    stray.save()
    assert summary.differences() == [
        f"Contrat {first.placement_id}, 2019 : présent dans la synthèse sans relevé validé.",
        f"Contrat {first.placement_id}, 2025 : écart sur hours, hours_03.",
        f"Contrat {second.placement_id}, 2025 : absent de la synthèse.",
    ]
    assert summary.rebuild() == 2
    assert summary.differences() == []


def test_rebuild_summary_command(capsys):
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    PlacementYear.objects.all().delete()
    with pytest.raises(SystemExit) as excinfo:
        call_command("rebuild_summary", "--check")
    assert excinfo.value.code == 1
    out = capsys.readouterr().out
    assert f"Contrat {record.placement_id}, 2025 : absent de la synthèse." in out
    call_command("rebuild_summary")
    assert "1 ligne" in capsys.readouterr().out
    call_command("rebuild_summary", "--check")
    assert "La synthèse est conforme aux relevés détaillés" in capsys.readouterr().out


def test_market_edits_through_the_web_form_move_the_hours(owner_client, market, structure):
    placement = PlacementFactory(lot=ClauseFactory(lot__market=market).lot)
    HoursRecordFactory(placement=placement, month=date(2025, 3, 1), hours=D("100"))
    commune = CommuneFactory()
    payload = {
        "reference": market.reference,
        "title": market.title,
        "buyer": market.buyer_id,
        "facilitator": structure.pk,
        "market_type": "supplies",
        "execution_commune": commune.code,
        "notified_on": "15/12/2024",
        "start_date": "2025-01-01",
        "end_date": "2026-12-31",
        "amount_excl_vat": "1 000 000",
    }
    response = owner_client.post(f"/marches/{market.pk}/modifier/", payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = PlacementYear.objects.get(placement=placement)
    assert (row.market_type, row.department_id, row.epci_id) == ("supplies", commune.department_id, commune.epci_id)
    rows = queries.by_dimension(PlacementYear.objects.all(), year=2025, dimension="market_type")
    assert [(row.key, row.hours) for row in rows] == [("supplies", D("100"))]
    assert summary.differences() == []


def test_a_buyer_type_changed_by_the_api_and_a_contractor_by_the_admin(admin_client):
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    buyer = record.placement.lot.market.buyer
    assert PlacementYear.objects.get(placement=record.placement).buyer_type == buyer.buyer_type != "state"
    # API (a superuser reaches the write path shared by every plain model).
    api = APIClient()
    api.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    response = api.patch(f"/api/v1/organisations/{buyer.pk}/", {"buyer_type": "state"}, format="json")
    assert response.status_code == 200, response.content
    assert PlacementYear.objects.get(placement=record.placement).buyer_type == "state"
    assert summary.differences() == []
    # Admin: the lot's contractor.
    lot = record.placement.lot
    other = CompanyFactory()
    response = admin_client.get(f"/admin/markets/lot/{lot.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(contractor=other.pk, start_date="01/01/2025", end_date="31/12/2026")
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[management.add_prefix(name)] = management.initial.get(name, field.initial)
        for inline in formset.formset.initial_forms:  # the lot's clause, as displayed
            for name, field in inline.fields.items():
                value = inline.initial.get(name, field.initial)
                if value is not None and not isinstance(value, bool):
                    data[inline.add_prefix(name)] = getattr(value, "pk", value)
                elif value:
                    data[inline.add_prefix(name)] = "on"
    response = admin_client.post(f"/admin/markets/lot/{lot.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PlacementYear.objects.get(placement=record.placement).contractor_id == other.pk
    assert summary.differences() == []


def test_refresh_stale_follows_a_commune_moving_to_another_epci():
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    commune = record.placement.lot.market.execution_commune
    new_epci = EpciFactory(code="200070308", name="Beaune Côte et Sud")
    Commune.objects.filter(pk=commune.pk).update(epci=new_epci)  # as a reference data reload does
    assert summary.differences() == [f"Contrat {record.placement_id}, 2025 : écart sur epci_id."]
    assert summary.refresh_stale() == 1
    assert PlacementYear.objects.get(placement=record.placement).epci_id == new_epci.pk
    assert summary.differences() == []
    assert summary.refresh_stale() == 0


def test_hours_count_only_on_a_lot_that_carries_a_clause():
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    lot = record.placement.lot
    clause = Clause.objects.get(lot=lot)
    fields = {name: getattr(clause, name) for name in CLAUSE_FIELDS}
    assert report_totals(2025)["hours"] == D("100")

    # The clause is removed, then the lot refreshed (what the clause-removal service does): nothing counts.
    clause.delete()
    assert summary.differences() == [
        f"Contrat {record.placement_id}, 2025 : présent dans la synthèse sans relevé validé."
    ]
    summary.refresh_lots([lot.pk])
    assert not PlacementYear.objects.filter(lot=lot).exists()
    assert summary.differences() == []
    # A rebuild does not bring them back under "Non renseigné".
    assert summary.rebuild() == 0
    assert report_totals(2025)["hours"] == 0
    assert queries.by_dimension(PlacementYear.objects.all(), year=2025, dimension="mechanism") == []

    # The lot gets a clause again: its hours count again (refresh_lots finds placements that had no row).
    save_clause(lot=lot, **fields)
    assert PlacementYear.objects.get(placement=record.placement).hours == D("100")
    assert summary.differences() == []

    # refresh_stale also drops the rows of a lot that lost its clause behind the services' back.
    Clause.objects.filter(lot=lot).delete()
    assert summary.refresh_stale() == 1
    assert not PlacementYear.objects.exists()
    assert summary.differences() == []


def test_refresh_stale_checks_every_copied_column():
    """Every column of PlacementYear is a key, a value (records and hours) or a copied column, and tampering
    with any copied column is found and repaired by refresh_stale: a new copied field it does not compare
    fails here."""
    copied = [
        field.attname
        for field in PlacementYear._meta.concrete_fields
        if field.attname not in {"id", "placement_id", "year", *summary.VALUE_COLUMNS}
    ]
    assert sorted(copied) == sorted(name for name, _source in summary.COPIED_COLUMNS)
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    donor = HoursRecordFactory(placement__lot=ClauseFactory().lot)
    # One more of each territory (the factories share one by default).
    DepartmentFactory(code="25", name="Doubs", region=RegionFactory(code="84", name="Auvergne-Rhône-Alpes"))
    EpciFactory(code="200070308", name="Beaune Côte et Sud")
    QpvFactory()
    fields = {field.attname: field for field in PlacementYear._meta.concrete_fields}
    for name in copied:
        row = PlacementYear.objects.get(placement=record.placement)
        field, current = fields[name], getattr(row, name)
        if isinstance(field, BooleanField):
            changed = not current
        elif field.is_relation:
            changed = getattr(PlacementYear.objects.get(placement=donor.placement), name)
            if changed in (None, current):
                changed = field.related_model.objects.exclude(pk=current).values_list("pk", flat=True)[0]
        elif isinstance(field, PositiveSmallIntegerField):
            changed = (current or 0) + 1
        elif isinstance(field, DateField):
            changed = current + timedelta(days=1)
        else:
            changed = "autre"
        assert changed != current, name
        PlacementYear.objects.filter(pk=row.pk).update(**{name: changed})
        assert summary.differences() == [f"Contrat {record.placement_id}, 2025 : écart sur {name}."]
        assert summary.refresh_stale() == 1, name
        assert summary.differences() == [], name


def test_differences_are_computed_by_ranges_of_placements_and_capped(monkeypatch):
    records = [counted_record(month=date(2025, month, 1), hours=D("10")) for month in (3, 4, 5)]
    PlacementYear.objects.update(hours=D("1"))
    expected = [f"Contrat {record.placement_id}, 2025 : écart sur hours." for record in records]
    assert summary.differences() == expected
    monkeypatch.setattr(summary, "COMPARE_SPAN", 1)  # one query per placement id: same answer, same order
    assert summary.differences() == expected
    comparison = summary.compare(limit=2)
    assert (comparison.problems, comparison.total) == (expected[:2], 3)
    assert summary.differences([records[1].placement_id]) == expected[1:2]


def test_the_data_migration_fills_an_empty_summary(django_assert_num_queries):
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from reporting.summary import fill_if_empty

    loader = MigrationLoader(connection)
    migration = loader.get_migration("reporting", "0002_fill_summary")
    assert migration.operations[0].code is fill_if_empty
    editor = SimpleNamespace(connection=connection)
    # 0002 leaves the filling to 0007, which adds the last column the summary copies: nothing there.
    counted_record(month=date(2025, 3, 1), hours=D("1"))
    PlacementYear.objects.all().delete()
    with django_assert_num_queries(0):
        fill_if_empty(loader.project_state(("reporting", "0002_fill_summary")).apps, editor)
    HoursRecord.objects.all().delete()
    migration = loader.get_migration("reporting", "0007_summary_end_date")
    assert fill_if_empty in [getattr(operation, "code", None) for operation in migration.operations]
    historical = loader.project_state(("reporting", "0007_summary_end_date")).apps
    # A new database: two cheap queries, nothing written.
    with django_assert_num_queries(2):
        fill_if_empty(historical, editor)
    # An upgraded database: records, an empty summary.
    record = counted_record(month=date(2025, 3, 1), hours=D("100"))
    counted_record(month=date(2025, 4, 1), hours=D("40"), status=HoursStatus.DECLARED)
    PlacementYear.objects.all().delete()
    fill_if_empty(historical, editor)
    assert list(PlacementYear.objects.values_list("placement_id", "hours")) == [(record.placement_id, D("100"))]
    assert summary.differences() == []
    # Run again: the summary is filled, one query and nothing touched.
    with django_assert_num_queries(1):
        fill_if_empty(historical, editor)


def test_rebuild_summary_check_lists_the_first_disagreements_and_counts_them_all(capsys, monkeypatch):
    from reporting.management.commands import rebuild_summary

    records = [counted_record(month=date(2025, month, 1), hours=D("10")) for month in (3, 4)]
    PlacementYear.objects.all().delete()
    monkeypatch.setattr(rebuild_summary, "SHOWN", 1)
    with pytest.raises(SystemExit):
        call_command("rebuild_summary", "--check")
    assert capsys.readouterr().out.splitlines() == [
        f"Contrat {records[0].placement_id}, 2025 : absent de la synthèse.",
        "… et 1 autres écarts.",
        "2 écart(s) : lancez « manage.py rebuild_summary » pour recalculer.",
    ]


def _row_versions(placement) -> dict:
    """{year: (row id, PostgreSQL's xmin: the transaction that last wrote the row, or None)} of a placement."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    rows = PlacementYear.objects.filter(placement=placement)
    if connection.vendor == "postgresql":
        rows = rows.annotate(written_by=RawSQL("xmin::text", []))
        return {year: (pk, xmin) for year, pk, xmin in rows.values_list("year", "pk", "written_by")}
    return {year: (pk, None) for year, pk in rows.values_list("year", "pk")}


def test_a_refresh_rewrites_only_the_years_whose_records_changed():
    """Issue 19: importing 2026 hours rewrote the 2024 and 2025 rows of the same placement (delete and insert
    of every year). Now an untouched year keeps its row (same id, and on PostgreSQL the same xmin: not
    written at all); a changed year is updated in place; a year left without record is deleted."""
    from django.db import transaction

    user = UserFactory()
    placement = place(lot_of())

    def validated(month, hours):
        entry = HoursEntry(placement=placement, month=month, hours=D(hours), expected_version=services.UNCHECKED)
        with transaction.atomic():  # one transaction per write, as in a request (a new xmin each)
            record = services.declare_hours(entry=entry, user=user).record
            services.validate_hours(records=[record], user=user, versions=services.UNCHECKED)
        return record

    validated(date(2024, 11, 1), "20")
    validated(date(2025, 3, 1), "35")
    before = _row_versions(placement)
    assert sorted(before) == [2024, 2025]

    validated(date(2026, 1, 1), "12")  # the 2026 hours of the same placement
    after = _row_versions(placement)
    assert sorted(after) == [2024, 2025, 2026]
    assert (after[2024], after[2025]) == (before[2024], before[2025])
    assert_in_step()

    validated(date(2025, 4, 1), "7")  # a new month of 2025: its row is updated in place
    again = _row_versions(placement)
    assert again[2025][0] == after[2025][0]
    if again[2025][1] is not None:  # PostgreSQL: written again
        assert again[2025][1] != after[2025][1]
    assert (again[2024], again[2026]) == (after[2024], after[2026])
    assert PlacementYear.objects.get(placement=placement, year=2025).hours == D("42")
    assert_in_step()

    # The only 2024 record declared again: the 2024 row goes, the others stay.
    services.declare_hours(
        entry=HoursEntry(
            placement=placement, month=date(2024, 11, 1), hours=D("21"), expected_version=services.UNCHECKED
        ),
        user=user,
    )
    assert sorted(_row_versions(placement)) == [2025, 2026]
    assert _row_versions(placement)[2026] == again[2026]
    assert_in_step()


def test_the_summary_rows_carry_both_structures_that_see_them():
    """The structure perimeter is copied on the rows (the market's facilitation structure and the one that
    follows the person) and follows a person moved to another structure."""
    from organisations.models import OrganisationKind
    from tests.organisations.factories import OrganisationFactory

    record = counted_record(month=date(2025, 3, 1), hours=D("10"))
    placement = record.placement
    row = PlacementYear.objects.get(placement=placement)
    assert (row.facilitator_id, row.structure_id) == (
        placement.lot.market.facilitator_id,
        placement.beneficiary.structure_id,
    )
    other = OrganisationFactory(kind=OrganisationKind.FACILITATION)
    services.update_beneficiary(beneficiary=placement.beneficiary, structure=other)
    assert PlacementYear.objects.get(placement=placement).structure_id == other.pk
    assert summary.differences() == []


def test_the_summary_has_autovacuum_settings_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("réglages d'autovacuum propres à PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [PlacementYear._meta.db_table])
        options = dict(option.split("=") for option in cursor.fetchone()[0])
    assert options == summary.AUTOVACUUM_SETTINGS


def test_the_rebuild_analyses_every_table_its_query_reads():
    """A seeder bulk-inserts, then rebuilds the summary in the same transaction: a joined table left without
    statistics (the people's table, joined for the structure and the qualification level) made PostgreSQL plan
    nested loops that ran for more than 15 minutes in CI. The ANALYZE before the rebuild covers every table of its
    query."""
    from django.apps import apps

    query = summary.detail_rows().query
    query.get_compiler("default").as_sql()  # resolves the joins
    read = {join.table_name for alias, join in query.alias_map.items() if query.alias_refcount[alias]}
    analysed = {apps.get_model(label)._meta.db_table for label in summary.SOURCE_MODELS}
    assert "beneficiaries_beneficiary" in read
    assert read <= analysed, sorted(read - analysed)
