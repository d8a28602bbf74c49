"""Web flow of the history import (beneficiaries.history), for a structure admin: upload, preview, confirm.

The uploaded bytes are kept in the private storage between the preview and the confirmation
(beneficiaries.history_files: a workbook of five years does not belong in a session, and every host must find it);
the session holds its token, names and digests. The confirmation reads and checks the files again from scratch, all
or nothing, then deletes them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beneficiaries import history, history_files
from beneficiaries.services import CONFLICT_MESSAGE
from beneficiaries.spreadsheets import FileRefused, mebibytes, read_upload
from organisations.choices import OrganisationKind, Role
from organisations.models import Organisation

SESSION_KEY = "clausier_history_import"
MAX_FILES = 8
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 200  # rows listed per sheet and status in the preview (the counts cover them all)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Classeur de l'historique",
        help_text=(
            "Un classeur XLSX (une feuille par type de données), ou un fichier CSV par feuille (marches.csv, "
            f"participants.csv, contrats.csv, heures.csv, sorties.csv) ; {mebibytes(history.MAX_HISTORY_FILE_SIZE)} "
            "au plus."
        ),
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        if len(structures) > 1:
            self.fields["structure"] = forms.ModelChoiceField(
                label="Structure", queryset=Organisation.objects.filter(pk__in=[s.pk for s in structures])
            )
        self.structures = structures

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Au plus {MAX_FILES} fichiers à la fois.")
        return files

    @property
    def chosen_structure(self):
        return self.cleaned_data.get("structure") or self.structures[0]


def _admin_structures(user) -> list[Organisation]:
    if not user.is_authenticated:
        return []
    return list(
        Organisation.objects.filter(
            kind=OrganisationKind.FACILITATION, memberships__user=user, memberships__role=Role.ADMIN
        ).order_by("name")
    )


def _require_admin(request) -> list[Organisation]:
    structures = _admin_structures(request.user)
    if not structures:
        raise PermissionDenied(
            "Seul·es les administrateur·rices d'une structure de facilitation importent un historique."
        )
    return structures


def _parse(files: list[tuple[str, bytes]]):
    if len(files) == 1 and not files[0][0].lower().endswith(".csv"):
        return history.parse_workbook(files[0][1])
    return history.parse_csv_files(files)


def _preview(request, report, *, filenames, structure, status=200):
    sheets = []
    for sheet, title in history.SHEET_TITLES.items():
        rows = report.rows.get(sheet, [])
        shown = [row for row in rows if row.status in (history.REFUSED, history.UPDATED) or row.notes][:SHOWN_ROWS]
        sheets.append(
            {
                "code": sheet,
                "title": title,
                "total": len(rows),
                "counts": [(history.STATUS_LABELS[code], report.count(sheet, code), code) for code in history.STATUSES],
                "rows": shown,
            }
        )
    return render(
        request,
        "imports/history_preview.html",
        {
            "report": report,
            "sheets": sheets,
            "filenames": filenames,
            "structure": structure,
            "keep_hours": int(history_files.PENDING_KEEP.total_seconds() // 3600),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def upload(request):
    structures = _require_admin(request)
    form = UploadForm(request.POST or None, request.FILES or None, structures=structures)
    file_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            files = [
                (item.name, read_upload(item, size=item.size, limit=history.MAX_HISTORY_FILE_SIZE))
                for item in form.cleaned_data["files"]
            ]
            if sum(len(data) for _name, data in files) > history.MAX_HISTORY_FILE_SIZE:
                raise FileRefused(f"Les fichiers dépassent {mebibytes(history.MAX_HISTORY_FILE_SIZE)} à eux tous.")
            rows = _parse(files)
        except FileRefused as error:
            file_errors = error.messages
        else:
            structure = form.chosen_structure
            report = history.process(rows, structure=structure, user=request.user, commit=False)
            history_files.discard(request.session.pop(SESSION_KEY, None))
            if report.ok:
                request.session[SESSION_KEY] = {
                    **history_files.keep(files),
                    "structure": structure.pk,
                    "digest": report.digest,
                }
            return _preview(request, report, filenames=[name for name, _data in files], structure=structure)
    return render(
        request,
        "imports/history_upload.html",
        {
            "form": form,
            "file_errors": file_errors,
            "sheets": [
                (title, history.SHEET_HELP[sheet], history.COLUMNS[sheet], history.CSV_FILENAMES[sheet])
                for sheet, title in history.SHEET_TITLES.items()
            ],
        },
        status=400 if file_errors or form.errors else 200,
    )


@require_POST
def confirm(request):
    structures = _require_admin(request)
    pending = request.session.get(SESSION_KEY)
    files = history_files.read(pending) if pending else None
    structure = next((item for item in structures if pending and item.pk == pending.get("structure")), None)
    if not files or structure is None:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "Aucun import d'historique en attente : déposez de nouveau le classeur.")
        return redirect("imports:history")
    try:
        rows = _parse(files)
    except FileRefused:  # read once already: only a change of the rules between the two steps
        rows = None
    request.session.pop(SESSION_KEY, None)
    history_files.discard(pending)
    if rows is None:
        messages.error(request, "Le classeur n'a pas pu être relu : déposez-le de nouveau.")
        return redirect("imports:history")
    report = history.process(
        rows, structure=structure, user=request.user, commit=True, expected_digest=pending.get("digest", "")
    )
    if not report.committed:
        messages.error(
            request,
            f"{CONFLICT_MESSAGE} Rien n'a été enregistré."
            if report.conflict
            else "Les données ont changé depuis l'aperçu : rien n'a été enregistré.",
        )
        return _preview(request, report, filenames=[name for name, _data in files], structure=structure, status=409)
    return render(
        request,
        "imports/history_done.html",
        {
            "report": report,
            "structure": structure,
            "counts": [
                (title, [(history.DONE_LABELS[code], report.count(sheet, code)) for code in history.STATUSES[:3]])
                for sheet, title in history.SHEET_TITLES.items()
            ],
        },
    )


@require_GET
def template_file(request, name: str):
    _require_admin(request)
    if name == "classeur.xlsx":
        response = HttpResponse(history.template_xlsx(), content_type=XLSX_TYPE)
        filename = "modele-historique.xlsx"
    else:
        sheet = next((code for code, file in history.CSV_FILENAMES.items() if f"{file}.csv" == name), None)
        if sheet is None:
            raise Http404("Modèle inconnu.")
        response = HttpResponse(history.template_csv(sheet), content_type="text/csv; charset=utf-8")
        filename = f"modele-historique-{name}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
