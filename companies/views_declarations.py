"""The monthly declaration on the web (issue 15, points 2 and 3): the company's grid of one lot and month (save,
« Transmettre », « Retransmettre ») and the facilitator's review of a lot's month (« Demander une correction »,
« Valider », « Clôturer », « Rouvrir »), each with the declaration's timeline. Every write is a function of
companies.declarations; a refusal is shown on the page and changes nothing."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from audit.services import log_views
from beneficiaries import services as hours_services
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.import_views import UploadForm
from beneficiaries.models import HoursRecord, Placement
from beneficiaries.views_hours import GridRow, build_rows, grid_placements, parse_month
from companies import declarations
from companies.choices import DeclarationAction, DeclarationStatus
from companies.forms import CorrectionForm, DeclarationRowForm, ReopenForm
from companies.models import CompanyAccess, Declaration, lots_of
from companies.proposals import pending_proposals
from companies.views import _can_manage, _followed_lot, _require_company
from config.collation import French
from config.formatting import french_figure, french_month
from organisations.models import Organisation
from organisations.scoping import scope_of
from organisations.web import require

MANAGE_REFUSED = (
    "Seuls les administrateur·rices et membres de la structure qui suit le marché valident une déclaration."
)


def _month_of(value: str) -> date:
    month = parse_month(value)
    if month is None:
        raise Http404("Ce mois n'est pas valide : indiquez-le au format AAAA-MM.")
    return month


def _records_by_placement(placements, month) -> dict[int, HoursRecord]:
    return {record.placement_id: record for record in HoursRecord.objects.filter(placement__in=placements, month=month)}


def _figure(value) -> str:
    return f"{french_figure(Decimal(value))} h"


def _change_text(change: dict, names: dict[int, str]) -> str:
    """« DUPONT Alix : 120 h → 110 h, formation 0 h → 7 h » (only the figures that changed after a first save)."""
    parts = []
    for label, before, after in (
        ("", change["hours_before"], change["hours_after"]),
        ("formation ", change["training_before"], change["training_after"]),
    ):
        if before is None:
            if label and not Decimal(after):
                continue
            parts.append(f"{label}{_figure(after)}")
        elif Decimal(before) != Decimal(after):
            parts.append(f"{label}{_figure(before)} → {_figure(after)}")
    return f"{names.get(change['placement'], '—')} : {', '.join(parts) or 'inchangé'}"


def _timeline(declaration: Declaration, names: dict[int, str]) -> list[dict]:
    """The declaration's steps, oldest first, with the people of the rows concerned named as the reader may."""
    if declaration.pk is None:
        return []
    steps = []
    for event in declaration.events.select_related("user", "organisation"):
        steps.append(
            {
                "event": event,
                "actor": (event.user.get_full_name() or event.user.email) if event.user else "—",
                "rows": [names.get(pk, "—") for pk in event.placements],
                "changes": [_change_text(change, names) for change in event.changes],
            }
        )
    return steps


# The company ---------------------------------------------------------------------------------------------------


def _company_of(user, lot) -> Organisation:
    access = CompanyAccess.objects.of_user(user).filter(lot=lot).select_related("membership__organisation").first()
    if access is None:
        raise Http404("Ce lot n'est pas ouvert à votre entreprise.")
    return access.membership.organisation


def company_declaration(request, pk, month):
    """The company's grid for one lot and month: its people on the lot that month, their hours and training hours or
    « aucune activité »; « Enregistrer », then « Transmettre » (or « Retransmettre » after a correction)."""
    _require_company(request.user)
    lot = get_object_or_404(lots_of(request.user).select_related("market__buyer"), pk=pk)
    month = _month_of(month)
    if month > first_of_month(timezone.localdate()):
        messages.error(request, declarations.FUTURE_MONTH.format(month=french_month(month)))
        return redirect("companies:lot", pk=lot.pk)
    company = _company_of(request.user, lot)
    placements = list(
        declarations.rows_of(lot=lot, company=company, month=month)
        .select_related("beneficiary")
        .order_by(French("beneficiary__last_name"), French("beneficiary__first_name"), "pk")
    )
    records = _records_by_placement(placements, month)
    declaration = declarations.current(lot=lot, company=company, month=month)
    editable = declaration.status in declarations.EDITABLE
    data = request.POST if request.method == "POST" else None
    rows = []
    for placement in placements:
        record = records.get(placement.pk)
        initial = {"version": record.version if record else 0}
        if record is not None:
            initial.update(
                hours=record.hours,
                training_hours=record.training_hours,
                no_activity=not record.hours and not record.training_hours,
            )
        form = DeclarationRowForm(data, prefix=f"p{placement.pk}", initial=initial)
        rows.append({"placement": placement, "record": record, "form": form})
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if all(row["form"].is_valid() for row in rows):
            entries = [
                hours_services.HoursEntry(
                    placement=row["placement"],
                    month=month,
                    hours=row["form"].cleaned_data["hours"],
                    training_hours=row["form"].cleaned_data["training_hours"],
                    expected_version=row["form"].cleaned_data["version"],
                )
                for row in rows
            ]
            try:
                with transaction.atomic():
                    declarations.save_rows(lot=lot, company=company, month=month, entries=entries, user=request.user)
                    if action == "submit":
                        declarations.submit(lot=lot, company=company, month=month, user=request.user)
                    elif action == "resubmit":
                        declarations.resubmit(lot=lot, company=company, month=month, user=request.user)
            except hours_services.HoursBatchError as error:
                for index, row_messages in error.row_errors.items():
                    for message in row_messages:
                        rows[index]["form"].add_error(None, message)
                errors.append("Rien n'a été enregistré : corrigez les lignes signalées.")
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                text = {
                    "submit": "Déclaration transmise : la facilitatrice va la vérifier.",
                    "resubmit": "Déclaration corrigée retransmise : la facilitatrice va la vérifier.",
                }.get(action, "Heures enregistrées. Transmettez la déclaration quand elle est complète.")
                messages.success(request, text)
                return redirect("companies:declaration", pk=lot.pk, month=month.strftime("%Y-%m"))
        else:
            errors.append("Rien n'a été enregistré : corrigez les lignes signalées.")
    people = [row["placement"] for row in rows]
    names = {item.pk: f"{item.beneficiary.last_name.upper()} {item.beneficiary.first_name}" for item in people}
    timeline = _timeline(declaration, names)
    context = {
        "lot": lot,
        "company": company,
        "month": month,
        "declaration": declaration,
        "editable": editable,
        "rows": rows,
        "errors": errors,
        "timeline": timeline,
        "correction": declaration.status == DeclarationStatus.CORRECTION_REQUESTED,
        "upload_form": UploadForm(),
        "last_request": next(
            (
                step
                for step in reversed(timeline)
                if step["event"].action in (DeclarationAction.CORRECTION_REQUESTED, DeclarationAction.REOPENED)
            ),
            None,
        ),
    }
    return render(request, "companies/declaration.html", context)


# The facilitator ----------------------------------------------------------------------------------------------


def _companies_of_month(lot, month) -> list[Organisation]:
    """The employers of the lot's placements running that month, and any company that has a declaration for it."""
    last_day = add_months(month, 1) - date.resolution
    employer_ids = set(
        Placement.objects.filter(lot=lot, start_date__lte=last_day, end_date__gte=month).values_list(
            "employer_id", flat=True
        )
    )
    employer_ids |= set(Declaration.objects.filter(lot=lot, month=month).values_list("company_id", flat=True))
    return list(Organisation.objects.filter(pk__in=employer_ids).order_by("name", "pk"))


ACTIONS = {"correction", "validate", "close", "reopen"}
# A row whose hours moved by more than this from the previous month is shown for checking (a working week).
CHANGE_THRESHOLD_HOURS = Decimal("35")


@dataclass
class ReviewRow:
    """One person of a company's month beside the previous month: `row` is this month's grid row (None for a person
    declared last month whose contract no longer runs), `before` the previous month's; `warnings` what the hours
    rules say of this month's record (beneficiaries.services.record_warnings)."""

    row: GridRow | None
    before: GridRow | None
    warnings: list[str] = field(default_factory=list)

    @property
    def shown(self) -> GridRow:
        return self.row or self.before

    @property
    def name(self) -> str:
        return self.shown.person

    @property
    def placement(self):
        return self.shown.placement

    @property
    def record(self):
        return self.row.record if self.row else None

    @property
    def previous_record(self):
        return self.before.record if self.before else None

    @property
    def differences(self) -> list[str]:
        """Why the row differs from the previous month, in French (empty when it does not)."""
        before, record = self.previous_record, self.record
        if self.row is None:
            return [f"Plus de contrat ce mois-ci : {_figure(before.hours)} le mois précédent."]
        if before is None:
            return ["Nouvelle personne : aucun relevé le mois précédent."]
        if record is None:
            return []
        change = record.hours - before.hours
        if abs(change) > CHANGE_THRESHOLD_HOURS:
            way = "hausse" if change > 0 else "baisse"
            return [f"Heures en {way} de {_figure(abs(change))} par rapport au mois précédent."]
        return []

    @property
    def flagged(self) -> bool:
        return bool(self.differences or self.warnings)


def review_rows(user, lot, month: date) -> dict[int, list[ReviewRow]]:
    """The rows of each employer's declaration (by employer id) beside the previous month, with the warnings of
    the hours rules: the placements the user sees running in the month (the grid's own rows,
    beneficiaries.views_hours), then the people declared the previous month whose contract no longer runs."""
    rows = build_rows(user, list(grid_placements(user, month, lot)))
    previous = {
        row.placement.pk: row for row in build_rows(user, list(grid_placements(user, add_months(month, -1), lot)))
    }
    warnings = hours_services.record_warnings([row.record for row in rows if row.record is not None])
    by_company: dict[int, list[ReviewRow]] = defaultdict(list)
    for row in rows:
        found = warnings.get(row.record.pk, []) if row.record is not None else []
        by_company[row.placement.employer_id].append(ReviewRow(row, previous.pop(row.placement.pk, None), found))
    for before in previous.values():
        if before.record is not None:
            by_company[before.placement.employer_id].append(ReviewRow(None, before))
    return by_company


def declaration_review(request, pk, month):
    """A lot's month as the facilitator reviews it: for each employer, the declaration's status, who acts next, its
    rows beside the previous month's (the rows that differ and the warnings of the hours rules highlighted), the
    timeline, and the forms to ask for a correction, validate, close or reopen."""
    user = request.user
    lot = _followed_lot(request, pk)
    month = _month_of(month)
    can_manage = _can_manage(user, lot)
    posted_company = request.POST.get("company") if request.method == "POST" else None
    if request.method == "POST":
        require(can_manage, MANAGE_REFUSED)
    sections = []
    seen_people = []
    rows_by_company = review_rows(user, lot, month)
    for company in _companies_of_month(lot, month):
        declaration = declarations.current(lot=lot, company=company, month=month)
        rows = rows_by_company.get(company.pk, [])
        names = {row.placement.pk: row.name for row in rows}
        seen_people += [row.placement.beneficiary for row in rows if row.shown.identified]
        is_posted = posted_company == str(company.pk)
        correction_form = CorrectionForm(
            request.POST if is_posted and request.POST.get("action") == "correction" else None,
            rows=[(row.placement.pk, row.name) for row in rows if row.row is not None],
            prefix=f"c{company.pk}",
        )
        reopen_form = ReopenForm(
            request.POST if is_posted and request.POST.get("action") == "reopen" else None, prefix=f"r{company.pk}"
        )
        sections.append(
            {
                "company": company,
                "declaration": declaration,
                "rows": rows,
                "flagged": sum(1 for row in rows if row.flagged),
                "timeline": _timeline(declaration, names),
                "correction_form": correction_form,
                "reopen_form": reopen_form,
                "errors": [],
            }
        )
    if request.method == "POST":
        action = request.POST.get("action")
        section = next((item for item in sections if str(item["company"].pk) == posted_company), None)
        if section is None or action not in ACTIONS:
            messages.error(request, "Choisissez une déclaration et une action.")
        elif section["declaration"].pk is None:
            section["errors"].append("Cette entreprise n'a encore rien transmis pour ce mois.")
        else:
            declaration = section["declaration"]
            try:
                if action == "correction":
                    if not section["correction_form"].is_valid():
                        raise ValidationError("Choisissez les lignes à corriger.")
                    data = section["correction_form"].cleaned_data
                    declarations.request_correction(
                        declaration=declaration, placements=data["placements"], comment=data["comment"], user=user
                    )
                elif action == "validate":
                    declarations.validate(declaration=declaration, user=user)
                elif action == "close":
                    declarations.close(declaration=declaration, user=user)
                else:
                    reason = section["reopen_form"].cleaned_data["reason"] if section["reopen_form"].is_valid() else ""
                    declarations.reopen(declaration=declaration, reason=reason, user=user)
            except ValidationError as error:
                form = section["correction_form"] if action == "correction" else section["reopen_form"]
                if hasattr(error, "error_dict") and action in ("correction", "reopen"):
                    for field, field_errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, field_errors)
                else:
                    section["errors"].extend(error.messages)
            else:
                done = {
                    "correction": "Correction demandée à {company} : elle voit votre commentaire et les lignes.",
                    "validate": "Déclaration de {company} validée : ses heures comptent désormais dans les bilans.",
                    "close": "Déclaration de {company} clôturée.",
                    "reopen": "Déclaration de {company} rouverte : l'entreprise peut la corriger.",
                }[action]
                messages.success(request, done.format(company=section["company"].name))
                return redirect("companies:review", pk=lot.pk, month=month.strftime("%Y-%m"))
    log_views(user=user, beneficiaries=seen_people, detail=f"Déclarations du lot n° {lot.pk}, {french_month(month)}")
    context = {
        "lot": lot,
        "month": month,
        "sections": sections,
        "can_manage": can_manage,
        "months": declarations.recent_months(lot, timezone.localdate()),
        "Status": DeclarationStatus,
        "Action": DeclarationAction,
        "previous_month": add_months(month, -1),
        "change_threshold": CHANGE_THRESHOLD_HOURS,
    }
    return render(request, "companies/review.html", context)


def lot_declarations(user, lot) -> dict:
    """For the lot page: the latest declarations (status and next actor, never a person) and whether the user reviews
    them."""
    scope = scope_of(user)
    reviews = scope.is_superuser or lot.market.facilitator_id in scope.facilitation_ids
    latest = list(
        Declaration.objects.filter(lot=lot).select_related("company").order_by("-month", "company__name")[:12]
    )
    months = declarations.recent_months(lot, timezone.localdate())
    return {
        "declarations": latest,
        # Names and birth dates: only for the structure following the market.
        "pending_proposals": list(pending_proposals(lot)) if reviews else [],
        "can_review_declarations": reviews,
        # The month to review first: the most recent one transmitted, else the last month of the lot so far.
        "declaration_month": next(
            (
                item.month
                for item in latest
                if item.status in (DeclarationStatus.SUBMITTED, DeclarationStatus.RESUBMITTED)
            ),
            months[0] if months else None,
        ),
    }
