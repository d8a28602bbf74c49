"""The monthly hours grid: one row per placement active in the month, saved all or nothing in one POST.

Every write goes through beneficiaries.services (declare_month, validate_hours, reject_hours). The page runs a
fixed number of queries whatever the number of rows (placements, their lot, clause, market, person and
employer in one query; the month's records in one prefetch).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from audit.services import log_views
from beneficiaries import services
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.filters import search_placements
from beneficiaries.forms import HoursRowForm
from beneficiaries.models import HoursRecord, Placement
from config.collation import French
from config.formatting import exact_hours, french_figure, french_month
from config.hooks import declarations as declaration_locks
from markets.models import Lot
from organisations import permissions
from organisations.web import require_people_access
from reporting.queries import declared_hours_by_lot, lots_progress

MONTHS_OFFERED = 24
ROW_INPUTS = ("hours", "training_hours", "invoiced_amount")


# Months the grid may show: far enough for any contract, near enough for month arithmetic never to leave
# the calendar (a grid of 9999-12 computed 10000-01 and crashed).
MIN_YEAR, MAX_YEAR = 1900, 2200


def parse_month(value: str | None) -> date | None:
    """ "2025-03" → date(2025, 3, 1); None when absent, malformed or outside MIN_YEAR..MAX_YEAR."""
    parts = (value or "").split("-")
    if len(parts) != 2 or not all(part.isdigit() and len(part) <= 4 for part in parts):
        return None
    year, month = (int(part) for part in parts)
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


# The record statuses the grid filters on ("status" GET parameter): value → label.
STATUS_FILTERS = {
    "missing": "Non saisi",
    HoursStatus.DECLARED: "Déclaré",
    HoursStatus.VALIDATED: "Validé",
    HoursStatus.REJECTED: "Rejeté",
    "no_activity": "Aucune activité",
}
MAX_SEARCH_LENGTH = 100


def _parameter_errors(params) -> list[str]:
    """French refusals of the grid's query parameters (the page then shows the default month, all lots)."""
    errors = []
    if params.get("month") and parse_month(params["month"]) is None:
        errors.append(
            f"Le mois demandé ({params['month'][:20]}) n'est pas valide : indiquez un mois au format AAAA-MM, "
            f"entre {MIN_YEAR} et {MAX_YEAR}."
        )
    lot = params.get("lot") or ""
    if lot and not (lot.isdigit() and int(lot) < 2**63):
        errors.append("Le lot demandé n'est pas valide : choisissez-le dans la liste.")
    if params.get("status") and params["status"] not in STATUS_FILTERS:
        errors.append("Le statut demandé n'est pas valide : choisissez-le dans la liste.")
    if len(params.get("q") or "") > MAX_SEARCH_LENGTH:
        errors.append(f"La recherche est trop longue : au plus {MAX_SEARCH_LENGTH} caractères.")
    return errors


def default_month(today: date) -> date:
    """The previous month: hours are collected once the month is over."""
    return add_months(first_of_month(today), -1)


def month_choices(current: date, today: date) -> list[date]:
    this_month = first_of_month(today)
    months = [add_months(this_month, -offset) for offset in range(MONTHS_OFFERED + 1)]
    if current not in months:
        months.append(current)
        months.sort(reverse=True)
    return months


def filter_by_status(placements, month: date, status: str):
    """The placements whose record of the month has this status (STATUS_FILTERS): none ("missing"), declared,
    validated, rejected, or 0 h of work and training ("no_activity", whatever its status)."""
    if not status:
        return placements
    records = HoursRecord.objects.filter(placement=OuterRef("pk"), month=month)
    if status == "missing":
        return placements.filter(~Exists(records))
    if status == "no_activity":
        return placements.filter(Exists(records.filter(hours=0, training_hours=0)))
    return placements.filter(Exists(records.filter(status=status)))


def grid_placements(user, month: date, lot: Lot | None, *, search: str = "", status: str = ""):
    """Placements the user sees that run during the month, with everything a row shows, narrowed to a person
    search (name or participant number) and a record status when given."""
    last_day = add_months(month, 1) - timedelta(days=1)
    queryset = (
        Placement.objects.visible_to(user)
        .filter(start_date__lte=last_day, end_date__gte=month)
        .select_related("beneficiary", "lot__market", "lot__clause", "employer")
        .prefetch_related(
            Prefetch("hours_records", queryset=HoursRecord.objects.filter(month=month), to_attr="month_records")
        )
        .with_visible_name(user)
        .order_by(
            "lot__market__reference", "lot__number", French("visible_last_name"), French("visible_first_name"), "pk"
        )
    )
    if lot is not None:
        queryset = queryset.filter(lot=lot)
    if search:
        queryset = search_placements(queryset, user, search)
    return filter_by_status(queryset, month, status)


@dataclass
class GridRow:
    placement: Placement
    record: HoursRecord | None
    identified: bool
    editable: bool
    validatable: bool
    form: HoursRowForm | None = None
    data: QueryDict | None = None  # the POST the row is shown again with
    errors: list[str] = field(default_factory=list)
    error_field: str = "hours"  # the input the first error concerns (the error list at the top links to it)
    # Why the row is read-only although the user may edit hours: its month is in a company's declaration that was
    # transmitted, validated or closed (companies.declarations.locked_months), and the link to review it.
    locked_by: str = ""
    review_url: str = ""

    @property
    def prefix(self) -> str:
        return f"p{self.placement.pk}"

    # Plain values for the template, computed once (a row's person is quoted up to six times).

    @cached_property
    def person(self) -> str:
        if self.identified:
            return str(self.placement.beneficiary)
        return f"Participant·e n° {self.placement.beneficiary_id}"

    @cached_property
    def pk_text(self) -> str:
        return str(self.placement.pk)

    @cached_property
    def record_pk_text(self) -> str:
        return str(self.record.pk) if self.record is not None else ""

    @cached_property
    def review_value(self) -> str:
        return review_value(self.record) if self.record is not None else ""

    @cached_property
    def detail_url(self) -> str:
        return reverse("placements:detail", args=[self.placement.pk])

    @cached_property
    def lot_url(self) -> str:
        return reverse("lot_detail", args=[self.placement.lot_id])

    @cached_property
    def lot_label(self) -> str:
        lot = self.placement.lot
        return f"{lot.market.reference} – lot {formats.localize(lot.number)}"

    @cached_property
    def employer_name(self) -> str:
        return self.placement.employer.name

    @cached_property
    def modality_label(self) -> str:
        return self.placement.get_modality_display()

    @property
    def error_id(self) -> str:
        return f"row-{self.placement.pk}-errors"

    @property
    def error_target(self) -> str:
        """The id the error list at the top links to: the input at fault, or the row when it has no input."""
        if self.editable:
            name = self.error_field if self.error_field != "invoiced_amount" or self.with_amount else "hours"
            return self.input_id(name)
        return f"row-{self.placement.pk}"

    @property
    def with_amount(self) -> bool:
        return self.placement.modality == Modality.SIAE_SUBCONTRACT

    @property
    def reviewable(self) -> bool:
        return (
            self.validatable
            and self.record is not None
            and self.record.status in (HoursStatus.DECLARED, HoursStatus.REJECTED)
        )

    def initial(self) -> dict:
        record = self.record
        if record is None:
            return {"version": 0}
        return {
            "hours": record.hours if not record.is_converted else None,
            "training_hours": record.training_hours,
            "invoiced_amount": record.invoiced_amount_excl_vat,
            "version": record.version,
        }

    def input_id(self, name: str) -> str:
        return f"id_{self.prefix}-{name}"

    @property
    def inputs(self) -> dict[str, str]:
        """The row's inputs as HTML, keyed by field name (only for a row the user may edit).

        The same markup as HoursRowForm's widgets (names, ids, hidden initial values, aria attributes) written
        directly: rendering 200 forms through the widget templates was most of the page's time.
        """
        if not self.editable:
            return {}
        names = ["hours", "training_hours"] + (["invoiced_amount"] if self.with_amount else [])
        data = self.data
        initial = self.initial()
        language = translation.get_language()
        aria = format_html(' aria-describedby="{}"', self.error_id)
        if self.errors:
            aria += mark_safe(' aria-invalid="true"')
        inputs = {}
        for name in names:
            if data is not None:
                value = data.get(f"{self.prefix}-{name}")
                initial_name = f"initial-{self.prefix}-{name}"
                shown_initial = data.get(initial_name) if initial_name in data else value
            else:
                value = shown_initial = initial.get(name)
            inputs[name] = format_html(
                '<input type="text" name="{}"{} inputmode="decimal" size="6" autocomplete="off"{} id="{}">'
                '<input type="hidden" name="{}"{} id="initial-{}-{}">',
                f"{self.prefix}-{name}",
                _value_attribute(value, language=language),
                aria,
                self.input_id(name),
                f"initial-{self.prefix}-{name}",
                _value_attribute(shown_initial, language=language),
                self.prefix,
                self.input_id(name),
            )
        version = data.get(f"{self.prefix}-version") if data is not None else initial["version"]
        inputs["version"] = format_html(
            '<input type="hidden" name="{}"{} id="{}">',
            f"{self.prefix}-version",
            _value_attribute(version, localize=False),
            self.input_id("version"),
        )
        return inputs

    def html(self, *, review_column: bool, ticked: set[str]) -> str:
        """The row's `<tr>`, written directly (the markup the grid's template wrote for each row: about forty
        template lookups a row were most of the page's time). `review_column`: the grid has the review column;
        `ticked`: the review values ticked in the post the grid is shown again with."""
        pk, person, record = self.pk_text, self.person, self.record
        cells = []
        if review_column:
            check = ""
            if self.reviewable:
                record_pk, value = self.record_pk_text, self.review_value
                check = format_html(
                    '<input type="checkbox" name="review" value="{}" id="review-{}"{}> '
                    '<label for="review-{}" class="visually-hidden">Sélectionner le relevé de {}</label>',
                    value,
                    record_pk,
                    mark_safe(" checked") if value in ticked else "",
                    record_pk,
                    person,
                )
            cells.append(format_html("<td>{}</td>", check))
        if self.identified:
            cells.append(
                format_html(
                    '<th scope="row"><a href="{}">{}</a> <span class="muted">n° {}</span></th>',
                    self.detail_url,
                    person,
                    str(self.placement.beneficiary_id),
                )
            )
        else:
            cells.append(format_html('<th scope="row">{}</th>', person))
        cells.append(format_html('<td><a href="{}">{}</a></td>', self.lot_url, self.lot_label))
        cells.append(
            format_html('<td>{}<br><span class="muted">{}</span></td>', self.employer_name, self.modality_label)
        )
        if self.editable:
            inputs, prefix = self.inputs, self.prefix
            amount = ""
            if self.with_amount:
                amount = format_html(
                    '<label for="id_{}-invoiced_amount" class="grid-amount-label">ou montant facturé HT (€)'
                    '<span class="visually-hidden"> pour {}</span></label>{}',
                    prefix,
                    person,
                    inputs["invoiced_amount"],
                )
            cells.append(
                format_html(
                    '<td class="num">{}<label for="id_{}-hours" class="visually-hidden">Heures d\'insertion de {}'
                    "</label>{}{}</td>"
                    '<td class="num"><label for="id_{}-training_hours" class="visually-hidden">Heures de formation '
                    "de {}</label>{}</td>",
                    inputs["version"],
                    prefix,
                    person,
                    inputs["hours"],
                    amount,
                    prefix,
                    person,
                    inputs["training_hours"],
                )
            )
        else:
            values = (record.hours, record.training_hours) if record else (None, None)
            for label, value in zip(("Heures", "Formation"), values, strict=True):
                shown = floatformat(value, "-2") if record else mark_safe('<span class="muted">—</span>')
                # data-label: the column's name beside the figure when the table is stacked (phone).
                cells.append(format_html('<td class="num" data-label="{}">{}</td>', label, shown))
        if record:
            status = format_html('<span class="badge badge--{}">{}</span>', record.status, record.get_status_display())
            if record.is_converted:
                status += format_html(
                    ' <span class="muted">(converties de {} €)</span>',
                    floatformat(record.invoiced_amount_excl_vat, "-2"),
                )
            if record.rejection_reason:
                status += format_html('<br><span class="muted">Motif : {}</span>', record.rejection_reason)
        else:
            status = mark_safe('<span class="muted">Non saisi</span>')
        if self.locked_by:
            status += format_html(
                '<br><span class="muted">Lecture seule : mois déclaré par l\'entreprise. <a href="{}">Vérifier la '
                'déclaration<span class="visually-hidden"> de {}</span></a></span>',
                self.review_url,
                person,
            )
        if self.editable and not record:
            status += format_html(
                '<br><button type="submit" name="action" value="none:{}" class="button button--small '
                'button--secondary">Aucune activité ce mois-ci<span class="visually-hidden"> pour {}</span>'
                "</button>",
                pk,
                person,
            )
        errors = format_html_join("", "<li>{}</li>", ((error,) for error in self.errors))
        cells.append(format_html('<td>{}<ul class="row-errors" id="row-{}-errors">{}</ul></td>', status, pk, errors))
        return format_html(
            '<tr id="row-{}"{}>{}</tr>\n',
            pk,
            mark_safe(' class="row--error"') if self.errors else "",
            mark_safe("".join(cells)),
        )

    def entry(self, month: date) -> services.HoursEntry:
        data = self.form.cleaned_data
        return services.HoursEntry(
            placement=self.placement,
            month=month,
            hours=data.get("hours") or Decimal("0"),
            training_hours=data.get("training_hours") or Decimal("0"),
            invoiced_amount_excl_vat=data.get("invoiced_amount"),
            expected_version=data["version"],
        )


def _value_attribute(value, *, localize: bool = True, language: str | None = None) -> str:
    """` value="…"` as a localized widget writes it (35,5 ; 1 234,5), nothing for an empty value.

    A number is formatted once per language and text (a grid shows the same few values hundreds of times, and
    localizing a number looks the locale's formats up several times).
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return format_html(' value="{}"', value)
    if not localize:
        return format_html(' value="{}"', value)
    return _localized_value_attribute(language or translation.get_language(), type(value), str(value))


@lru_cache(maxsize=4096)
def _localized_value_attribute(language: str, kind: type, text: str) -> str:
    with translation.override(language):
        return format_html(' value="{}"', formats.localize_input(kind(text)))


def build_rows(user, placements, data: QueryDict | None = None) -> list[GridRow]:
    rows = []
    for placement in placements:
        record = placement.month_records[0] if placement.month_records else None
        row = GridRow(
            placement=placement,
            record=record,
            identified=permissions.can_see_identity(user, placement.beneficiary),
            editable=permissions.can_edit_hours(user, placement),
            validatable=permissions.can_validate_hours(user, placement),
        )
        if row.editable and data is not None:
            row.data = data
            # A form only for a row whose inputs may have changed (the page writes the inputs itself:
            # GridRow.inputs); a row sent back exactly as shown is left alone, as the form would.
            if _may_have_changed(data, row):
                row.form = HoursRowForm(data, prefix=row.prefix, initial=row.initial(), with_amount=row.with_amount)
        rows.append(row)
    return rows


def show_declaration_locks(rows: list[GridRow], month: date) -> None:
    """Rows whose month a company transmitted, or the facilitator validated or closed, are shown read-only with the
    reason and a link to the declaration (one query). Only when the grid is shown: a post keeps every row it sent,
    so that a month locked since the page was shown is refused on its row by the service, never skipped."""
    keys = {
        row.prefix: (row.placement.lot_id, row.placement.employer_id, month)
        for row in rows
        if row.editable or row.validatable
    }
    locks = declaration_locks.locked_months(keys.values())
    for row in rows:
        reason = locks.get(keys.get(row.prefix))
        if reason:
            row.editable = row.validatable = False
            row.locked_by = reason
            row.review_url = reverse("companies:review", args=[row.placement.lot_id, month.strftime("%Y-%m")])


_DECIMAL = forms.DecimalField(required=False, localize=True)


def _may_have_changed(data: QueryDict, row: GridRow) -> bool:
    """False only when every input comes back as the very text shown in it (its hidden initial value), a
    readable number or nothing: then the form would find nothing changed either."""
    for name in ROW_INPUTS if row.with_amount else ROW_INPUTS[:2]:
        initial = f"initial-{row.prefix}-{name}"
        if initial not in data or data.get(f"{row.prefix}-{name}") != data.get(initial):
            return True
        try:
            _DECIMAL.to_python(data.get(initial))
        except ValidationError:
            return True  # the form counts an unreadable initial value as a change
    return False


def _is_blank(data: QueryDict, row: GridRow) -> bool:
    return not any((data.get(f"{row.prefix}-{name}") or "").strip() for name in ROW_INPUTS)


def _apply_no_activity(data: QueryDict, rows: list[GridRow], action: str) -> QueryDict:
    """ "Aucune activité ce mois-ci": 0 h on one row, or on every row without record nor typed value."""
    data = data.copy()
    if action == "none_empty":
        targets = [row for row in rows if row.editable and row.record is None and _is_blank(data, row)]
    else:
        pk = action.removeprefix("none:")
        targets = [row for row in rows if row.editable and str(row.placement.pk) == pk]
    for row in targets:
        data[f"{row.prefix}-hours"] = "0"
        data[f"{row.prefix}-training_hours"] = "0"
        if row.with_amount:
            data[f"{row.prefix}-invoiced_amount"] = ""
    return data


def _grid_url(month: date, lot: Lot | None, *, search: str = "", status: str = "") -> str:
    params = {"month": month.strftime("%Y-%m")}
    if lot is not None:
        params["lot"] = lot.pk
    if search:
        params["q"] = search
    if status:
        params["status"] = status
    return f"{reverse('hours:grid')}?{urlencode(params)}"


# The field names of the service's refusals → the grid's inputs.
REFUSAL_FIELDS = {"hours": "hours", "training_hours": "training_hours", "invoiced_amount_excl_vat": "invoiced_amount"}


def _form_error_field(form: HoursRowForm) -> str:
    return next((name for name in form.errors if name in ROW_INPUTS), "hours")


def _refusal_field(refusals) -> str:
    return next(
        (REFUSAL_FIELDS[f] for f in (getattr(r, "field", None) for r in refusals) if f in REFUSAL_FIELDS), "hours"
    )


def _save(request, rows: list[GridRow], month: date) -> bool:
    """Declare the changed rows all or nothing; put each refusal on its row. True when saved."""
    changed = [row for row in rows if row.form is not None and row.form.inputs_changed()]
    invalid = [row for row in changed if not row.form.is_valid()]
    for row in invalid:
        row.errors = [error for errors in row.form.errors.values() for error in errors]
        row.error_field = _form_error_field(row.form)
    valid = [row for row in changed if row not in invalid]
    entries = [row.entry(month) for row in valid]
    if invalid:
        # Nothing is saved; still report what the service would refuse on the other rows.
        refusals = services.check_hours_entries(entries)
        for index, row in enumerate(valid):
            row.errors = refusals.get(index, [])
            row.error_field = _refusal_field(row.errors)
        return False
    if not entries:
        messages.info(request, "Aucune modification à enregistrer.")
        return True
    _show_totals_next(request, {row.placement.lot_id for row in valid})
    try:
        results = services.declare_month(entries=entries, user=request.user)
    except services.HoursBatchError as error:
        for index, row_messages in error.row_errors.items():
            valid[index].errors = list(row_messages)
            valid[index].error_field = _refusal_field(row_messages)
        return False
    saved = sum(1 for result in results if result.changed)
    messages.success(request, f"{saved} relevé{'s' if saved > 1 else ''} enregistré{'s' if saved > 1 else ''}.")
    for row, result in zip(valid, results, strict=True):
        for warning in result.warnings:
            messages.warning(request, f"{row.person} : {warning}")
    return True


REVIEW_ACTIONS = ("validate", "reject")
CHANGED_SINCE_SHOWN = (
    "Ce relevé a changé depuis l'affichage de la page : vérifiez sa saisie avant de le valider ou de le rejeter."
)
MAX_VERSION = 2**31 - 1


def review_value(record: HoursRecord) -> str:
    """The value of a record's review checkbox: its id and the version shown ("34567:2")."""
    return f"{record.pk}:{record.version}"


def _ticked_versions(values: list[str]) -> dict[int, int] | None:
    """{record id: version shown} from the ticked checkboxes; None when one is unreadable or a record comes
    twice with different versions (a forged or mixed-up post)."""
    versions: dict[int, int] = {}
    for value in values:
        pk_text, _, version_text = value.partition(":")
        if not (pk_text.isdigit() and version_text.isdigit()):
            return None
        pk, version = int(pk_text), int(version_text)
        if pk >= 2**63 or version > MAX_VERSION or versions.setdefault(pk, version) != version:
            return None
    return versions


class ReviewError(str):
    """The refusal of a review, shown at the top of the grid; `on_reason` when it concerns the reason field."""

    on_reason = False


def _review(request, rows: list[GridRow], action: str) -> str | None:
    """Validate or reject the ticked records, each at the version the page showed, all or nothing; returns the
    error to show, if any (nothing is written then)."""
    versions = _ticked_versions(request.POST.getlist("review"))
    if versions is None:
        return "La sélection envoyée est illisible : rechargez la page puis cochez de nouveau les relevés."
    if not versions:
        messages.error(request, "Cochez au moins un relevé déclaré à valider ou à rejeter.")
        return None
    # Whatever their status now: a record validated or rejected since the page was shown is a conflict (its
    # version moved on), not a record silently left out.
    records = [row.record for row in rows if row.validatable and row.record is not None and row.record.pk in versions]
    if len(records) != len(versions):
        return services.REVIEW_CONFLICT_MESSAGE  # a ticked record is no longer on this page
    try:
        if action == "validate":
            count = services.validate_hours(records=records, versions=versions, user=request.user)
        else:
            count = services.reject_hours(
                records=records, versions=versions, user=request.user, reason=request.POST.get("reject_reason", "")
            )
    except services.HoursConflict as error:
        for row in rows:
            if row.record is not None and row.record.pk in error.record_ids:
                row.errors = [CHANGED_SINCE_SHOWN]
        return " ".join(error.messages)
    except ValidationError as error:
        refusal = ReviewError(" ".join(error.messages))
        refusal.on_reason = getattr(error, "code", None) == "reason_missing"
        return refusal
    reviewed = {record.pk for record in records}
    _show_totals_next(request, {row.placement.lot_id for row in rows if row.record and row.record.pk in reviewed})
    done = "validé" if action == "validate" else "rejeté"
    plural = "s" if count > 1 else ""
    messages.success(request, f"{count} relevé{plural} {done}{plural}.")
    return None


TOTALS_SESSION_KEY = "hours_grid_totals"


def _show_totals_next(request, lot_ids) -> None:
    """The page shown after this write (the redirect) gives the totals of these lots."""
    request.session[TOTALS_SESSION_KEY] = sorted(lot_ids)


@dataclass(frozen=True)
class LotTotals:
    """A lot's totals under the grid: validated hours, declared hours awaiting validation, target, progress."""

    progress: object  # reporting.queries.LotProgress
    declared_hours: Decimal

    @property
    def lot(self):
        return self.progress.lot

    # Exact to the hundredth, as typed in the grid (pages elsewhere round hours to 0.1 h).

    @property
    def validated_text(self) -> str:
        return f"{french_figure(exact_hours(self.progress.achieved_hours))}\u00a0h"

    @property
    def declared_text(self) -> str:
        return f"{french_figure(exact_hours(self.declared_hours))}\u00a0h"


def lot_totals(user, lot_ids, *, today: date) -> list[LotTotals]:
    """Totals of the lots (among those the user sees), from the reporting queries, in three queries."""
    if not lot_ids:
        return []
    lots = Lot.objects.visible_to(user).filter(pk__in=list(lot_ids))
    declared = declared_hours_by_lot(lots)
    progress = lots_progress(lots, today=today)
    progress.sort(key=lambda item: (item.lot.market.reference, item.lot.number, item.lot.pk))
    return [LotTotals(item, declared.get(item.lot.pk) or Decimal("0")) for item in progress]


def _posted_rows(rows: list[GridRow], data: QueryDict) -> list[GridRow]:
    """The rows the page that posted showed with inputs (their version came back): only they may be saved, so
    that a row filtered out of the page is never read as emptied."""
    return [row for row in rows if row.editable and f"{row.prefix}-version" in data]


def hours_grid(request):
    user = request.user
    require_people_access(user)
    today = timezone.localdate()
    parameter_errors = _parameter_errors(request.GET)
    month = parse_month(request.GET.get("month")) or default_month(today)
    lot = None
    if request.GET.get("lot") and not parameter_errors:
        lot = get_object_or_404(Lot.objects.visible_to(user).select_related("market"), pk=request.GET["lot"])
    search = "" if parameter_errors else (request.GET.get("q") or "").strip()
    status_filter = "" if parameter_errors else request.GET.get("status") or ""
    status = 200
    review_error = None
    ticked: set[str] = set()
    totals_lot_ids = set()
    if parameter_errors:
        # Refused whole, a post included: nothing is written for a month or lot that was not the one shown.
        for error in parameter_errors:
            messages.error(request, error)
        rows = build_rows(user, list(grid_placements(user, month, lot)))
        show_declaration_locks(rows, month)
        status = 400
    elif request.method == "POST":
        if not permissions.is_facilitator(user):
            raise PermissionDenied("Les lecteur·rices consultent la grille sans la modifier.")
        # Every placement of the month and lot, whatever the search and status filter: a record that changed
        # status since the page was shown is still found (and its version checked), never silently skipped.
        placements = list(grid_placements(user, month, lot))
        actions = set(request.POST.getlist("action")) or {"save"}
        action = actions.pop() if len(actions) == 1 else None
        if action is None or action in REVIEW_ACTIONS:
            rows = build_rows(user, placements)
            if action is None:
                # One button sends one action: a post that would both save, validate or reject is refused whole.
                review_error = "Un même envoi ne peut pas à la fois valider et rejeter (ou enregistrer) : rien n'a "
                review_error += "été enregistré. Choisissez une seule action."
            else:
                review_error = _review(request, rows, action)
            if review_error is None:
                return redirect(_grid_url(month, lot, search=search, status=status_filter))
            ticked = set(request.POST.getlist("review"))
            if search or status_filter:
                shown = set(
                    grid_placements(user, month, lot, search=search, status=status_filter).values_list("pk", flat=True)
                )
                rows = [row for row in rows if row.placement.pk in shown]
            status = 422
        else:
            rows = _posted_rows(build_rows(user, placements), request.POST)
            data = request.POST
            if action == "none_empty" or action.startswith("none:"):
                data = _apply_no_activity(data, rows, action)
            rows = build_rows(user, [row.placement for row in rows], data)
            if _save(request, rows, month):
                return redirect(_grid_url(month, lot, search=search, status=status_filter))
            status = 422
    else:
        rows = build_rows(user, list(grid_placements(user, month, lot, search=search, status=status_filter)))
        show_declaration_locks(rows, month)
        totals_lot_ids = set(request.session.pop(TOTALS_SESSION_KEY, None) or ())
    if lot is not None:
        totals_lot_ids.add(lot.pk)
    lots = Lot.objects.visible_to(user).filter(clause__isnull=False).select_related("market")
    log_views(
        user=user,
        beneficiaries=[row.placement.beneficiary for row in rows if row.identified],
        detail=f"Grille des heures de {french_month(month)}" + (f" (lot n° {lot.pk})" if lot is not None else ""),
    )
    error_rows = [row for row in rows if row.errors]
    can_review_any = any(row.reviewable for row in rows)
    context = {
        "month": month,
        "month_value": month.strftime("%Y-%m"),
        "months": month_choices(month, today),
        "lot": lot,
        "lots": lots,
        "search": search,
        "status_filter": status_filter,
        "status_filters": STATUS_FILTERS.items(),
        "filtered": bool(search or status_filter),
        "rows": rows,
        "can_edit_any": any(row.editable for row in rows),
        "can_review_any": can_review_any,
        # Why some rows are read-only (show_declaration_locks): each company's declaration once, above the rows.
        "locked_notices": sorted({row.locked_by for row in rows if row.locked_by}),
        "has_empty_rows": any(row.editable and row.record is None for row in rows),
        # A refused review is told at the top (its rows are marked); only a missing reason sits on its field.
        "has_errors": review_error is None and bool(error_rows),
        "error_rows": error_rows,
        "review_error": review_error,
        "reason_error": review_error if getattr(review_error, "on_reason", False) else None,
        "ticked": ticked,
        "rows_html": mark_safe("".join(row.html(review_column=can_review_any, ticked=ticked) for row in rows)),
        "action_url": _grid_url(month, lot, search=search, status=status_filter),
        "totals": lot_totals(user, totals_lot_ids, today=today),
    }
    return render(request, "hours/grid.html", context, status=status)
