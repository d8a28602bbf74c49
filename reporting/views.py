"""Dashboards, the end-of-contract bilan of a market and the yearly report, with their exports.

Views stay thin: the perimeter is `visible_to(request.user)`, the figures come from reporting.queries through
reporting.dashboards, and pages and exports render the same declarative tables (reporting.exports).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.routers import reporting_database
from markets.models import Lot, Market
from organisations.scoping import current_organisation, scope_of
from reporting import dashboards, exports, queries
from reporting.forms import ReportFilterForm, YearForm
from reporting.models import PlacementYear

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


def _dashboard(request):
    user = request.user
    if scope_of(user).is_empty:
        raise Http404("Aucune organisation.")
    form = YearForm(request.GET or None)
    board = dashboards.dashboard(
        records=PlacementYear.objects.visible_to(user),
        lots=Lot.objects.visible_to(user),
        year=form.selected_year(),
        today=timezone.localdate(),
        suppress=dashboards.must_suppress_small_counts(user),
    )
    return form, board


@require_GET
@reporting_database()
def dashboard(request):
    """Buyer or facilitation structure dashboard over what the current organisation sees."""
    form, board = _dashboard(request)
    tables = exports.dashboard_tables(board)
    context = {
        "form": form,
        "board": board,
        "perimeter": _perimeter_name(request),
        "tables": exports.rendered_tables(tables),
    }
    return render(request, "reporting/dashboard.html", context)


@require_GET
@reporting_database()
def dashboard_export(request, fmt: str):
    _form, board = _dashboard(request)
    meta = exports.ExportMeta(
        title=f"Tableau de bord {board.year}", subtitle=_perimeter_name(request), filters=(("Année", str(board.year)),)
    )
    tables = exports.dashboard_tables(board)
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


# --- The yearly report -----------------------------------------------------------------------------------------


def _report(request):
    user = request.user
    if not dashboards.can_see_yearly_report(user):
        raise Http404("Le bilan annuel est réservé aux coordinations et aux structures de facilitation.")
    form = ReportFilterForm(request.GET or None, user=user)
    filters = queries.ReportFilters(
        department=form.value_of("department") or None,
        buyer_type=form.value_of("buyer_type") or None,
        market_type=form.value_of("market_type") or None,
    )
    report = queries.yearly_report(
        records=PlacementYear.objects.visible_to(user),
        markets=Market.objects.visible_to(user),
        year=form.selected_year(),
        filters=filters,
    )
    meta = exports.ExportMeta(
        title=f"Bilan annuel {report.year} des clauses sociales d'insertion",
        subtitle=_perimeter_name(request),
        filters=form.described(),
    )
    return form, report, meta


@require_GET
@reporting_database()
def yearly_report(request):
    form, report, meta = _report(request)
    context = {
        "form": form,
        "report": report,
        "meta": meta,
        "tables": exports.rendered_tables(exports.report_tables(report)),
        "query_string": request.GET.urlencode(),
        "formats": FORMATS,
    }
    return render(request, "reporting/yearly_report.html", context)


@require_GET
@reporting_database()
def yearly_report_export(request, fmt: str):
    _form, report, meta = _report(request)
    return export_response(fmt, exports.report_tables(report), meta, f"bilan-annuel-{report.year}")
