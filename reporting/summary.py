"""Writes of the reporting summary table (reporting.models.PlacementYear), and its comparison with the detail.

The rows of a placement are always recomputed from its validated hours records, never adjusted by
increments: `refresh` deletes them and inserts the result of one grouped SELECT (INSERT … SELECT, nothing goes
through Python), so the table cannot drift from the records whatever wrote them. The services that write
records or placements call `refresh` in their transaction; `rebuild` recomputes everything (seeders,
`manage.py rebuild_summary`); `differences` lists the rows that disagree with the detail.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models import BooleanField, Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear

from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from reporting.models import MONTHS, PlacementYear, hours_column, training_column

CHUNK = 5000
HOURS = PlacementYear._meta.get_field("hours")
ZERO = Value(Decimal("0"), output_field=HOURS)

# Columns copied from the placement, its lot, clause, market and buyer, as (summary column, expression from
# HoursRecord).
MARKET = "placement__lot__market__"
COPIED_COLUMNS: tuple[tuple[str, object], ...] = (
    ("beneficiary_id", "placement__beneficiary_id"),
    ("lot_id", "placement__lot_id"),
    ("contractor_id", "placement__lot__contractor_id"),
    ("market_id", "placement__lot__market_id"),
    ("buyer_id", f"{MARKET}buyer_id"),
    ("buyer_type", f"{MARKET}buyer__buyer_type"),
    ("market_type", f"{MARKET}market_type"),
    ("region_id", f"{MARKET}execution_commune__department__region_id"),
    ("department_id", f"{MARKET}execution_commune__department_id"),
    ("epci_id", f"{MARKET}execution_commune__epci_id"),
    ("mechanism", Coalesce(F("placement__lot__clause__mechanism"), Value(""))),
    (
        "counts_training_hours",
        Coalesce(F("placement__lot__clause__counts_training_hours"), Value(False), output_field=BooleanField()),
    ),
    ("modality", "placement__modality"),
    ("is_woman", "placement__is_woman"),
    ("is_youth", "placement__is_youth"),
    ("is_senior", "placement__is_senior"),
    ("is_qpv_resident", "placement__is_qpv_resident"),
    ("is_rqth", "placement__is_rqth"),
    ("is_long_term_job_seeker", "placement__is_long_term_job_seeker"),
    ("is_rsa", "placement__is_rsa"),
    ("qpv_at_start_id", "placement__qpv_at_start_id"),
)
VALUE_COLUMNS = (
    "records",
    "hours",
    "training_hours",
    *(hours_column(month) for month in MONTHS),
    *(training_column(month) for month in MONTHS),
)


def _sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition, output_field=HOURS), ZERO, output_field=HOURS)


ALIAS = "s_"  # annotation names may not clash with HoursRecord's own fields (hours, training_hours)


def detail_rows(records=None):
    """The summary rows computed from the validated records: a values() queryset with one row per placement
    and year, whose keys are the summary's column names prefixed with ALIAS (placement_id excepted)."""
    records = HoursRecord.objects.all() if records is None else records
    values = {
        "year": ExtractYear("month"),
        **{name: F(source) if isinstance(source, str) else source for name, source in COPIED_COLUMNS},
    }
    totals = {"records": Count("pk"), "hours": _sum("hours"), "training_hours": _sum("training_hours")}
    for month in MONTHS:
        in_month = Q(month__month=month)
        totals[hours_column(month)] = _sum("hours", in_month)
        totals[training_column(month)] = _sum("training_hours", in_month)
    return (
        records.filter(status=HoursStatus.VALIDATED)
        .order_by()
        .values("placement_id", **{ALIAS + name: value for name, value in values.items()})
        .annotate(**{ALIAS + name: value for name, value in totals.items()})
    )


def _column(name: str) -> str:
    return name.removeprefix(ALIAS)


def _insert_select(queryset, using: str) -> None:
    """INSERT INTO the summary the rows of a `detail_rows` queryset, in one statement."""
    query = queryset.query
    columns = [_column(name) for name in (*query.values_select, *query.annotation_select)]
    sql, params = query.get_compiler(using).as_sql()
    connection = connections[using]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(PlacementYear._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql}", params)  # table and column names come from the models


def refresh(placement_ids: Iterable[int]) -> None:
    """Recompute the summary rows of these placements from their records (call it in the writing
    transaction, after the write)."""
    ids = sorted({int(pk) for pk in placement_ids if pk is not None})
    if not ids:
        return
    using = router.db_for_write(PlacementYear)
    with transaction.atomic(using=using):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            PlacementYear.objects.using(using).filter(placement_id__in=chunk).delete()
            _insert_select(detail_rows(HoursRecord.objects.using(using).filter(placement_id__in=chunk)), using)


def _refresh_rows(rows) -> None:
    refresh(rows.order_by().values_list("placement_id", flat=True).distinct())


def refresh_lots(lot_ids: Iterable[int]) -> None:
    """After a lot or its clause changed (contractor, mechanism, whether training hours count)."""
    _refresh_rows(PlacementYear.objects.filter(lot__in=list(lot_ids)))


def refresh_markets(market_ids: Iterable[int]) -> None:
    """After a market changed (buyer, type, execution commune)."""
    ids = list(market_ids)
    _refresh_rows(PlacementYear.objects.filter(Q(market__in=ids) | Q(lot__market__in=ids)))


def refresh_organisations(organisation_ids: Iterable[int]) -> None:
    """After an organisation changed (a buyer's type)."""
    _refresh_rows(PlacementYear.objects.filter(buyer__in=list(organisation_ids)))


def refresh_after_edit(instance) -> None:
    """Refresh the rows that copy an edited market, lot, clause or organisation (no-op for other models, and
    cheap when nothing is copied from the instance yet)."""
    from clauses.models import Clause
    from markets.models import Lot, Market
    from organisations.models import Organisation

    if isinstance(instance, Market):
        refresh_markets([instance.pk])
    elif isinstance(instance, Lot):
        refresh_lots([instance.pk])
    elif isinstance(instance, Clause):
        refresh_lots([instance.lot_id])
    elif isinstance(instance, Organisation):
        refresh_organisations([instance.pk])


def _same(column: str, source: str) -> Q:
    return Q(**{column: F(source)}) | Q(**{f"{column}__isnull": True, f"{source}__isnull": True})


def refresh_stale() -> int:
    """Refresh the rows whose copied attributes no longer match their lot, market, buyer or territory (after a
    reference data update, or a write that bypassed the services); returns how many placements were refreshed.
    One query over the whole table: for maintenance, not for every request."""
    market = "lot__market__"
    in_step = (
        Q(contractor=F("lot__contractor"))
        & Q(market=F("lot__market"))
        & Q(buyer=F(f"{market}buyer"))
        & Q(buyer_type=F(f"{market}buyer__buyer_type"))
        & Q(market_type=F(f"{market}market_type"))
        & Q(department=F(f"{market}execution_commune__department"))
        & Q(region=F(f"{market}execution_commune__department__region"))
        & _same("epci", f"{market}execution_commune__epci")
        & (Q(mechanism=F("lot__clause__mechanism")) | Q(mechanism="", lot__clause__isnull=True))
        & (
            Q(counts_training_hours=F("lot__clause__counts_training_hours"))
            | Q(counts_training_hours=False, lot__clause__isnull=True)
        )
    )
    stale = list(
        PlacementYear.objects.exclude(pk__in=PlacementYear.objects.filter(in_step).values("pk"))
        .values_list("placement_id", flat=True)
        .distinct()
    )
    refresh(stale)
    return len(stale)


# Tables the summary is computed from (see detail_rows).
SOURCE_MODELS = (
    "beneficiaries.HoursRecord",
    "beneficiaries.Placement",
    "markets.Lot",
    "markets.Market",
    "clauses.Clause",
    "organisations.Organisation",
    "territories.Commune",
    "territories.Department",
)


def _analyze(connection, labels) -> None:
    """Refresh PostgreSQL's statistics: rows bulk-inserted in the same transaction (a seeder) have none, and
    the grouped join then runs as nested loops for minutes instead of hash joins for seconds."""
    from django.apps import apps

    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(apps.get_model(label)._meta.db_table) for label in labels)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def rebuild() -> int:
    """Recompute the whole summary from the records; returns the number of rows."""
    using = router.db_for_write(PlacementYear)
    connection = connections[using]
    with transaction.atomic(using=using):
        _analyze(connection, SOURCE_MODELS)
        PlacementYear.objects.using(using).all().delete()
        _insert_select(detail_rows(HoursRecord.objects.using(using).all()), using)
        _analyze(connection, ["reporting.PlacementYear"])
        return PlacementYear.objects.using(using).count()


def _key(row: dict) -> tuple:
    return (row["placement_id"], int(row["year"]))


def _normalised(row: dict) -> dict:
    values = {name: row[name] for name, _lookup in COPIED_COLUMNS}
    for name in VALUE_COLUMNS:
        values[name] = Decimal(row[name]).quantize(Decimal("0.01")) if name != "records" else int(row[name])
    return values


def differences(placement_ids: Iterable[int] | None = None) -> list[str]:
    """Disagreements between the summary and the detailed records (empty when they agree), in French."""
    records = HoursRecord.objects.all()
    stored = PlacementYear.objects.all()
    if placement_ids is not None:
        ids = list(placement_ids)
        records = records.filter(placement_id__in=ids)
        stored = stored.filter(placement_id__in=ids)
    expected = {
        _key(row): _normalised(row)
        for row in ({_column(name): value for name, value in raw.items()} for raw in detail_rows(records))
    }
    actual = {
        _key(row): _normalised(row)
        for row in stored.values("placement_id", "year", *(name for name, _ in COPIED_COLUMNS), *VALUE_COLUMNS)
    }
    problems = []
    for key in sorted(expected.keys() | actual.keys()):
        placement, year = key
        if key not in actual:
            problems.append(f"Contrat {placement}, {year} : absent de la synthèse.")
        elif key not in expected:
            problems.append(f"Contrat {placement}, {year} : présent dans la synthèse sans relevé validé.")
        elif expected[key] != actual[key]:
            columns = sorted(name for name in expected[key] if expected[key][name] != actual[key][name])
            problems.append(f"Contrat {placement}, {year} : écart sur {', '.join(columns)}.")
    return problems
