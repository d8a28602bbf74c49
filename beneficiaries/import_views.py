"""Web flow of the hours import: upload, preview (nothing written), confirm (all or nothing).

The parsed rows are kept in the session between the preview and the confirmation, with the version of the
record each row found (0: "à créer"), and checked again from scratch on confirmation: a record created or
changed in between is a conflict and nothing is written. When the preview showed validated records that the
file changes, the confirmation requires an explicit choice (replace them, or leave them and skip their rows)."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries import imports, spreadsheets
from config.formatting import french_figure, french_month
from organisations.permissions import is_facilitator

SESSION_KEY = "clausier_hours_import"
TEMPLATE_TYPES = {
    "csv": ("text/csv; charset=utf-8", imports.template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", imports.template_xlsx),
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Relevé d'heures",
        help_text=(
            f"Fichier CSV (séparateur ; ou ,) ou XLSX, {imports.MAX_FILE_SIZE_LABEL} et "
            f"{french_figure(spreadsheets.MAX_ROWS)} lignes au plus."
        ),
    )


class ConfirmForm(forms.Form):
    """The choice about validated records, asked only when the preview found some that the file changes."""

    validated = forms.ChoiceField(
        label="Relevés déjà validés",
        choices=list(imports.VALIDATED_CHOICES.items()),
        widget=forms.RadioSelect,
        error_messages={
            "required": (
                "Choisissez ce que deviennent les relevés validés : les remplacer (ils devront être revalidés) "
                "ou ne pas les modifier."
            ),
            "invalid_choice": "Choix inconnu : remplacez les relevés validés ou ne les modifiez pas.",
        },
    )


def _require_facilitator(request):
    if not is_facilitator(request.user):
        raise PermissionDenied("Seul·es les membres d'une structure de facilitation importent des relevés d'heures.")


def _preview(request, report, *, filename, status=200, form=None):
    validated_changes = report.validated_changes
    if form is None and validated_changes:
        form = ConfirmForm()
    return render(
        request,
        "imports/preview.html",
        {
            "report": report,
            "filename": filename,
            "counts": report.counts,
            "statuses": imports.STATUS_LABELS,
            "validated_changes": validated_changes,
            "form": form,
        },
        status=status,
    )


def _validation_links(report) -> list[tuple[str, str]]:
    """(label, grid URL) for each month and lot where records were created or changed: where to validate them.
    The grid filters on month and lot; `status=declared` shows only what awaits validation."""
    links = []
    for month, lot in report.to_validate:
        query = urlencode({"month": month.strftime("%Y-%m"), "lot": lot.pk, "status": "declared"})
        label = f"{french_month(month)} · marché {lot.market.reference}, lot n° {lot.number}"
        links.append((label, f"{reverse('hours:grid')}?{query}"))
    return links


@require_http_methods(["GET", "POST"])
def upload(request):
    _require_facilitator(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    file_errors = []
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            data = imports.read_upload(uploaded, size=uploaded.size)
            rows = imports.parse_file(data, filename=uploaded.name)
        except imports.FileRefused as error:
            file_errors = error.messages
        else:
            report = imports.process(rows, user=request.user, commit=False, expected_versions=imports.UNCHECKED)
            if report.ok:
                request.session[SESSION_KEY] = {
                    "filename": uploaded.name,
                    "rows": [row.as_dict() for row in rows],
                    # What the preview showed for each row (0: "à créer"): the confirmation expects it.
                    "versions": report.versions,
                    # The confirmation asks what to do with them when there are some.
                    "validated_changes": report.validated_changes,
                }
            else:
                request.session.pop(SESSION_KEY, None)
            return _preview(request, report, filename=uploaded.name)
    return render(
        request,
        "imports/upload.html",
        {"form": form, "file_errors": file_errors, "columns": imports.COLUMNS},
        status=400 if file_errors or form.errors else 200,
    )


@require_POST
def confirm(request):
    _require_facilitator(request)
    pending = request.session.get(SESSION_KEY)
    if not pending or len(pending.get("versions") or ()) != len(pending.get("rows") or ()):
        messages.error(request, "Aucun import en attente : déposez de nouveau le fichier.")
        return redirect("imports:upload")
    rows = [imports.ParsedRow.from_dict(values) for values in pending["rows"]]
    choice = imports.REPLACE_VALIDATED
    if pending.get("validated_changes"):
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            # No silent default: show the preview again with the question, nothing written.
            report = imports.process(rows, user=request.user, commit=False, expected_versions=pending["versions"])
            return _preview(request, report, filename=pending["filename"], status=400, form=form)
        choice = form.cleaned_data["validated"]
    report = imports.process(
        rows, user=request.user, commit=True, expected_versions=pending["versions"], validated=choice
    )
    if not report.committed:
        # Something changed since the preview: show why, nothing was written.
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "Les données ont changé depuis l'aperçu : rien n'a été enregistré.")
        return _preview(request, report, filename=pending["filename"], status=409)
    request.session.pop(SESSION_KEY, None)
    return render(
        request,
        "imports/done.html",
        {
            "report": report,
            "counts": report.counts,
            "filename": pending["filename"],
            "links": _validation_links(report),
        },
    )


@require_GET
def template_file(request, extension):
    if extension not in TEMPLATE_TYPES:
        raise Http404("Modèle inconnu.")
    content_type, build = TEMPLATE_TYPES[extension]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="modele-releve-heures.{extension}"'
    return response
