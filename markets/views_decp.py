"""Web pages of the published markets (DECP): the import (upload, preview, confirm), the "Marchés à suivre" list
and the take-over of one of them by a facilitation structure.

The uploaded file waits on disk (a private temporary folder, its name a random token kept in the session) between
the preview, a dry run of the whole import, and the confirmation, which imports it again for real and removes it.
The web import keeps the markets of the user's regions (execution place or a buyer known there); the national file
goes through `manage.py import_decp`."""

import calendar
import secrets
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from markets import decp
from markets.forms import MarketForm
from markets.models import DecpMarket
from organisations.models import Organisation, OrganisationKind
from organisations.scoping import scope_of
from organisations.web import add_errors, paginate, require
from territories.models import Department

SESSION_KEY = "clausier_decp_import"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
IMPORT_REFUSED = "Seules les structures de facilitation (administrateurs et membres) et les coordinations importent "
IMPORT_REFUSED += "des données de marchés publiés."
LIST_REFUSED = "Les marchés publiés sont consultés par les structures de facilitation et les coordinations."
FOLLOW_REFUSED = "Seuls les membres d'une structure de facilitation peuvent suivre un marché."


def _pending_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "clausier-decp"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def can_import(user) -> bool:
    scope = scope_of(user)
    return scope.is_superuser or bool(scope.facilitation_editor_ids or scope.region_codes)


def can_list(user) -> bool:
    scope = scope_of(user)
    return scope.is_superuser or bool(scope.facilitation_ids or scope.region_codes)


def user_departements(user) -> list[str] | None:
    """Départements of the user's regions (facilitation structures, coordination bodies); None: all (superuser)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return None
    regions = set(scope.region_codes) | set(
        Organisation.objects.filter(pk__in=scope.facilitation_ids, region__isnull=False).values_list(
            "region", flat=True
        )
    )
    return list(Department.objects.filter(region__in=regions).values_list("code", flat=True))


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Fichier DECP (JSON)",
        help_text="Format DECP 2.0 des données essentielles de la commande publique, 50 Mo au plus. "
        "Le fichier national passe par la commande « import_decp ».",
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                "Fichier de plus de 50 Mo : découpez-le, ou faites-le importer par la commande « import_decp ».",
                code="too_large",
            )
        return uploaded


def _discard_pending(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        (_pending_dir() / f"{pending['token']}.json").unlink(missing_ok=True)


def _run(path: Path, user, *, dry_run: bool) -> decp.DecpReport:
    departements = user_departements(user)
    with path.open("rb") as stream:
        return decp.import_decp(stream, dry_run=dry_run, departements=departements or ())


def _report_context(report, filename, departements) -> dict:
    return {
        "report": report,
        "filename": filename,
        "ignored_reasons": sorted(report.ignored_reasons.items()),
        "more_refusals": report.refused - len(report.refusals),
        "departements": departements,
    }


@require_http_methods(["GET", "POST"])
def decp_import(request):
    require(can_import(request.user), IMPORT_REFUSED)
    form = UploadForm(request.POST or None, request.FILES or None)
    departements = user_departements(request.user)
    if departements == []:
        messages.warning(request, "Votre structure n'a pas de région : aucun marché publié ne peut lui être rattaché.")
    if request.method == "POST" and form.is_valid():
        _discard_pending(request)
        uploaded = form.cleaned_data["file"]
        token = secrets.token_hex(16)
        path = _pending_dir() / f"{token}.json"
        with path.open("wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        report = _run(path, request.user, dry_run=True)
        if report.ok:
            request.session[SESSION_KEY] = {"token": token, "filename": uploaded.name}
        else:
            path.unlink(missing_ok=True)
        context = _report_context(report, uploaded.name, departements)
        return render(request, "markets/decp_preview.html", context, status=200 if report.ok else 400)
    status = 400 if form.errors else 200
    return render(request, "markets/decp_upload.html", {"form": form, "departements": departements}, status=status)


@require_POST
def decp_import_confirm(request):
    require(can_import(request.user), IMPORT_REFUSED)
    pending = request.session.get(SESSION_KEY)
    path = _pending_dir() / f"{pending['token']}.json" if pending else None
    if path is None or not path.exists():
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "Aucun import en attente : déposez de nouveau le fichier.")
        return redirect("markets:decp_import")
    report = _run(path, request.user, dry_run=False)
    _discard_pending(request)
    if report.ok:
        messages.success(request, report.summary())
        return redirect("markets:decp_to_follow")
    context = _report_context(report, pending["filename"], user_departements(request.user))
    return render(request, "markets/decp_preview.html", context, status=400)


def decp_to_follow(request):
    """Published markets of the user's territory with a "Clause sociale" that no structure follows yet."""
    require(can_list(request.user), LIST_REFUSED)
    queryset = (
        DecpMarket.objects.visible_to(request.user)
        .to_follow()
        .select_related("buyer", "department")
        .prefetch_related("holders")
    )
    context = {
        "page_obj": paginate(request, queryset),
        "can_follow": bool(scope_of(request.user).facilitation_editor_ids) or request.user.is_superuser,
        "can_import": can_import(request.user),
    }
    return render(request, "markets/decp_to_follow.html", context)


def months_later(day: date, months: int) -> date:
    """The same day `months` months later (the last day of a shorter month)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _initial_from(published: DecpMarket) -> dict:
    start = published.notified_on
    initial = {
        "reference": published.decp_id,
        "title": published.title[:300],
        "buyer": published.buyer_id,
        "market_type": published.market_type,
        "notified_on": start,
        "start_date": start,
        "end_date": months_later(start, published.duration_months) - timedelta(days=1),
        "amount_excl_vat": published.amount_excl_vat,
    }
    if published.place_kind == "Code commune":
        initial["execution_commune"] = published.place_code
    return initial


@require_http_methods(["GET", "POST"])
def decp_follow(request):
    """Take a published market over: the market form, filled from the published data; once saved, the market is
    followed by the structure and the lot form opens, its holder and amount filled."""
    scope = scope_of(request.user)
    require(scope.is_superuser or bool(scope.facilitation_editor_ids), FOLLOW_REFUSED)
    published = get_object_or_404(
        DecpMarket.objects.visible_to(request.user).to_follow().select_related("buyer"),
        pk=request.POST.get("marche") or request.GET.get("marche") or None,
    )
    form = MarketForm(request.POST or None, user=request.user, initial=_initial_from(published))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                market = decp.take_over(decp_market=published, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, f"Vous suivez le marché « {market.reference} ». Ajoutez maintenant ses lots et leur clause."
            )
            url = reverse("markets:lot_create", kwargs={"pk": market.pk})
            holder = published.holders.order_by("pk").first()
            return redirect(f"{url}?titulaire={holder.pk}" if holder else url)
    return render(request, "markets/decp_follow.html", {"form": form, "published": published})


def holder_initial(request) -> dict:
    """The holder proposed by a take-over (`?titulaire=<id>`) for the first lot, when the user sees it."""
    value = request.GET.get("titulaire", "")
    if not value.isdigit():
        return {}
    holder = (
        Organisation.objects.visible_to(request.user)
        .filter(pk=value, kind__in=[OrganisationKind.COMPANY, OrganisationKind.INSERTION])
        .first()
    )
    if holder is None:
        raise Http404("Titulaire inconnu.")
    return {"contractor": holder.pk}
