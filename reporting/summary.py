"""Writes of the reporting summary table (reporting.models.PlacementYear), and its comparison with the detail.

The rows of a placement are always recomputed from its validated hours records, never adjusted by
increments: `refresh` writes the result of one grouped SELECT (INSERT … SELECT … ON CONFLICT DO UPDATE, nothing
goes through Python), so the table cannot drift from the records whatever wrote them. Only the rows that
differ are written (an update keeps the row's id; a year whose records did not change is not touched: importing
2026 hours leaves the 2024–2025 rows of the same placements as they were, no dead row for them), and the years
left without counted record are deleted. Hours count only on a lot that carries a clause (DOMAIN.md §5): a
placement whose lot has no clause has no row.

Who calls what (inside the writing transaction, after the write):
- `refresh(placement_ids)`: after records or placements changed (hours services, placement services);
- `refresh_lots(lot_ids)`: after a lot or its clause changed, was created or removed;
- `refresh_markets(market_ids)`: after a market changed (buyer, type, execution commune);
- `refresh_organisations(organisation_ids)`: after an organisation changed (a buyer's type);
- `refresh_stale()`: after a reference data load (communes, départements), or to repair;
- `rebuild()`: everything (seeders, `manage.py rebuild_summary`, the data migration);
- `compare()` / `differences()`: the rows that disagree with the detail, computed in SQL by ranges of ids.

Concurrency (PostgreSQL, READ COMMITTED). `refresh` first takes `FOR SHARE` locks on every parent row it
copies, table by table in a fixed order (placement, person, lot, clause, market, buyer, commune, département),
each by increasing key, and only then runs its INSERT … SELECT, whose snapshot therefore sees the parents as they
will stay until commit. The writers of those parents hold a row lock on them (their UPDATE or DELETE, and
`refresh_lots` / `refresh_markets` / `refresh_organisations` take `FOR NO KEY UPDATE` before they look for the
rows to refresh): a writer that comes second waits for the validation to commit, then sees and refreshes its
rows; a validation that comes second waits for the writer, then copies the new values. SQLite serialises
writers, so nothing is needed there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections, router, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear

from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord, Placement
from reporting.models import MONTHS, PlacementYear, hours_column, training_column

CHUNK = 5000
# Placement ids per query of `compare` (a range of ids, so each query reads a bounded slice of both sides).
COMPARE_SPAN = 20_000
# Disagreements `differences` returns at most (the count of all of them is in `compare().total`).
DIFFERENCES_LIMIT = 1000
HOURS = PlacementYear._meta.get_field("hours")
ZERO = Value(Decimal("0"), output_field=HOURS)

# Columns copied from the placement, its lot, clause, market, buyer and territory, as (summary column, path
# from HoursRecord). The same path read from PlacementYear (which has a `placement` too) gives the source of a
# stored row: refresh_stale compares every one of them.
MARKET = "placement__lot__market__"
COPIED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("beneficiary_id", "placement__beneficiary_id"),
    ("lot_id", "placement__lot_id"),
    ("contractor_id", "placement__lot__contractor_id"),
    ("market_id", "placement__lot__market_id"),
    ("buyer_id", f"{MARKET}buyer_id"),
    ("buyer_type", f"{MARKET}buyer__buyer_type"),
    ("facilitator_id", f"{MARKET}facilitator_id"),
    ("structure_id", "placement__beneficiary__structure_id"),
    ("market_type", f"{MARKET}market_type"),
    ("region_id", f"{MARKET}execution_commune__department__region_id"),
    ("department_id", f"{MARKET}execution_commune__department_id"),
    ("epci_id", f"{MARKET}execution_commune__epci_id"),
    ("mechanism", "placement__lot__clause__mechanism"),
    ("counts_training_hours", "placement__lot__clause__counts_training_hours"),
    ("modality", "placement__modality"),
    ("is_woman", "placement__is_woman"),
    ("is_youth", "placement__is_youth"),
    ("is_senior", "placement__is_senior"),
    ("is_qpv_resident", "placement__is_qpv_resident"),
    ("is_rqth", "placement__is_rqth"),
    ("is_long_term_job_seeker", "placement__is_long_term_job_seeker"),
    ("is_rsa", "placement__is_rsa"),
    ("qpv_at_start_id", "placement__qpv_at_start_id"),
    ("age_at_start", "placement__age_at_start"),
    ("end_date", "placement__end_date"),
    ("qualification_level", "placement__beneficiary__qualification_level"),
)
VALUE_COLUMNS = (
    "records",
    "hours",
    "training_hours",
    *(hours_column(month) for month in MONTHS),
    *(training_column(month) for month in MONTHS),
)
# Records that count: validated, on a lot that carries a clause (DOMAIN.md §5).
COUNTED = Q(status=HoursStatus.VALIDATED, placement__lot__clause__isnull=False)


def _sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition, output_field=HOURS), ZERO, output_field=HOURS)


ALIAS = "s_"  # annotation names may not clash with HoursRecord's own fields (hours, training_hours)


def detail_rows(records=None):
    """The summary rows computed from the counted records: a values() queryset with one row per placement
    and year, whose keys are the summary's column names prefixed with ALIAS (placement_id excepted).

    `records` may be a queryset of a historical HoursRecord (the data migration)."""
    records = HoursRecord.objects.all() if records is None else records
    values = {"year": ExtractYear("month"), **{name: F(source) for name, source in COPIED_COLUMNS}}
    totals = {"records": Count("pk"), "hours": _sum("hours"), "training_hours": _sum("training_hours")}
    for month in MONTHS:
        in_month = Q(month__month=month)
        totals[hours_column(month)] = _sum("hours", in_month)
        totals[training_column(month)] = _sum("training_hours", in_month)
    return (
        records.filter(COUNTED)
        .order_by()
        .values("placement_id", **{ALIAS + name: value for name, value in values.items()})
        .annotate(**{ALIAS + name: value for name, value in totals.items()})
    )


def _column(name: str) -> str:
    return name.removeprefix(ALIAS)


def _insert_select(queryset, using: str, table: str = PlacementYear._meta.db_table) -> None:
    """INSERT INTO the summary the rows of a `detail_rows` queryset, in one statement."""
    query = queryset.query
    columns = [_column(name) for name in (*query.values_select, *query.annotation_select)]
    sql, params = query.get_compiler(using).as_sql()
    connection = connections[using]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        # table and column names come from the models
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) {sql}", params)


def _upsert_select(queryset, using: str) -> None:
    """Write the rows of a `detail_rows` queryset into the summary, in one statement: a new (placement, year) is
    inserted, an existing one updated only where a column differs (the row keeps its id; an equal row is not
    written at all). PostgreSQL and SQLite (3.24+) share the syntax."""
    query = queryset.query
    columns = [_column(name) for name in (*query.values_select, *query.annotation_select)]
    sql, params = query.get_compiler(using).as_sql()
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(PlacementYear._meta.db_table)
    changed = [column for column in columns if column not in ("placement_id", "year")]
    assignments = ", ".join(f"{quote(column)} = excluded.{quote(column)}" for column in changed)
    # NULL-safe comparison: IS DISTINCT FROM on PostgreSQL, IS NOT on SQLite.
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    differs = " OR ".join(f"{table}.{quote(column)} {distinct} excluded.{quote(column)}" for column in changed)
    # `WHERE true`: SQLite's parser needs a WHERE before ON CONFLICT in an INSERT … SELECT.
    names = ", ".join(quote(column) for column in columns)
    upsert = f"ON CONFLICT (placement_id, year) DO UPDATE SET {assignments} WHERE {differs}"
    statement = f"INSERT INTO {table} ({names}) SELECT * FROM ({sql}) AS detail WHERE true {upsert}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # names come from the models, values are parameters


def _years_without_records(placement_ids: list[int], using: str):
    """The stored rows of these placements whose year has no counted record any more."""
    from django.db.models import Exists, OuterRef

    counted = (
        HoursRecord.objects.using(using)
        .filter(COUNTED, placement_id=OuterRef("placement_id"))
        .annotate(record_year=ExtractYear("month"))
        .filter(record_year=OuterRef("year"))
    )
    return PlacementYear.objects.using(using).filter(placement_id__in=placement_ids).exclude(Exists(counted))


def _lock_parents(placement_ids: list[int], using: str) -> None:
    """`SELECT … FOR SHARE` the parents of these placements' rows (PostgreSQL; see the module docstring), table by
    table in the fixed order, each by a list of keys read from the rows just locked: plain index look-ups (nested
    `IN (SELECT …)` were planned as scans of the communes on rows without statistics)."""
    from beneficiaries.models import Beneficiary
    from clauses.models import Clause
    from markets.models import Lot, Market
    from organisations.models import Organisation
    from territories.models import Commune, Department

    connection = connections[using]
    if connection.vendor != "postgresql":
        return

    def share(model, keys, *columns, by="pk"):
        keys = sorted({key for key in keys if key is not None})
        if not keys:
            return []
        queryset = model.objects.using(using).filter(**{f"{by}__in": keys}).order_by("pk").values_list("pk", *columns)
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} FOR SHARE", params)
            return cursor.fetchall()

    placements = share(Placement, placement_ids, "lot_id", "beneficiary_id")
    share(Beneficiary, [person for _, _, person in placements])
    lots = [lot for _, lot, _ in placements]
    markets = [market for _, market in share(Lot, lots, "market_id")]
    share(Clause, lots, by="lot_id")
    market_rows = share(Market, markets, "buyer_id", "execution_commune_id")
    share(Organisation, [buyer for _, buyer, _ in market_rows])
    communes = share(Commune, [commune for _, _, commune in market_rows], "department_id")
    share(Department, [department for _, department in communes])


def _lock_for_write(queryset) -> list:
    """The keys of these rows, locked `FOR NO KEY UPDATE` by increasing key (writers of the parents)."""
    return list(queryset.order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))


def refresh(placement_ids: Iterable[int]) -> None:
    """Recompute the summary rows of these placements from their records (call it in the writing
    transaction, after the write): only the rows that differ are written."""
    ids = sorted({int(pk) for pk in placement_ids if pk is not None})
    if not ids:
        return
    using = router.db_for_write(PlacementYear)
    with transaction.atomic(using=using):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            _lock_parents(chunk, using)
            _years_without_records(chunk, using).delete()
            _upsert_select(detail_rows(HoursRecord.objects.using(using).filter(placement_id__in=chunk)), using)


def _placements_of(placements, rows) -> set[int]:
    """The placements to refresh: those of the changed parents, and those whose stored rows copy them (a
    row may outlive the link, e.g. a lot that lost its clause)."""
    ids = set(placements.order_by().values_list("pk", flat=True))
    ids.update(rows.order_by().values_list("placement_id", flat=True).distinct())
    return ids


def refresh_lots(lot_ids: Iterable[int]) -> None:
    """After a lot or its clause changed, was created or removed (contractor, mechanism, whether training
    hours count, whether the lot carries a clause at all)."""
    from markets.models import Lot

    using = router.db_for_write(PlacementYear)
    with transaction.atomic(using=using):
        ids = _lock_for_write(Lot.objects.using(using).filter(pk__in=list(lot_ids)))
        refresh(
            _placements_of(
                Placement.objects.using(using).filter(lot__in=ids),
                PlacementYear.objects.using(using).filter(lot__in=ids),
            )
        )


def refresh_markets(market_ids: Iterable[int]) -> None:
    """After a market changed (buyer, type, execution commune)."""
    from markets.models import Market

    using = router.db_for_write(PlacementYear)
    with transaction.atomic(using=using):
        ids = _lock_for_write(Market.objects.using(using).filter(pk__in=list(market_ids)))
        refresh(
            _placements_of(
                Placement.objects.using(using).filter(lot__market__in=ids),
                PlacementYear.objects.using(using).filter(Q(market__in=ids) | Q(lot__market__in=ids)),
            )
        )


def refresh_organisations(organisation_ids: Iterable[int]) -> None:
    """After an organisation changed (a buyer's type)."""
    from organisations.models import Organisation

    using = router.db_for_write(PlacementYear)
    with transaction.atomic(using=using):
        ids = _lock_for_write(Organisation.objects.using(using).filter(pk__in=list(organisation_ids)))
        refresh(
            _placements_of(
                Placement.objects.using(using).filter(lot__market__buyer__in=ids),
                PlacementYear.objects.using(using).filter(buyer__in=ids),
            )
        )


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


def stale_condition() -> Q:
    """Rows of PlacementYear whose copied columns no longer all equal their sources (one by one, from
    COPIED_COLUMNS), or whose lot no longer carries a clause."""
    in_step = Q(placement__lot__clause__isnull=False)
    for column, source in COPIED_COLUMNS:
        in_step &= Q(**{column: F(source)}) | Q(**{f"{column}__isnull": True, f"{source}__isnull": True})
    return ~Q(pk__in=PlacementYear.objects.filter(in_step).values("pk"))


def refresh_stale() -> int:
    """Refresh the rows whose copied attributes no longer match their placement, lot, clause, market, buyer or
    territory (after a reference data update, or a write that bypassed the services); returns how many
    placements were refreshed. One query over the whole table: for maintenance, not for every request."""
    stale = list(PlacementYear.objects.filter(stale_condition()).values_list("placement_id", flat=True).distinct())
    refresh(stale)
    return len(stale)


# Tables the summary is computed from (see detail_rows).
# Every table the rebuild's INSERT … SELECT reads (tests/reporting/test_summary.py checks it against the query).
SOURCE_MODELS = (
    "beneficiaries.HoursRecord",
    "beneficiaries.Placement",
    "beneficiaries.Beneficiary",
    "markets.Lot",
    "markets.Market",
    "clauses.Clause",
    "organisations.Organisation",
    "territories.Commune",
    "territories.Department",
)


def _analyze(connection, tables) -> None:
    """Refresh PostgreSQL's statistics: rows bulk-inserted in the same transaction (a seeder) have none, and
    the grouped join then runs as nested loops for minutes instead of hash joins for seconds."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(table) for table in tables)}")


def _rebuild(using: str, hours_model, summary_model) -> int:
    connection = connections[using]
    with transaction.atomic(using=using):
        # The models may be historical ones (the data migration): only their tables are read here.
        from django.apps import apps

        _analyze(connection, [apps.get_model(label)._meta.db_table for label in SOURCE_MODELS])
        summary_model.objects.using(using).all().delete()
        _insert_select(detail_rows(hours_model.objects.using(using).all()), using, summary_model._meta.db_table)
        _analyze(connection, [summary_model._meta.db_table])
        return summary_model.objects.using(using).count()


def rebuild() -> int:
    """Recompute the whole summary from the records; returns the number of rows."""
    return _rebuild(router.db_for_write(PlacementYear), HoursRecord, PlacementYear)


def fill_if_empty(apps, schema_editor) -> None:
    """Data migration: fill the summary of an upgraded database (records exist, the summary is empty). Two
    cheap queries and nothing else on an empty database or an already filled summary; safe to run again."""
    hours_model = apps.get_model("beneficiaries", "HoursRecord")
    summary_model = apps.get_model("reporting", "PlacementYear")
    using = schema_editor.connection.alias
    stored = {field.column for field in summary_model._meta.concrete_fields}
    if any(name not in stored for name, _source in COPIED_COLUMNS):
        return  # an older state of the table (migration 0002): the migration that adds the columns fills it
    if summary_model.objects.using(using).exists():
        return
    if not hours_model.objects.using(using).filter(status=HoursStatus.VALIDATED).exists():
        return
    _rebuild(using, hours_model, summary_model)


def fill_structures(apps, schema_editor) -> None:
    """Data migration 0004: copy the market's facilitation structure and the person's on the existing rows (one
    UPDATE, correlated look-ups by primary key; nothing to do on an empty table)."""
    from django.db.models import OuterRef, Subquery

    summary_model = apps.get_model("reporting", "PlacementYear")
    placement_model = apps.get_model("beneficiaries", "Placement")
    using = schema_editor.connection.alias
    of_row = placement_model.objects.using(using).filter(pk=OuterRef("placement_id"))
    summary_model.objects.using(using).update(
        facilitator_id=Subquery(of_row.values("lot__market__facilitator_id")[:1]),
        structure_id=Subquery(of_row.values("beneficiary__structure_id")[:1]),
    )


# Autovacuum of the summary on PostgreSQL (migration 0004). The defaults wait for 20 % of the table to be dead
# (133,000 rows at national volume) before a vacuum, and 10 % changed before an analyze: reports then read
# tens of thousands of dead rows (Île-de-France: 582 ms before a manual VACUUM, 380 ms after; issue 19). Here
# a vacuum after 2 % (+ 1,000) dead rows, an analyze after 1 % (+ 1,000) changed, and an insert-driven vacuum
# (which keeps the visibility map, hence index-only scans, current) after 2 % inserted.
AUTOVACUUM_SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0.02",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.01",
    "autovacuum_analyze_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0.02",
    "autovacuum_vacuum_insert_threshold": "1000",
}


def _alter_storage(schema_editor, clause: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return  # SQLite has no autovacuum settings
    table = connection.ops.quote_name(PlacementYear._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} {clause}")


def set_autovacuum(apps, schema_editor) -> None:
    settings_ = ", ".join(f"{name} = {value}" for name, value in AUTOVACUUM_SETTINGS.items())
    _alter_storage(schema_editor, f"SET ({settings_})")


def unset_autovacuum(apps, schema_editor) -> None:
    _alter_storage(schema_editor, f"RESET ({', '.join(AUTOVACUUM_SETTINGS)})")


@dataclass(frozen=True)
class Comparison:
    problems: list[str]  # the first `limit` disagreements, in French, by placement and year
    total: int  # how many there are in all


def _bounds(using: str) -> tuple[int, int] | None:
    from django.db.models import Max, Min

    low, high = None, None
    for queryset in (HoursRecord.objects.using(using), PlacementYear.objects.using(using)):
        found = queryset.aggregate(low=Min("placement_id"), high=Max("placement_id"))
        if found["low"] is not None:
            low = found["low"] if low is None else min(low, found["low"])
            high = found["high"] if high is None else max(high, found["high"])
    return None if low is None else (low, high)


def _compare_sql(records, stored, using: str) -> tuple[str, list]:
    """One statement: the detailed aggregation FULL OUTER JOIN the stored rows, only the rows that disagree,
    with one 0/1 flag per column."""
    connection = connections[using]
    quote = connection.ops.quote_name
    detail_sql, detail_params = detail_rows(records).query.get_compiler(using).as_sql()
    columns = [name for name, _source in COPIED_COLUMNS] + list(VALUE_COLUMNS)
    stored_sql, stored_params = (
        stored.order_by().values_list("placement_id", "year", *columns).query.get_compiler(using).as_sql()
    )
    flags = []
    for name in columns:
        detail, actual = f"d.{quote(ALIAS + name)}", f"s.{quote(name)}"
        if name in VALUE_COLUMNS and name != "records":
            detail, actual = f"ROUND({detail}, 2)", f"ROUND({actual}, 2)"
        flags.append(f"({detail} IS NOT DISTINCT FROM {actual})")
    year = f"d.{quote(ALIAS + 'year')}"
    select = ", ".join(
        [
            f"COALESCE(d.placement_id, s.placement_id), COALESCE({year}, s.year)",
            "s.placement_id IS NULL, d.placement_id IS NULL",
            *(f"CASE WHEN {flag} THEN 0 ELSE 1 END" for flag in flags),
        ]
    )
    on = f"d.placement_id = s.placement_id AND {year} = s.year"
    where = f"s.placement_id IS NULL OR d.placement_id IS NULL OR NOT ({' AND '.join(flags)})"
    # Names come from the models, values are parameters.
    sql = f"SELECT {select} FROM ({detail_sql}) d FULL OUTER JOIN ({stored_sql}) s ON {on} WHERE {where} ORDER BY 1, 2"  # noqa: S608
    return sql, [*detail_params, *stored_params]


def compare(placement_ids: Iterable[int] | None = None, *, limit: int | None = DIFFERENCES_LIMIT) -> Comparison:
    """Disagreements between the summary and the detailed records, computed by the database (a FULL OUTER
    JOIN of the detailed aggregation and the table), one range of placement ids at a time: memory stays
    bounded whatever the volume. Keeps the first `limit` messages (all of them with None) and counts all."""
    using = router.db_for_write(PlacementYear)
    records, stored = HoursRecord.objects.using(using), PlacementYear.objects.using(using)
    if placement_ids is not None:
        ids = sorted({int(pk) for pk in placement_ids})
        slices = [(records.filter(placement_id__in=ids), stored.filter(placement_id__in=ids))]
    else:
        bounds = _bounds(using)
        slices = []
        if bounds is not None:
            for low in range(bounds[0], bounds[1] + 1, COMPARE_SPAN):
                span = {"placement_id__gte": low, "placement_id__lt": low + COMPARE_SPAN}
                slices.append((records.filter(**span), stored.filter(**span)))
    columns = [name for name, _source in COPIED_COLUMNS] + list(VALUE_COLUMNS)
    problems: list[str] = []
    total = 0
    with connections[using].cursor() as cursor:
        for records_slice, stored_slice in slices:
            sql, params = _compare_sql(records_slice, stored_slice, using)
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(1000):
                for placement, year, missing, extra, *flags in batch:
                    total += 1
                    if limit is not None and len(problems) >= limit:
                        continue
                    year = int(year)
                    if missing:
                        problems.append(f"Contrat {placement}, {year} : absent de la synthèse.")
                    elif extra:
                        problems.append(f"Contrat {placement}, {year} : présent dans la synthèse sans relevé validé.")
                    else:
                        wrong = sorted(name for name, flag in zip(columns, flags, strict=True) if flag)
                        problems.append(f"Contrat {placement}, {year} : écart sur {', '.join(wrong)}.")
    return Comparison(problems=problems, total=total)


def differences(placement_ids: Iterable[int] | None = None, *, limit: int | None = DIFFERENCES_LIMIT) -> list[str]:
    """Disagreements between the summary and the detailed records (empty when they agree), in French; the
    first `limit` of them (see `compare` for their total)."""
    return compare(placement_ids, limit=limit).problems
