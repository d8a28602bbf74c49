"""The company's spreadsheet for one lot and month (issue 15, point 2): upload, preview (« avant → après », nothing
written), confirm (all or nothing, through companies.declarations.save_rows), and its pre-filled template.

The parsed rows wait in the session between the preview and the confirmation, with the version of the record each
row found and the lot and month they were checked for; the confirmation checks them again from scratch (a record
changed in between is a conflict and nothing is written). While the month is transmitted, validated or closed the
upload is refused before the file is read, as the grid refuses to save."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from beneficiaries import imports
from beneficiaries.calculations import first_of_month
from beneficiaries.import_views import TEMPLATE_TYPES, ConfirmForm, UploadForm
from companies import declarations, uploads
from companies.models import lots_of
from companies.views import _require_company
from companies.views_declarations import _company_of, _month_of
from config.formatting import french_month

SESSION_KEY = "clausier_company_import"
NOTHING_PENDING = "Aucun dépôt en attente pour ce mois : déposez de nouveau le fichier."
CHANGED = "Les données ont changé depuis l'aperçu : rien n'a été enregistré."


def _context(request, pk, month):
    """The lot (one the contact reaches, else 404), the month, the company and the month's declaration."""
    _require_company(request.user)
    lot = get_object_or_404(lots_of(request.user).select_related("market", "contractor"), pk=pk)
    month = _month_of(month)
    company = _company_of(request.user, lot)
    declaration = declarations.current(lot=lot, company=company, month=month)
    return lot, month, company, declaration


def _refusal(month, declaration) -> str | None:
    """Why the month takes no file now (the grid's rule), or None."""
    if month > first_of_month(timezone.localdate()):
        return declarations.FUTURE_MONTH.format(month=french_month(month))
    if declaration.is_locked:
        return declarations.LOCKED.format(month=french_month(month))
    if declaration.status not in declarations.EDITABLE:
        return declarations.WAITING
    return None


def _back(lot, month):
    return redirect("companies:declaration", pk=lot.pk, month=month.strftime("%Y-%m"))


def _preview(request, report, *, lot, month, filename, status=200, form=None, errors=()):
    validated_changes = report.validated_changes
    if form is None and validated_changes:
        form = ConfirmForm()
    return render(
        request,
        "companies/upload_preview.html",
        {
            "lot": lot,
            "month": month,
            "report": report,
            "filename": filename,
            "counts": report.counts,
            "validated_changes": validated_changes,
            "form": form,
            "file_errors": list(errors),
        },
        status=status,
    )


def company_upload(request, pk, month):
    lot, month, company, declaration = _context(request, pk, month)  # 404 first, whatever the method
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    refusal = _refusal(month, declaration)
    if refusal:
        messages.error(request, refusal)
        return _back(lot, month)
    form = UploadForm(request.POST or None, request.FILES or None)
    file_errors = []
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            data = imports.read_upload(uploaded, size=uploaded.size)
            rows = imports.parse_file(data, filename=uploaded.name)
            report = uploads.process(
                rows,
                lot=lot,
                company=company,
                month=month,
                user=request.user,
                commit=False,
                expected_versions=imports.UNCHECKED,
            )
        except ValidationError as error:  # FileRefused, or the declaration's own refusals
            file_errors = error.messages
        else:
            request.session.pop(SESSION_KEY, None)
            if report.ok:
                request.session[SESSION_KEY] = {
                    "lot": lot.pk,
                    "month": month.isoformat(),
                    "filename": uploaded.name,
                    "rows": [row.as_dict() for row in rows],
                    "versions": report.versions,
                    "validated_changes": report.validated_changes,
                }
            return _preview(request, report, lot=lot, month=month, filename=uploaded.name)
    return render(
        request,
        "companies/upload.html",
        {"lot": lot, "month": month, "company": company, "upload_form": form, "file_errors": file_errors},
        status=400 if file_errors or form.errors else 200,
    )


def company_upload_confirm(request, pk, month):
    lot, month, company, declaration = _context(request, pk, month)  # 404 first, whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pending = request.session.get(SESSION_KEY)
    if (
        not pending
        or pending.get("lot") != lot.pk
        or pending.get("month") != month.isoformat()
        or len(pending.get("versions") or ()) != len(pending.get("rows") or ())
    ):
        messages.error(request, NOTHING_PENDING)
        return _back(lot, month)
    refusal = _refusal(month, declaration)
    if refusal:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, refusal)
        return _back(lot, month)
    rows = [imports.ParsedRow.from_dict(values) for values in pending["rows"]]
    arguments = {"lot": lot, "company": company, "month": month, "user": request.user}
    choice = imports.REPLACE_VALIDATED
    if pending.get("validated_changes"):
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            report = uploads.process(rows, commit=False, expected_versions=pending["versions"], **arguments)
            return _preview(request, report, lot=lot, month=month, filename=pending["filename"], status=400, form=form)
        choice = form.cleaned_data["validated"]
    try:
        report = uploads.process(
            rows, commit=True, expected_versions=pending["versions"], validated=choice, **arguments
        )
    except ValidationError as error:  # the month was transmitted or locked in between
        request.session.pop(SESSION_KEY, None)
        for message in error.messages:
            messages.error(request, message)
        return _back(lot, month)
    request.session.pop(SESSION_KEY, None)
    if not report.committed:
        return _preview(
            request, report, lot=lot, month=month, filename=pending["filename"], status=409, errors=[CHANGED]
        )
    counts = report.counts
    messages.success(
        request,
        f"Fichier « {pending['filename']} » enregistré : {counts['created']} relevé(s) créé(s), "
        f"{counts['updated']} modifié(s), {counts['unchanged']} inchangé(s)"
        + (f", {counts['skipped']} validé(s) laissé(s) tel(s) quel(s)" if counts["skipped"] else "")
        + ". Vérifiez la grille puis transmettez la déclaration.",
    )
    return _back(lot, month)


def company_upload_template(request, pk, month, extension):
    lot, month, company, _declaration = _context(request, pk, month)  # 404 first, whatever the method
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if extension not in TEMPLATE_TYPES:
        raise Http404("Modèle inconnu.")
    content_type, build = TEMPLATE_TYPES[extension]
    rows = uploads.template_rows(lot=lot, company=company, month=month)
    response = HttpResponse(build(columns=uploads.TEMPLATE_COLUMNS, rows=rows), content_type=content_type)
    name = f"heures-{lot.market.reference}-lot{lot.number}-{month:%Y-%m}.{extension}"
    safe = "".join(char if char.isalnum() or char in "-._" else "-" for char in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
