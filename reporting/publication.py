"""Published yearly reports (issue 18, item 1): freeze the figures of a year, read them back, compare them.

- `freeze(report)` turns a reporting.queries.YearlyReport into plain JSON (Decimals as strings, dates in ISO) and
  `thaw(payload)` rebuilds it. Both are driven by the dataclasses' fields and type hints, so a field added to the
  report or to one of its row dataclasses is frozen without touching this module.
- `publish(...)` is the only writer of reporting.models.PublishedReport: it computes the live report over the
  perimeter with the page's code (reporting.background.yearly_report_of, reporting.queries.yearly_report), stores
  it as version n + 1, and never changes an earlier version. The row is its own journal (who, when, hash).
- A published version is shown and downloaded through the public small-count rule (`public_report`, with
  reporting.suppression), while its payload keeps the exact figures, so the differences with the live figures are
  exact and the hash of a version never depends on how the rule displays it.
- `differences(published, live)` compares the tables of both reports (reporting.exports.report_tables): what a
  coordinator sees before publishing a new version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.formatting import french_figure
from markets.models import Market
from organisations.choices import OrganisationKind, Role
from organisations.scoping import pin_current_organisation, user_memberships
from reporting import exports, queries, suppression
from reporting.models import PlacementYear, PublishedReport

FILTER_NAMES = ("department", "buyer_type", "market_type")

# --- Freezing and thawing -----------------------------------------------------------------------------------------


def freeze(value: Any) -> Any:
    """`value` (a dataclass of the report, a list, a dict, a figure) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: freeze(getattr(value, item.name)) for item in dataclasses.fields(value) if item.init}
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if isinstance(value, dict):
        return {str(key): freeze(item) for key, item in value.items()}
    raise TypeError(f"Cannot freeze a {type(value).__name__}")


def thaw(payload: dict) -> queries.YearlyReport:
    """The YearlyReport frozen in `payload`."""
    return _thaw_as(queries.YearlyReport, payload)


def _thaw_as(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        if len(options) != 1:
            raise TypeError(f"Cannot thaw an ambiguous union {hint}")
        return _thaw_as(options[0], value)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        item_hint = args[0] if args else Any
        items = [_thaw_as(item_hint, item) for item in value]
        return items if origin is list else tuple(items)
    if origin is dict:
        key_hint, item_hint = typing.get_args(hint) or (str, Any)
        return {_thaw_as(key_hint, key): _thaw_as(item_hint, item) for key, item in value.items()}
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(
            **{
                item.name: _thaw_as(hints[item.name], value[item.name])
                for item in dataclasses.fields(hint)
                if item.init and item.name in value
            }
        )
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is int and not isinstance(value, bool):
        return int(value)
    return value  # str, bool, Any


def canonical_json(payload: dict) -> bytes:
    """The one byte form of a payload the hash is computed on (sorted keys, no spaces, UTF-8)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(payload: dict) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


# --- Perimeters and rights ---------------------------------------------------------------------------------------


def filters_of(filters: queries.ReportFilters | dict | None) -> dict[str, str]:
    """The page's filters that were given ({"department": "21"}); the région is the perimeter, not a filter."""
    if filters is None:
        return {}
    if isinstance(filters, queries.ReportFilters):
        filters = {name: getattr(filters, name) for name in FILTER_NAMES}
    return {name: str(filters[name]) for name in FILTER_NAMES if filters.get(name)}


def filters_key(filters: dict[str, str]) -> str:
    return "&".join(f"{name}={filters[name]}" for name in sorted(filters))


def _memberships(user, *, region=None, organisation=None):
    region_code = getattr(region, "pk", region)
    for membership in user_memberships(user):
        kind = membership.organisation.kind
        if region_code is not None and kind == OrganisationKind.COORDINATION:
            if membership.organisation.region_id == region_code:
                yield membership
        elif (
            organisation is not None
            and kind == OrganisationKind.FACILITATION
            and membership.organisation_id == organisation.pk
        ):
            yield membership


def can_publish(user, *, region=None, organisation=None) -> bool:
    """A coordinator (admin or member of a coordination of the région) publishes its région; an administrator of a
    facilitation structure publishes the structure's own perimeter. Readers, buyers, companies never publish."""
    if not getattr(user, "is_active", False):
        return False
    allowed = (Role.ADMIN, Role.MEMBER) if region is not None else (Role.ADMIN,)
    return any(m.role in allowed for m in _memberships(user, region=region, organisation=organisation))


def can_read_versions(user, *, region=None, organisation=None) -> bool:
    """Anyone of the coordination of the région, or of the structure, reads its published versions."""
    if not getattr(user, "is_active", False):
        return False
    return any(True for _ in _memberships(user, region=region, organisation=organisation))


def perimeter_of(membership) -> dict | None:
    """The perimeter a membership publishes: {"region": ...} for a coordination, {"organisation": ...} for a
    facilitation structure, None otherwise."""
    if membership is None:
        return None
    organisation = membership.organisation
    if organisation.kind == OrganisationKind.COORDINATION and organisation.region_id:
        return {"region": organisation.region}
    if organisation.kind == OrganisationKind.FACILITATION:
        return {"organisation": organisation}
    return None


def live_report(
    *, year: int, region=None, organisation=None, filters: dict | None = None, through: date | None = None, user=None
) -> queries.YearlyReport:
    """The live report of a perimeter, as its page computes it: a région is what its coordination sees (the rows of
    the région, its markets by place of execution); a structure is what its members see (`user`, a member,
    is read again and pinned to it)."""
    filters = filters or {}
    if region is not None:
        records, markets = PlacementYear.objects.all(), Market.objects.all()
        report_filters = queries.ReportFilters(region=getattr(region, "pk", region), **filters)
    else:
        member = get_user_model().objects.get(pk=user.pk)  # a fresh object: the caller's pin is left alone
        pin_current_organisation(member, organisation.pk)
        records, markets = PlacementYear.objects.visible_to(member), Market.objects.visible_to(member)
        report_filters = queries.ReportFilters(**filters)
    return queries.yearly_report(records=records, markets=markets, year=year, filters=report_filters, through=through)


# --- The service ---------------------------------------------------------------------------------------------------


def publish(
    *,
    user,
    year: int,
    region=None,
    organisation=None,
    filters: queries.ReportFilters | dict | None = None,
    through: date | None = None,
    meta: dict | None = None,
) -> PublishedReport:
    """Freeze the live report of a perimeter, year and filters as its next version (1, 2, ...).

    `through` is the cutoff of a partial (current) year, as on the page; `meta` the header of the downloads
    ({"title", "subtitle", "filters": [[label, value], ...]}). The perimeter row is locked so that two people
    publishing at once get versions n + 1 and n + 2.
    """
    if (region is None) == (organisation is None):
        raise ValueError("Give a region or an organisation, not both.")
    if not can_publish(user, region=region, organisation=organisation):
        raise PermissionDenied("Vous ne pouvez pas publier le bilan de ce périmètre.")
    chosen = filters_of(filters)
    with transaction.atomic():
        perimeter = region if region is not None else organisation
        type(perimeter).objects.select_for_update().filter(pk=perimeter.pk).first()
        report = live_report(
            year=year, region=region, organisation=organisation, filters=chosen, through=through, user=user
        )
        payload = freeze(report)
        existing = PublishedReport.objects.of_perimeter(region=region, organisation=organisation).filter(
            year=year, filters_key=filters_key(chosen)
        )
        last = existing.order_by("-version").values_list("version", flat=True).first() or 0
        return PublishedReport.objects.create(
            region=region,
            organisation=organisation,
            year=year,
            version=last + 1,
            filters=chosen,
            filters_key=filters_key(chosen),
            payload=payload,
            content_hash=content_hash(payload),
            meta=meta or {},
            published_by=user,
            published_at=timezone.now(),
        )


# --- Reading -------------------------------------------------------------------------------------------------------


def versions(*, region=None, organisation=None, year: int | None = None, filters=None):
    """Every version of a perimeter (of a year and filters when given), newest year and version first."""
    rows = PublishedReport.objects.of_perimeter(region=region, organisation=organisation)
    if year is not None:
        rows = rows.filter(year=year)
    if filters is not None:
        rows = rows.filter(filters_key=filters_key(filters_of(filters)))
    return rows.select_related("published_by").order_by("-year", "filters_key", "-version")


def latest(*, year: int, region=None, organisation=None, filters=None) -> PublishedReport | None:
    """The last version of a perimeter, year and filters (no filters: the whole perimeter), or None."""
    return versions(region=region, organisation=organisation, year=year, filters=filters or {}).first()


def published_regions_years(region) -> list[int]:
    """The years of a région with a published report over the whole région (no filter), newest first."""
    return list(
        PublishedReport.objects.of_perimeter(region=region)
        .filter(filters_key="")
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def public_report(published: PublishedReport) -> queries.YearlyReport:
    """The report of a version as anyone may read it: thawed, then the public small-count rule applied."""
    return suppression.suppress_yearly_report(thaw(published.payload))


def export_meta(published: PublishedReport) -> exports.ExportMeta:
    """The header of a version's downloads: as published, dated by its publication (so a file is the same bytes
    whenever it is downloaded)."""
    meta = published.meta or {}
    described = tuple(tuple(pair) for pair in meta.get("filters", ()))
    return exports.ExportMeta(
        title=meta.get("title") or f"Bilan annuel {published.year} des clauses sociales d'insertion",
        subtitle=meta.get("subtitle", ""),
        generated_at=published.published_at,
        filters=(*described, ("Version publiée", f"n° {published.version}, empreinte {published.short_hash}")),
    )


# --- Differences ---------------------------------------------------------------------------------------------------

COMPARED_KINDS = (exports.HOURS, exports.INTEGER, exports.NUMBER, exports.DECIMAL)


@dataclass(frozen=True)
class Difference:
    """One figure that changed since a version was published."""

    table: str  # title of the table ("Par département")
    row: str  # label of the row ("Côte-d'Or", "mai 2025")
    column: str  # header of the column ("Heures 2025")
    kind: str  # reporting.exports kind of the column (hours, integer, ...)
    published: Any  # None when the row did not exist
    live: Any
    change: Decimal


def _number(value) -> Decimal:
    value, _kind = exports.unwrap(value, "")
    if value is None or isinstance(value, str):
        return Decimal(0)
    return Decimal(value)


def _rows_by_label(table: exports.Table) -> dict[str, list]:
    """Rows by their displayed label: the first column, or the leading text columns together where the first repeats
    (the bands: « FSE — 25 à 54 ans », « Clauses sociales — 50 ans et plus »)."""
    records = list(table.records())
    width = 1
    if len({exports.display_text(values[0], table.columns[0].kind) for values in records}) < len(records):
        while width < len(table.columns) and table.columns[width].kind == exports.TEXT:
            width += 1
    return {
        " — ".join(
            exports.display_text(value, column.kind)
            for value, column in zip(values[:width], table.columns[:width], strict=True)
        ): values
        for values in records
    }


def differences(published: queries.YearlyReport, live: queries.YearlyReport) -> list[Difference]:
    """Every figure (hours, counts; not the shares and changes derived from them) that differs between the tables
    of two reports of the same year, table by table and row by row, in the order of the live tables."""
    result = []
    before_tables = {table.code: table for table in exports.report_tables(published)}
    for table in exports.report_tables(live):
        before = before_tables.get(table.code)
        before_rows = _rows_by_label(before) if before else {}
        before_index = {column.key: index for index, column in enumerate(before.columns)} if before else {}
        live_rows = _rows_by_label(table)
        labels = list(live_rows) + [label for label in before_rows if label not in live_rows]
        for label in labels:
            now_values, then_values = live_rows.get(label), before_rows.get(label)
            for index, column in enumerate(table.columns):
                if column.kind not in COMPARED_KINDS:
                    continue
                now = exports.unwrap(now_values[index], column.kind)[0] if now_values else None
                then = None
                if then_values is not None and column.key in before_index:
                    then = exports.unwrap(then_values[before_index[column.key]], column.kind)[0]
                change = _number(now) - _number(then)
                if change:
                    result.append(Difference(table.title, label, column.header, column.kind, then, now, change))
    return result


def hours_change(published: queries.YearlyReport, live: queries.YearlyReport) -> Decimal:
    """Counted hours of the year now, less those published."""
    return live.summary.hours - published.summary.hours


def signed_hours(change: Decimal) -> str:
    """ "+12,5 h", "−3 h", "0 h" (exact to the hundredth, French format)."""
    sign = "+" if change > 0 else ("−" if change < 0 else "")
    return f"{sign}{french_figure(abs(change))}\u00a0h"


def signed_figure(change: Decimal) -> str:
    sign = "+" if change > 0 else ("−" if change < 0 else "")
    return f"{sign}{french_figure(abs(change))}"
