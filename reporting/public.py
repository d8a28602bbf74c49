"""The public page of a région and its open data (issue 18, items 2 and 3): only published figures, only aggregated,
always under the public small-count rule (reporting.suppression.suppress_yearly_report), never a live query of the
summary.

The figures of a région are the latest version of each year of its published reports (reporting.models
.PublishedReport of the région's perimeter, without filters), thawed by reporting.publication. The page shows the
tables of PUBLIC_TABLES, a trend over the published years and the map by département; the open data is the same
tables in one tidy long CSV (one row per figure) described by a Table Schema (frictionless), and the public API
serves the same rows.

Cost: a page or a file is rendered once per set of latest versions and kept in the Django cache under a key made
of their ids (PAGE_KEY): publishing a new version changes the key, so nothing needs to be invalidated; a request
costs two small queries (the région, the ids of its latest versions) and a cache read.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.text import slugify

from reporting import exports, publication, queries, suppression, trends
from reporting.maps import hours_map
from reporting.models import PublishedReport
from reporting.periods import YearPeriod
from territories.models import Department, Region

# The tables of a yearly report shown to the public and published as open data (the figures issue 18 lists:
# synthesis, publics, market types, buyer types, départements). A table is added here once its figures go through
# reporting.suppression (EPCI and QPV stay out: too small areas).
# The headline set and what became of the people (issue 18, items 4 and 5) under the public rule too; not the bands,
# whose rows are named by two columns (the open data's key is one label per row).
PUBLIC_TABLES = (
    "synthese",
    "publics",
    "market_type",
    "buyer_type",
    "department",
    "chiffres_cles",
    "sorties",
    "sorties_fin_publics",
    "sorties_six_mois_publics",
)
TREND_YEARS = trends.TREND_YEARS
CACHE_SECONDS = 24 * 3600  # the key changes with every new version: the cache only needs to outlive a burst
PAGE_KEY = "public:v1:{kind}:{region}:{year}:{versions}"


@dataclass(frozen=True)
class PublishedYear:
    """The latest published version of a year of a région, its figures already under the public rule."""

    region: Region
    year: int
    version: int
    pk: int
    published_at: datetime
    content_hash: str
    report: queries.YearlyReport  # suppressed (reporting.suppression.suppress_yearly_report)

    @property
    def period(self) -> YearPeriod:
        return exports.period_of(self.report)


# --- Régions and their versions --------------------------------------------------------------------------------


def slug_of(region: Region) -> str:
    return slugify(region.name)


def region_of(slug_or_code: str) -> Region | None:
    """The région of a slug ("bourgogne-franche-comte") or an INSEE code ("27"); one query."""
    for region in Region.objects.all():
        if slug_or_code in (region.code, slug_of(region)):
            return region
    return None


def _published(region: Region):
    return PublishedReport.objects.of_perimeter(region=region).filter(filters_key="")


def latest_versions(region: Region) -> dict[int, tuple[int, int]]:
    """{year: (id, version)} of the latest version of each published year of the région (one query, ids only)."""
    latest: dict[int, tuple[int, int]] = {}
    for pk, year, version in _published(region).order_by("year", "-version").values_list("pk", "year", "version"):
        latest.setdefault(year, (pk, version))
    return latest


def versions_key(latest: dict[int, tuple[int, int]]) -> str:
    return "-".join(str(pk) for _year, (pk, _version) in sorted(latest.items())) or "aucune"


def regions_published() -> list[tuple[Region, list[int]]]:
    """The régions with a published report and their published years, most recent first (two queries)."""
    years: dict[str, set[int]] = {}
    rows = PublishedReport.objects.filter(region__isnull=False, filters_key="").values_list("region", "year")
    for code, year in rows.distinct():
        years.setdefault(code, set()).add(year)
    regions = Region.objects.filter(code__in=list(years)).order_by("name")
    return [(region, sorted(years[region.code], reverse=True)) for region in regions]


def published_year(region: Region, *, year: int, version: int | None = None) -> PublishedYear | None:
    """A version of a year (the latest when `version` is None), thawed and under the public rule."""
    published = _published(region).filter(year=year).order_by("-version")
    if version is not None:
        published = published.filter(version=version)
    item = published.first()
    if item is None:
        return None
    report = publication.public_report(item)  # thawed, under the public rule
    return PublishedYear(region, item.year, item.version, item.pk, item.published_at, item.content_hash, report)


# --- Tables ------------------------------------------------------------------------------------------------------


def public_tables(published: PublishedYear) -> list[exports.Table]:
    """The tables of PUBLIC_TABLES of the (already suppressed) report, in the report's order."""
    return [table for table in exports.report_tables(published.report) if table.code in PUBLIC_TABLES]


def trend_and_map(region: Region, selected: PublishedYear, others: list[PublishedYear]) -> trends.Overview:
    """The trend over the published years up to the selected one (at most five), and the map of the selected
    year's hours by département, as a reporting.trends.Overview (rendered by reporting/_overview.html)."""
    by_year = {item.year: item for item in [*others, selected] if selected.year - TREND_YEARS < item.year}
    by_year = {year: item for year, item in by_year.items() if year <= selected.year}
    trend = [
        trends.TrendYear(
            year,
            by_year[year].period.label,
            by_year[year].report.summary.hours,
            by_year[year].report.summary.participants,
            by_year[year].report.publics,
        )
        for year in sorted(by_year)
    ]
    departments = list(Department.objects.filter(region=region).order_by("code").values_list("code", "name"))
    figures = {
        row.key: (row.hours, row.participants) for row in selected.report.breakdowns.get("department", []) if row.key
    }
    title = f"Heures par département en {selected.period.label}"
    return trends.Overview(
        selected.period, trend, trends.trend_tables(trend), hours_map(departments, figures, title=title), title
    )


# --- Open data: one tidy long table -------------------------------------------------------------------------------

UNITS = {
    exports.HOURS: "heures",
    exports.INTEGER: "nombre",
    exports.PERCENT: "proportion",
    exports.DECIMAL: "nombre",
}
# The synthesis mixes kinds in one column: its unit is the line's.
LINE_UNITS = {
    "Heures d'insertion": "heures",
    "Équivalents temps plein (ETP)": "etp",
    "Heures cibles des marchés notifiés": "heures",
}
FIELDS = (
    ("region_code", "string", "Code INSEE de la région", "Code officiel géographique de la région."),
    ("region", "string", "Région", "Nom de la région."),
    ("annee", "integer", "Année", "Année du bilan publié."),
    ("version", "integer", "Version", "Numéro de la version publiée du bilan de l'année (1, 2…)."),
    ("publie_le", "datetime", "Publié le", "Date et heure de publication de la version (ISO 8601, UTC)."),
    ("tableau", "string", "Tableau", "Code du tableau du bilan (synthese, publics, market_type, …)."),
    ("tableau_titre", "string", "Titre du tableau", "Titre du tableau tel qu'il figure sur la page publique."),
    ("ligne", "string", "Ligne", "Libellé de la ligne (indicateur, public, type de marché, département…)."),
    ("indicateur", "string", "Indicateur", "Code de la colonne du tableau (heures_2025, participants_2025, …)."),
    ("indicateur_libelle", "string", "Libellé de l'indicateur", "Titre de la colonne tel qu'il figure sur la page."),
    (
        "valeur",
        "number",
        "Valeur",
        "Le chiffre (point décimal ; heures au centième, proportions entre 0 et 1 arrondies au millième) ; vide "
        "lorsqu'il est masqué ou sans objet.",
    ),
    ("unite", "string", "Unité", "heures, etp, nombre (personnes, contrats, marchés…) ou proportion (0 à 1)."),
    (
        "masque",
        "string",
        "Masqué",
        "« < 5 » : moins de 5 personnes ; « secret » : masqué pour qu'un petit effectif ne puisse pas être "
        "déduit des autres cases (secret statistique) ; vide : chiffre publié.",
    ),
)
HIDDEN_TEXTS = suppression.HIDDEN_LABELS


def schema() -> dict:
    """The Table Schema (frictionless, https://specs.frictionlessdata.io/table-schema/) of the open-data CSV."""
    fields = []
    for name, kind, title, description in FIELDS:
        field: dict = {"name": name, "type": kind, "title": title, "description": description}
        if name in ("region_code", "region", "annee", "version", "publie_le", "tableau", "ligne", "indicateur"):
            field["constraints"] = {"required": True}
        if name == "tableau":
            field["constraints"]["enum"] = list(PUBLIC_TABLES)
        if name == "unite":
            field["constraints"] = {"required": True, "enum": sorted(set(UNITS.values()) | set(LINE_UNITS.values()))}
        if name == "masque":
            field["constraints"] = {"enum": ["", *HIDDEN_TEXTS]}
        if name in ("annee", "version"):
            field["constraints"]["minimum"] = 1
        fields.append(field)
    return {
        "name": "bilan-clauses-sociales",
        "title": "Bilan annuel publié des clauses sociales d'insertion, par région",
        "description": (
            "Un chiffre par ligne (format long) : pour une version publiée du bilan d'une année, chaque case des "
            "tableaux de la page publique. Règle des petits effectifs : aucun chiffre ne porte sur moins de 5 "
            "personnes, ni ne permet de le déduire (colonne masque)."
        ),
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["region_code", "annee", "version", "tableau", "ligne", "indicateur"],
    }


def _unit(table: exports.Table, column: exports.Column, label: str) -> str:
    if table.code in ("synthese", "chiffres_cles") and column.kind == exports.NUMBER:
        return LINE_UNITS.get(label, "nombre")
    return UNITS.get(column.kind, "nombre")


def data_rows(published: PublishedYear) -> Iterator[dict]:
    """One dict per figure of the public tables, typed (valeur: a number or None), in FIELDS order."""
    region = published.region
    for table in public_tables(published):
        label_column, *columns = table.columns
        columns = [column for column in columns if column.kind != exports.TEXT]  # codes: the label says it
        for row in table.rows:
            label = exports.display_text(label_column.value(row), label_column.kind)
            for column in columns:
                value, kind = exports.unwrap(column.value(row), column.kind)
                hidden = value if isinstance(value, str) and value in HIDDEN_TEXTS else ""
                number = None if value is None or isinstance(value, str) else exports.json_cell(value, kind)
                yield {
                    "region_code": region.code,
                    "region": region.name,
                    "annee": published.year,
                    "version": published.version,
                    "publie_le": published.published_at.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                    "tableau": table.code,
                    "tableau_titre": table.title,
                    "ligne": label,
                    "indicateur": column.key,
                    "indicateur_libelle": column.header,
                    "valeur": number,
                    "unite": _unit(table, column, label),
                    "masque": hidden,
                }


def _csv_number(value) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")


def csv_text(published: PublishedYear) -> str:
    """The open-data CSV: UTF-8 without BOM, comma separator, decimal point, header of FIELDS names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name, *_rest in FIELDS])
    for row in data_rows(published):
        writer.writerow([_csv_cell(name, row[name]) for name, *_rest in FIELDS])
    return buffer.getvalue()


def _csv_cell(name: str, value):
    """The number written plainly; a text (labels: names of publics, départements, types) never read as a formula."""
    if name == "valeur":
        return _csv_number(value)
    return exports.neutralise_formula(value) if isinstance(value, str) else value


def etag_of(key: str) -> str:
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
