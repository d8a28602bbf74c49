"""Long exports in the background (issue 16, point 7): the yearly report of a région or of the whole country.

Rule: the XLSX and PDF of the yearly report of a coordinator (one or more régions) or of a superuser (the whole
country) are produced by a task (`reporting.tasks.produce_export`, run by `manage.py db_worker`), never inside the
request: the page offers « Préparer l'export », then a status page follows the progress and gives the download
link. Every other export (CSV and JSON, which are cheap and streamed, the dashboards and bilans of a structure or a
buyer) stays synchronous; the synchronous URL of the yearly report keeps answering too (scripts, small perimeters).

One function computes the report for both paths (`yearly_report_of`), so the background file holds the same
figures as the synchronous export. The scope of the requester is checked again when the task runs and when the
file is downloaded (`requester_in_perimeter`): a person who left the coordination gets nothing. The file lives a
day in the private storage `storages["exports"]`; the recurring job `prune_exports` deletes it with its row.
"""

from __future__ import annotations

import io
import json
import time
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from config.routers import reporting_database
from markets.models import Market
from notifications.retry import retried_task
from organisations.scoping import pin_current_organisation, scope_of, user_memberships
from reporting import dashboards, exports, queries
from reporting.models import ExportRequest, ExportStatus, PlacementYear
from reporting.periods import YearPeriod

BACKGROUND_FORMATS = ("xlsx", "pdf")
FORMATS = ("xlsx", "csv", "pdf", "json")
KEEP = timedelta(hours=24)
ATTEMPTS = 3  # automatic attempts of the task produce_export, a minute apart then two

GONE = "Votre périmètre ne permet plus cet export (organisation quittée ou droits retirés)."


def runs_in_background(user, fmt: str) -> bool:
    """XLSX and PDF of a regional (coordinator) or national (superuser) yearly report."""
    scope = scope_of(user)
    return fmt in BACKGROUND_FORMATS and bool(scope.is_superuser or scope.region_codes)


def storage():
    return storages["exports"]


# --- The report, for the synchronous export and the task alike ------------------------------------------------


def report_parameters(
    *, period: YearPeriod, filters: queries.ReportFilters, title: str, subtitle: str, described
) -> dict:
    """What a yearly report export depends on, as JSON (kept on the ExportRequest)."""
    return {
        "year": period.year,
        "through": period.cutoff.isoformat() if period.cutoff else None,
        "department": filters.department,
        "buyer_type": filters.buyer_type,
        "market_type": filters.market_type,
        "title": title,
        "subtitle": subtitle,
        "filters": [list(pair) for pair in described],
    }


def yearly_report_of(user, parameters: dict) -> tuple[queries.YearlyReport, exports.ExportMeta]:
    """The yearly report over what `user` sees (pinned to an organisation or not), and its export header."""
    through = parameters.get("through")
    report = queries.yearly_report(
        records=PlacementYear.objects.visible_to(user),
        markets=Market.objects.visible_to(user),
        year=parameters["year"],
        filters=queries.ReportFilters(
            department=parameters.get("department") or None,
            buyer_type=parameters.get("buyer_type") or None,
            market_type=parameters.get("market_type") or None,
        ),
        through=date.fromisoformat(through) if through else None,
    )
    meta = exports.ExportMeta(
        title=parameters["title"],
        subtitle=parameters.get("subtitle", ""),
        filters=tuple(tuple(pair) for pair in parameters.get("filters", ())),
    )
    return report, meta


def file_name_of(export: ExportRequest) -> str:
    """The name the person downloads: "bilan-annuel-2025.xlsx"."""
    return f"bilan-annuel-{export.parameters.get('year', '')}.{export.format}"


# --- Who may ---------------------------------------------------------------------------------------------------


def requester_in_perimeter(export: ExportRequest):
    """The requester, fresh from the database and scoped to the organisation they asked as, if they still may see
    the yearly report there; else None."""
    user = get_user_model().objects.filter(pk=export.user_id, is_active=True).first()
    if user is None:
        return None
    if export.organisation_id is not None:
        if not any(m.organisation_id == export.organisation_id for m in user_memberships(user)):
            return None
        pin_current_organisation(user, export.organisation_id)
    elif not user.is_superuser:
        return None
    return user if dashboards.can_see_yearly_report(user) else None


def downloadable(export: ExportRequest, *, now=None) -> bool:
    now = now or timezone.now()
    return export.status == ExportStatus.READY and export.expires_at > now and bool(export.file_name)


# --- Services --------------------------------------------------------------------------------------------------


def request_export(*, user, organisation, fmt: str, parameters: dict) -> ExportRequest:
    """Record the request and enqueue its task, in one transaction (the worker sees both or neither)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format: {fmt}")
    with transaction.atomic():
        export = ExportRequest.objects.create(
            user=user,
            organisation=organisation,
            kind="yearly_report",
            format=fmt,
            parameters=parameters,
            expires_at=timezone.now() + KEEP,
        )
        produce_export.enqueue(str(export.pk))
    export.refresh_from_db()  # an immediate backend (development, tests) has already run it
    return export


def retry_export(*, export: ExportRequest) -> ExportRequest:
    """Start a failed export again (the « Relancer » button); anything else is left as it is."""
    with transaction.atomic():
        updated = ExportRequest.objects.filter(pk=export.pk, status=ExportStatus.FAILED).update(
            status=ExportStatus.PENDING,
            attempts=0,
            steps_done=0,
            step_label="",
            error="",
            expires_at=timezone.now() + KEEP,
        )
        if updated:
            produce_export.enqueue(str(export.pk))
    export.refresh_from_db()
    return export


def _update(export: ExportRequest, **fields) -> None:
    for name, value in fields.items():
        setattr(export, name, value)
    ExportRequest.objects.filter(pk=export.pk).update(**fields)


def produce(export_id: str, *, can_retry: bool = True) -> str:
    """Write the file of an export (the body of the task). Idempotent: a ready, failed or deleted export is left
    alone; a run after a failed attempt starts again from the beginning and replaces any partial file. An error
    fails this attempt (the task retries it) and, at the last attempt, the export, with a French message."""
    export = ExportRequest.objects.filter(pk=export_id).first()
    if export is None:
        return "gone"
    if export.status in (ExportStatus.READY, ExportStatus.FAILED):
        return export.status
    user = requester_in_perimeter(export)
    if user is None:
        _update(export, status=ExportStatus.FAILED, error=GONE, finished_at=timezone.now())
        return "refused"
    _update(
        export,
        status=ExportStatus.RUNNING,
        attempts=export.attempts + 1,
        steps_done=0,
        step_label="Calcul des indicateurs",
        error="",
    )
    try:
        name, size = _write(export, user)
    except Exception:
        last = export.attempts >= ATTEMPTS or not can_retry
        _update(
            export,
            status=ExportStatus.FAILED if last else ExportStatus.PENDING,
            error="La préparation du fichier a échoué."
            + ("" if last else " Un nouvel essai automatique est prévu dans quelques minutes."),
            step_label="",
            finished_at=timezone.now() if last else None,
        )
        raise
    now = timezone.now()
    _update(
        export,
        status=ExportStatus.READY,
        file_name=name,
        size=size,
        steps_done=export.steps_total,
        step_label="Fichier prêt",
        finished_at=now,
        expires_at=now + KEEP,
    )
    return "ready"


def _write(export: ExportRequest, user) -> tuple[str, int]:
    """Compute the report and write its file, reporting each step (the indicators, each table, the layout)."""
    delay = settings.EXPORT_STEP_DELAY  # slows each step down (demonstrations, the browser test)
    report, meta = reporting_database()(yearly_report_of)(user, export.parameters)
    tables = exports.report_tables(report)
    _update(export, steps_total=len(tables) + 2, steps_done=1, step_label="Indicateurs calculés")

    def progress(label: str) -> None:
        if delay:
            time.sleep(delay)
        _update(export, steps_done=min(export.steps_done + 1, export.steps_total - 1), step_label=label[:200])

    if delay:
        time.sleep(delay)
    buffer = io.BytesIO()
    if export.format == "xlsx":
        exports.write_xlsx(tables, meta, buffer, progress=progress)
    elif export.format == "csv":
        text = io.StringIO()
        exports.write_csv(tables, meta, text, progress=progress)
        buffer.write(text.getvalue().encode("utf-8"))
    elif export.format == "json":
        buffer.write(json.dumps(exports.json_document(tables, meta), ensure_ascii=False, indent=2).encode("utf-8"))
    else:
        rendered = []
        for table in tables:
            rendered.extend(exports.rendered_tables([table], svg=True))
            progress(f"Tableau « {table.title} » mis en forme.")
        _update(export, step_label="Mise en page du PDF")
        buffer.write(exports.pdf_bytes("reporting/pdf.html", {"meta": meta, "tables": rendered}))
    name = f"{export.pk}.{export.format}"
    files = storage()
    if files.exists(name):
        files.delete(name)  # a partial file of an earlier attempt
    saved = files.save(name, ContentFile(buffer.getvalue()))
    return saved, files.size(saved)


def prune_expired(*, now=None) -> int:
    """Delete the expired exports, files first; returns how many. Running it twice deletes nothing more."""
    now = now or timezone.now()
    files = storage()
    count = 0
    for export in ExportRequest.objects.filter(expires_at__lte=now):
        if export.file_name and files.exists(export.file_name):
            files.delete(export.file_name)
        export.delete()
        count += 1
    return count


# --- Tasks (run by `manage.py db_worker`; they take ids and are safe to run again) ------------------------------


@retried_task(attempts=ATTEMPTS, backoff=timedelta(minutes=1))
def produce_export(export_id: str) -> str:
    """Write the file of a background export."""
    return produce(export_id, can_retry=produce_export.get_backend().supports_defer)


@task()
def prune_exports(period: str) -> int:
    """Hourly (notifications.recurring.JOBS): delete the exports kept for more than a day, their files first."""
    return prune_expired()
