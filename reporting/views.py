"""Dashboards, the end-of-contract bilan of a market and the yearly report, with their exports.

Views stay thin: the perimeter is `visible_to(request.user)`, the figures come from reporting.queries through
reporting.dashboards, and pages and exports render the same declarative tables (reporting.exports).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.routers import reporting_database
from markets.models import Lot, Market
from organisations.scoping import current_membership, current_organisation, scope_of
from reporting import background, dashboards, exports, public_views, publication, queries, trends
from reporting.forms import DashboardFilterForm, ReportFilterForm, region_codes_of
from reporting.models import ExportRequest, ExportStatus, PlacementYear, PublishedReport

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv", "pdf", "json")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json; charset=utf-8",
}


def export_response(fmt: str, tables: list[exports.Table], meta: exports.ExportMeta, filename: str):
    """Serve the tables in a format; the CSV is streamed line by line."""
    if fmt not in FORMATS:
        raise Http404("Format d'export inconnu.")
    if fmt == "csv":
        response = StreamingHttpResponse(exports.iter_csv(tables, meta), content_type=CONTENT_TYPES["csv"])
    elif fmt == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(tables, meta), content_type=CONTENT_TYPES["xlsx"])
    elif fmt == "json":
        import json

        body = json.dumps(exports.json_document(tables, meta), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type=CONTENT_TYPES["json"])
    else:
        body = exports.pdf_bytes("reporting/pdf.html", pdf_context(tables, meta))
        response = HttpResponse(body, content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def pdf_context(tables: list[exports.Table], meta: exports.ExportMeta) -> dict:
    return {"meta": meta, "tables": exports.rendered_tables(tables, svg=True)}


def _perimeter_name(request) -> str:
    scope = scope_of(request.user)
    if scope.is_superuser and not scope.organisation_ids:
        return "Toutes les organisations"
    organisation = current_organisation(request)
    return organisation.name if organisation else ""


# --- Dashboards ------------------------------------------------------------------------------------------------


LOTS_PER_PAGE = 25
MARKETS_PER_PAGE = 25


def _dashboard(request):
    """The dashboard of what the user sees, and its lots table filtered and sorted as asked (all pages)."""
    user = request.user
    if scope_of(user).is_empty:
        raise Http404("Aucune organisation.")
    form = DashboardFilterForm(request.GET or None, user=user)
    board = dashboards.dashboard(
        records=PlacementYear.objects.visible_to(user),
        lots=Lot.objects.visible_to(user),
        year=form.selected_year(),
        today=timezone.localdate(),
        suppress=dashboards.must_suppress_small_counts(user),
    )
    return form, board, form.lots(board.progress)


# Columns of the lots table kept apart in the exports (XLSX, CSV, JSON) only, so that the table fits a 1,366 px
# screen: on the page the « Risque » badge sits in the status cell, and the projection at the recent pace is left to
# the exports (the legend explains it); the need per month and the best month that decide the risk stay.
EXPORT_ONLY_LOT_COLUMNS = {"risque", "projection_recente"}


def _screen_lot_columns(board) -> list[int]:
    """Indexes of the LOT_COLUMNS shown on screen: the buyer's column only when the perimeter has several."""
    several_buyers = len({item.lot.market.buyer_id for item in board.progress}) > 1
    return [
        i
        for i, column in enumerate(exports.LOT_COLUMNS)
        if (several_buyers or column.key != "acheteur") and column.key not in EXPORT_ONLY_LOT_COLUMNS
    ]


def _sort_headers(form, indexes: list[int]) -> list[dict]:
    """Headers of the lots table with the sort each link asks for (a second click reverses it)."""
    current, descending = form.sort_key()
    headers = []
    for column in (exports.LOT_COLUMNS[i] for i in indexes):
        active = column.key == current
        headers.append(
            {
                "key": column.key,
                "text": column.header,
                "numeric": column.kind != exports.TEXT,
                "sort": f"-{column.key}" if active and not descending else column.key,
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return headers


@require_GET
@reporting_database()
def dashboard(request):
    """Buyer or facilitation structure dashboard over what the current organisation sees."""
    form, board, lots = _dashboard(request)
    page_obj = Paginator(lots, LOTS_PER_PAGE).get_page(request.GET.get("page"))
    # The lots table shows one page; the other tables and the key figures cover the whole perimeter.
    tables = exports.rendered_tables(exports.dashboard_tables(replace(board, progress=list(page_obj.object_list))))
    lots_table = next(table for table in tables if table.code == "lots")
    indexes = _screen_lot_columns(board)
    context = {
        "form": form,
        "board": board,
        "markets_page": Paginator(board.markets, MARKETS_PER_PAGE).get_page(request.GET.get("marches")),
        "perimeter": _perimeter_name(request),
        "tables": [table for table in tables if table.code != "lots"],
        "lots_table": lots_table,
        # Each cell with its header, which labels it when the table is laid out as cards on a phone.
        "lot_rows": [
            (item, [(row[i], exports.LOT_COLUMNS[i].header) for i in indexes])
            for item, row in zip(page_obj.object_list, lots_table.rows, strict=True)
        ],
        "lots_count": len(lots),
        "page_obj": page_obj,
        "sort_headers": _sort_headers(form, indexes),
        "status_index": [exports.LOT_COLUMNS[i].key for i in indexes].index("statut"),
        "period": form.period(),
        # The coordinator's view of the region (trend, both years, map): reporting/_overview.html.
        "overview": trends.overview(
            records=PlacementYear.objects.visible_to(request.user),
            period=form.period(),
            regions=region_codes_of(request.user),
        )
        if scope_of(request.user).region_codes
        else None,
    }
    return render(request, "reporting/dashboard.html", context)


@require_GET
@reporting_database()
def dashboard_export(request, fmt: str):
    form, board, lots = _dashboard(request)
    meta = exports.ExportMeta(
        title=f"Tableau de bord {board.year}", subtitle=_perimeter_name(request), filters=form.described()
    )
    tables = exports.dashboard_tables(replace(board, progress=lots))
    if fmt == "pdf":
        tables = exports.attention_lots_only(tables)
    return export_response(fmt, tables, meta, f"tableau-de-bord-{board.year}")


def _bilan(request, pk: int):
    user = request.user
    market = get_object_or_404(Market.objects.visible_to(user).select_related("buyer", "execution_commune"), pk=pk)
    return dashboards.market_bilan(
        market=market,
        records=PlacementYear.objects.visible_to(user),
        today=timezone.localdate(),
        suppress=dashboards.must_suppress_small_counts(user),
    )


def _bilan_meta(bilan) -> exports.ExportMeta:
    market = bilan.market
    return exports.ExportMeta(
        title=f"Bilan du marché {market.reference}",
        subtitle=f"{market.title} — {market.buyer.name}",
        filters=(
            ("Exécution", f"du {market.start_date:%d/%m/%Y} au {market.end_date:%d/%m/%Y}"),
            ("Commune d'exécution", market.execution_commune.name),
        ),
    )


@require_GET
@reporting_database()
def market_bilan(request, pk: int):
    bilan = _bilan(request, pk)
    context = {"bilan": bilan, "market": bilan.market, "tables": exports.rendered_tables(exports.bilan_tables(bilan))}
    return render(request, "reporting/market_bilan.html", context)


@require_GET
@reporting_database()
def market_bilan_pdf(request, pk: int):
    bilan = _bilan(request, pk)
    return export_response("pdf", exports.bilan_tables(bilan), _bilan_meta(bilan), f"bilan-{bilan.market.reference}")


@require_GET
@reporting_database()
def market_bilan_export(request, pk: int, fmt: str):
    """The bilan of a market as XLSX, CSV or JSON: the same tables and figures as its page and its PDF."""
    bilan = _bilan(request, pk)
    return export_response(fmt, exports.bilan_tables(bilan), _bilan_meta(bilan), f"bilan-{bilan.market.reference}")


# --- The yearly report -----------------------------------------------------------------------------------------


def _report_parameters(request):
    """The form of the yearly report and what its export depends on (reporting.background.report_parameters)."""
    user = request.user
    if not dashboards.can_see_yearly_report(user):
        raise Http404("Le bilan annuel est réservé aux coordinations et aux structures de facilitation.")
    form = ReportFilterForm(request.GET or request.POST or None, user=user)
    period = form.period()
    parameters = background.report_parameters(
        period=period,
        filters=queries.ReportFilters(
            department=form.value_of("department") or None,
            buyer_type=form.value_of("buyer_type") or None,
            market_type=form.value_of("market_type") or None,
        ),
        title=f"Bilan annuel {period.label} des clauses sociales d'insertion",
        subtitle=_perimeter_name(request),
        described=form.described(),
    )
    return form, parameters


def _report(request):
    form, parameters = _report_parameters(request)
    report, meta = background.yearly_report_of(request.user, parameters)
    return form, report, meta


def _filters_of(form) -> queries.ReportFilters:
    return queries.ReportFilters(
        department=form.value_of("department") or None,
        buyer_type=form.value_of("buyer_type") or None,
        market_type=form.value_of("market_type") or None,
    )


def _read_yearly_report(request):
    """The figures of the yearly report page (called through reporting_database(): on the replica when fit, run
    again on the primary when a read fails there)."""
    form, report, meta = _report(request)
    period = form.period()
    filters = _filters_of(form)
    overview = trends.overview(
        records=PlacementYear.objects.visible_to(request.user),
        period=period,
        regions=region_codes_of(request.user),
        report=report,
        filters=filters,
    )
    return form, report, meta, period, filters, overview


def _yearly_report_page(request, *, publish_error: str = "", status: int = 200):
    """The yearly report page; with the publication block (versions, differences, « Publier ce bilan ») for a
    coordination or a facilitation structure. The figures are read through reporting_database(); the published
    versions outside it, on the primary (a replica's lag must not hide a version just published)."""
    form, report, meta, period, filters, overview = reporting_database()(_read_yearly_report)(request)
    report_filters = [(field.html_name, field.value()) for field in form if field.value() not in (None, "")]
    context = {
        "form": form,
        "report": report,
        "period": period,
        "filtered": any((filters.department, filters.buyer_type, filters.market_type)),
        "meta": meta,
        "tables": exports.rendered_tables(exports.report_tables(report)),
        "overview": overview,
        "query_string": request.GET.urlencode() if request.method == "GET" else urlencode(report_filters),
        "formats": FORMATS,
        # XLSX and PDF of a région or of the country are prepared in the background (reporting.background).
        "background_formats": [fmt for fmt in FORMATS if background.runs_in_background(request.user, fmt)],
        "report_filters": report_filters,
        "publication": _publication_context(request, report, filters, publish_error),
    }
    return render(request, "reporting/yearly_report.html", context, status=status)


def _perimeter(request) -> dict | None:
    """The perimeter the current organisation publishes ({"region": ...} or {"organisation": ...}), if the user
    may read its versions; else None."""
    perimeter = publication.perimeter_of(current_membership(request))
    if perimeter is None or not publication.can_read_versions(request.user, **perimeter):
        return None
    return perimeter


def _publication_context(request, report, filters, publish_error: str) -> dict | None:
    perimeter = _perimeter(request)
    if perimeter is None:
        return None
    latest = publication.latest(year=report.year, filters=filters, **perimeter)
    context = {
        "can_publish": publication.can_publish(request.user, **perimeter),
        "versions": list(publication.versions(**perimeter)),
        "latest": latest,
        "error": publish_error,
        "differences": [],
    }
    if latest is not None:
        published = publication.thaw(latest.payload)
        context["change"] = publication.signed_hours(publication.hours_change(published, report))
        context["differences"] = [
            {
                "table": item.table,
                "row": item.row,
                "column": item.column,
                "published": "—" if item.published is None else exports.display_text(item.published, item.kind),
                "live": "—" if item.live is None else exports.display_text(item.live, item.kind),
                "change": publication.signed_figure(item.change),
            }
            for item in publication.differences(published, report)
        ]
    return context


@require_GET
def yearly_report(request):
    return _yearly_report_page(request)


@require_POST
def yearly_report_publish(request):
    """« Publier ce bilan »: freeze the figures of the page (year, filters, perimeter) as a new version, after the
    person ticked the confirmation; back to the page, which lists the version."""
    form, parameters = _report_parameters(request)
    perimeter = _perimeter(request)
    if perimeter is None or not publication.can_publish(request.user, **perimeter):
        raise Http404("Seules les coordinations et les administrateur·rices d'une structure publient un bilan.")
    if form.is_bound and not form.is_valid():
        return _yearly_report_page(request, publish_error="Corrigez les filtres avant de publier.", status=400)
    if request.POST.get("confirmer") != "oui":
        return _yearly_report_page(request, publish_error="Cochez la confirmation pour publier ce bilan.", status=400)
    period = form.period()
    published = publication.publish(
        user=request.user,
        year=period.year,
        filters=_filters_of(form),
        through=period.cutoff,
        meta={"title": parameters["title"], "subtitle": parameters["subtitle"], "filters": parameters["filters"]},
        **perimeter,
    )
    if published.region_id is not None:
        _warm_public_pages(published.region)
    messages.success(
        request,
        f"Bilan {period.label} publié (version {published.version}, empreinte {published.short_hash}).",
    )
    query = urlencode([(field.html_name, field.value()) for field in form if field.value() not in (None, "")])
    return redirect(reverse("reporting:yearly_report") + (f"?{query}" if query else ""))


def _warm_public_pages(region) -> None:
    """The public pages of the région, prepared in the cache by the worker right after its publication
    (reporting.public_views.warm_public_pages), not while the person waits: a cache, not data; a failure to
    enqueue is logged and the publication stands."""
    try:
        public_views.warm_public_pages.enqueue(region.code)
    except Exception:
        logger.exception("Pages publiques de la région %s non préparées après la publication.", region.code)


def _published_version(request, pk: int) -> PublishedReport:
    """A version of the current organisation's perimeter (any other: 404)."""
    if not dashboards.can_see_yearly_report(request.user):
        raise Http404("Le bilan annuel est réservé aux coordinations et aux structures de facilitation.")
    perimeter = _perimeter(request)
    if perimeter is None:
        raise Http404("Aucun bilan publié pour ce périmètre.")
    versions = PublishedReport.objects.of_perimeter(**perimeter).select_related("published_by")
    return get_object_or_404(versions, pk=pk)


@require_GET
def published_report(request, pk: int):
    """A published version, as it was published (public small-count rule), with its downloads."""
    published = _published_version(request, pk)
    report = publication.public_report(published)
    context = {
        "published": published,
        "report": report,
        "period": exports.period_of(report),
        "meta": publication.export_meta(published),
        "tables": exports.rendered_tables(exports.report_tables(report)),
        "formats": FORMATS,
    }
    return render(request, "reporting/published_report.html", context)


@require_GET
def published_report_export(request, pk: int, fmt: str):
    """A published version in a format, through the writers of the live report fed by the thawed report: the same
    bytes at every download (dated by the publication)."""
    published = _published_version(request, pk)
    tables = exports.report_tables(publication.public_report(published))
    filename = f"bilan-annuel-{published.year}-version-{published.version}"
    return export_response(fmt, tables, publication.export_meta(published), filename)


@require_GET
@reporting_database()
def yearly_report_export(request, fmt: str):
    _form, report, meta = _report(request)
    return export_response(fmt, exports.report_tables(report), meta, f"bilan-annuel-{report.year}")


# --- Exports prepared in the background (issue 16, point 7) ----------------------------------------------------


@require_POST
def yearly_report_background(request):
    """« Préparer l'export »: record the request with the filters of the page, then follow it on its status page."""
    _form, parameters = _report_parameters(request)
    fmt = request.POST.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Format d'export inconnu : choisissez XLSX, CSV, PDF ou JSON.")
    organisation = current_organisation(request)
    export = background.request_export(user=request.user, organisation=organisation, fmt=fmt, parameters=parameters)
    return redirect("reporting:export_status", export_id=export.pk)


def _own_export(request, export_id) -> ExportRequest:
    """The export, only for the person who asked it (anyone else, even of the same organisation: 404)."""
    return get_object_or_404(ExportRequest.objects.filter(user=request.user), pk=export_id)


@require_GET
def export_status(request, export_id):
    """Progress, then the download link; htmx polls the status fragment while the export is being prepared, and
    without JavaScript the page is refreshed by hand."""
    export = _own_export(request, export_id)
    context = {
        "export": export,
        "downloadable": background.downloadable(export),
        "expired": export.expires_at <= timezone.now(),
        "file_name": background.file_name_of(export),
        "READY": ExportStatus.READY,
        "FAILED": ExportStatus.FAILED,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "reporting/export_status.html#status", context)
    return render(request, "reporting/export_status.html", context)


@require_GET
def export_download(request, export_id):
    """The file, streamed to its requester only, while it is kept and while their perimeter still allows it."""
    export = _own_export(request, export_id)
    if not background.downloadable(export) or background.requester_in_perimeter(export) is None:
        raise Http404("Cet export n'est pas disponible.")
    try:
        stream = background.storage().open(export.file_name, "rb")
    except FileNotFoundError as error:
        raise Http404("Cet export n'est pas disponible.") from error
    response = FileResponse(stream, as_attachment=True, filename=background.file_name_of(export))
    response["Content-Type"] = CONTENT_TYPES[export.format]
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def export_retry(request, export_id):
    """« Relancer » a failed export."""
    export = _own_export(request, export_id)
    background.retry_export(export=export)
    return redirect("reporting:export_status", export_id=export.pk)
