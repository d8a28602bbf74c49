"""The monthly declaration of a company and its workflow (issue 15, points 2 and 3).

    à déclarer ──submit──▶ transmise ──validate──▶ validée ──close──▶ clôturée
                              │    ▲                  │                 │
              request_correction   resubmit           └──── reopen ─────┘
                              ▼    │                        (reason)
                       correction demandée ◀────────────────────┘
                              │
                              └──resubmit──▶ retransmise ──validate / request_correction──▶ …

The company saves its rows (hours, training hours, « aucune activité ») while the month is « à déclarer » or
« correction demandée », then submits; the facilitator asks for a correction on given rows or validates. Every
transition is one of these functions: each locks the declaration's row (select_for_update), checks the status it
starts from and refuses any other with a French ValidationError (code "transition") that changes nothing. The hours
are written, validated and rejected by beneficiaries.services only, so their history, `version` and the reporting
summary follow, and the reports count a declared hour only once the facilitator validated it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from beneficiaries import services as hours_services
from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursSource, HoursStatus
from beneficiaries.models import HoursRecord, Placement
from companies.choices import DeclarationAction, DeclarationStatus
from companies.models import NEXT_STEP, CompanyAccess, Declaration, DeclarationEvent
from config.formatting import french_month
from config.hooks import notify
from markets.models import Lot
from organisations.models import Organisation
from organisations.scoping import scope_of

S = DeclarationStatus
# action: (the statuses it starts from, the status it leads to, the verb of its refusal)
TRANSITIONS = {
    DeclarationAction.SUBMITTED: ({S.TO_DECLARE}, S.SUBMITTED, "transmettre"),
    DeclarationAction.CORRECTION_REQUESTED: (
        {S.SUBMITTED, S.RESUBMITTED},
        S.CORRECTION_REQUESTED,
        "demander une correction de",
    ),
    DeclarationAction.RESUBMITTED: ({S.CORRECTION_REQUESTED}, S.RESUBMITTED, "retransmettre"),
    DeclarationAction.VALIDATED: ({S.SUBMITTED, S.RESUBMITTED}, S.VALIDATED, "valider"),
    DeclarationAction.CLOSED: ({S.VALIDATED}, S.CLOSED, "clôturer"),
    DeclarationAction.REOPENED: ({S.VALIDATED, S.CLOSED}, S.CORRECTION_REQUESTED, "rouvrir"),
}
EDITABLE = frozenset({S.TO_DECLARE, S.CORRECTION_REQUESTED})

NOT_A_CONTACT = "Seule l'entreprise qui emploie ces personnes sur le lot déclare leurs heures."
NOT_FOLLOWING = "Seule la structure qui suit le marché du lot vérifie et valide ses déclarations."
FUTURE_MONTH = "Le mois {month} n'est pas encore commencé : on ne déclare pas un mois futur."
WAITING = (
    "Cette déclaration est transmise : la facilitatrice la vérifie et vous ne pouvez plus la modifier "
    "(elle peut vous demander une correction)."
)
LOCKED = "Le mois {month} est validé : ses heures sont verrouillées. Demandez à la facilitatrice de le rouvrir."
NOT_A_ROW = "Cette ligne n'est pas un contrat de votre entreprise sur ce lot pour ce mois."
MISSING_ROWS = "Indiquez les heures, ou « aucune activité », de chaque personne avant de transmettre : {names}."
COMMENT_MISSING = "Expliquez ce qui doit être corrigé."
NO_ROW_CHOSEN = "Cochez au moins une ligne à corriger."
REASON_MISSING = "Indiquez pourquoi vous rouvrez ce mois."


# While a company's month is in one of these statuses its hours records change only through the workflow (the
# facilitator asks for a correction, or reopens the month): the grid, the import and the API are refused.
WRITE_LOCKED = frozenset({S.SUBMITTED, S.RESUBMITTED, S.VALIDATED, S.CLOSED})
WRITE_LOCKED_WAITING = (
    "La déclaration de {company} pour {month} est « {status} » : ses heures ne se modifient plus ici. "
    "Demandez une correction à l'entreprise depuis la page de vérification des déclarations du lot."
)
WRITE_LOCKED_DONE = (
    "La déclaration de {company} pour {month} est « {status} » : ses heures sont verrouillées. "
    "Rouvrez le mois, avec un motif, depuis la page de vérification des déclarations du lot pour les corriger."
)


def lock_months(rows: Iterable[tuple[int, int, date]]) -> dict[tuple[int, int, date], str]:
    """The write lock of the hours (called by beneficiaries.services through config.hooks.declarations).

    `rows` holds the (lot id, employer id, first day of the month) of the records a write would change. Locks the
    declarations of those months (select_for_update, before the hours services lock the records: the order of the
    workflow's own transitions, which lock the declaration first) and returns, for each month whose declaration is
    transmitted, validated or closed, the French refusal naming the company and the status."""
    keys = set(rows)
    if not keys:
        return {}
    lots, companies = {lot for lot, _, _ in keys}, {company for _, company, _ in keys}
    months = Declaration.objects.filter(lot_id__in=lots, company_id__in=companies, month__in={m for _, _, m in keys})
    # A company with access to the lot may be submitting a month whose declaration it is creating right now: its
    # row is inserted here too (the unique constraint makes this insert wait for the other one), so that the lock
    # below always finds it.
    reached = set(
        CompanyAccess.objects.filter(lot_id__in=lots, membership__organisation_id__in=companies).values_list(
            "lot_id", "membership__organisation_id"
        )
    )
    existing = set(months.values_list("lot_id", "company_id", "month"))
    Declaration.objects.bulk_create(
        [
            Declaration(lot_id=lot, company_id=company, month=month)
            for lot, company, month in sorted(keys - existing)
            if (lot, company) in reached
        ],
        ignore_conflicts=True,
    )
    found = months.select_for_update(of=("self",)).select_related("company").order_by("pk")
    return _refusals(found, keys)


def _refusals(declarations, keys: set) -> dict[tuple[int, int, date], str]:
    refusals = {}
    for declaration in declarations:
        key = (declaration.lot_id, declaration.company_id, declaration.month)
        if key in keys and declaration.status in WRITE_LOCKED:
            text = WRITE_LOCKED_DONE if declaration.status in (S.VALIDATED, S.CLOSED) else WRITE_LOCKED_WAITING
            refusals[key] = text.format(
                company=declaration.company.name,
                month=french_month(declaration.month),
                status=DeclarationStatus(declaration.status).label.lower(),
            )
    return refusals


def locked_months(rows: Iterable[tuple[int, int, date]]) -> dict[tuple[int, int, date], str]:
    """What `lock_months` would refuse, read without locking nor creating anything (one query): the hours grid
    shows those rows read-only, with the reason, instead of inputs whose save would be refused."""
    keys = set(rows)
    if not keys:
        return {}
    lots, companies = {lot for lot, _, _ in keys}, {company for _, company, _ in keys}
    found = Declaration.objects.filter(
        lot_id__in=lots,
        company_id__in=companies,
        month__in={month for _, _, month in keys},
        status__in=WRITE_LOCKED,
    ).select_related("company")
    return _refusals(found, keys)


def _refusal(action: str, status: str) -> ValidationError:
    verb = TRANSITIONS[action][2]
    return ValidationError(
        f"On ne peut pas {verb} cette déclaration : elle est « {DeclarationStatus(status).label} » "
        f"({NEXT_STEP[status][0].lower()}{NEXT_STEP[status][1:]}).",
        code="transition",
    )


MONTHS_LISTED = 12


def recent_months(lot, today: date) -> list[date]:
    """The months a declaration can be made for, most recent first: the lot's execution up to this month."""
    last = min(first_of_month(today), first_of_month(lot.end_date))
    first = first_of_month(lot.start_date)
    months, month = [], last
    while month >= first and len(months) < MONTHS_LISTED:
        months.append(month)
        month = add_months(month, -1)
    return months


def rows_of(*, lot, company, month: date):
    """The placements of the declaration: employed by the company on the lot and running during the month."""
    last_day = add_months(month, 1) - timedelta(days=1)
    return Placement.objects.filter(lot=lot, employer=company, start_date__lte=last_day, end_date__gte=month)


def current(*, lot, company, month: date) -> Declaration:
    """The declaration of the month, or an unsaved one « à déclarer » (nothing is written by reading a page)."""
    month = first_of_month(month)
    found = Declaration.objects.filter(lot=lot, company=company, month=month).first()
    return found or Declaration(lot=lot, company=company, month=month)


def _locked(*, lot, company, month: date) -> Declaration:
    Declaration.objects.get_or_create(lot=lot, company=company, month=month)
    return (
        Declaration.objects.select_for_update().select_related("lot__market").get(lot=lot, company=company, month=month)
    )


def _relock(declaration: Declaration) -> Declaration:
    return Declaration.objects.select_for_update().select_related("lot__market").get(pk=declaration.pk)


def _check_company(user, lot, company) -> None:
    if not CompanyAccess.objects.of_user(user).filter(lot=lot, membership__organisation=company).exists():
        raise ValidationError(NOT_A_CONTACT, code="not_allowed")


def _check_facilitator(user, lot) -> None:
    scope = scope_of(user)
    if not scope.is_superuser and lot.market.facilitator_id not in scope.facilitation_editor_ids:
        raise ValidationError(NOT_FOLLOWING, code="not_allowed")


def _check_month(month: date) -> None:
    if month > first_of_month(timezone.localdate()):
        raise ValidationError({"month": ValidationError(FUTURE_MONTH.format(month=french_month(month)), code="future")})


def _move(declaration: Declaration, action: str, *, user, organisation, **event) -> Declaration:
    starts, leads_to, _ = TRANSITIONS[action]
    if declaration.status not in starts:
        raise _refusal(action, declaration.status)
    from_status = declaration.status
    declaration.status = leads_to
    declaration.save(update_fields=["status", "updated_at"])
    step = DeclarationEvent.objects.create(
        declaration=declaration,
        action=action,
        from_status=from_status,
        to_status=leads_to,
        user=user,
        organisation=organisation,
        **event,
    )
    notify.declaration_event(step)  # its e-mails, queued when the transaction commits (notifications.events)
    return declaration


def _text(value) -> str:
    """A figure as stored in the timeline: "127.00"."""
    return f"{Decimal(value):.2f}"


def _figures(records: Iterable[HoursRecord]) -> dict[int, tuple[str, str]]:
    return {record.placement_id: (_text(record.hours), _text(record.training_hours)) for record in records}


@transaction.atomic
def save_rows(
    *,
    lot,
    company,
    month: date,
    entries: Sequence["hours_services.HoursEntry"],
    user,
    keep_validated: bool = False,
):
    """The company records its hours of the month (all or nothing, through beneficiaries.services.declare_month: the
    records stay « déclarées », their source « Déclaration entreprise »). Refused once the month is transmitted,
    validated or closed. `keep_validated` leaves a validated record (a reopened month) as it is, as the import does.
    Returns the results of declare_month; the timeline gets one « Heures enregistrées » step listing the hours before
    and after."""
    month = first_of_month(month)
    _check_company(user, lot, company)
    _check_month(month)
    declaration = _locked(lot=lot, company=company, month=month)
    if declaration.is_locked:
        raise ValidationError(LOCKED.format(month=french_month(month)), code="locked")
    if declaration.status not in EDITABLE:
        raise ValidationError(WAITING, code="waiting")
    allowed = set(rows_of(lot=lot, company=company, month=month).values_list("pk", flat=True))
    if any(entry.placement.pk not in allowed or first_of_month(entry.month) != month for entry in entries):
        raise ValidationError(NOT_A_ROW, code="not_a_row")
    ids = [entry.placement.pk for entry in entries]
    before = _figures(HoursRecord.objects.filter(placement__in=ids, month=month))
    results = hours_services.declare_month(
        entries=entries, user=user, source=HoursSource.COMPANY, keep_validated=keep_validated
    )
    changes = [
        {
            "placement": result.record.placement_id,
            "hours_before": before.get(result.record.placement_id, (None, None))[0],
            "hours_after": _text(result.record.hours),
            "training_before": before.get(result.record.placement_id, (None, None))[1],
            "training_after": _text(result.record.training_hours),
        }
        for result in results
        if result.changed and not result.kept_validated
    ]
    if changes:
        DeclarationEvent.objects.create(
            declaration=declaration,
            action=DeclarationAction.SAVED,
            from_status=declaration.status,
            to_status=declaration.status,
            user=user,
            organisation=company,
            placements=[change["placement"] for change in changes],
            changes=changes,
        )
        declaration.save(update_fields=["updated_at"])
    return results


def _missing_rows(declaration: Declaration) -> list[str]:
    rows = rows_of(lot=declaration.lot, company=declaration.company, month=declaration.month)
    missing = rows.exclude(hours_records__month=declaration.month).select_related("beneficiary")
    return [f"{row.beneficiary.last_name.upper()} {row.beneficiary.first_name}" for row in missing.order_by("pk")]


def _send(action: str, *, lot, company, month: date, user) -> Declaration:
    month = first_of_month(month)
    _check_company(user, lot, company)
    _check_month(month)
    declaration = _locked(lot=lot, company=company, month=month)
    starts = TRANSITIONS[action][0]
    if declaration.status in starts:
        missing = _missing_rows(declaration)
        if missing:
            raise ValidationError(MISSING_ROWS.format(names=", ".join(missing)), code="missing_rows")
    return _move(declaration, action, user=user, organisation=company)


@transaction.atomic
def submit(*, lot, company, month: date, user) -> Declaration:
    """« Transmettre »: the company sends its month to the facilitator (every row has its hours or « aucune
    activité »)."""
    return _send(DeclarationAction.SUBMITTED, lot=lot, company=company, month=month, user=user)


@transaction.atomic
def resubmit(*, lot, company, month: date, user) -> Declaration:
    """« Retransmettre »: the company sends its corrected month back."""
    return _send(DeclarationAction.RESUBMITTED, lot=lot, company=company, month=month, user=user)


def _records(declaration: Declaration, statuses):
    rows = rows_of(lot=declaration.lot, company=declaration.company, month=declaration.month)
    return HoursRecord.objects.filter(placement__in=rows, month=declaration.month, status__in=statuses)


@transaction.atomic
def request_correction(*, declaration: Declaration, placements: Iterable, comment: str, user) -> Declaration:
    """The facilitator sends the month back to the company, with a comment on the rows concerned: their records are
    rejected with the comment as reason (beneficiaries.services.reject_hours), in the person's hours history."""
    declaration = _relock(declaration)
    _check_facilitator(user, declaration.lot)
    if declaration.status not in TRANSITIONS[DeclarationAction.CORRECTION_REQUESTED][0]:
        raise _refusal(DeclarationAction.CORRECTION_REQUESTED, declaration.status)
    comment = (comment or "").strip()
    ids = sorted({getattr(placement, "pk", placement) for placement in placements})
    errors = {}
    if not comment:
        errors["comment"] = ValidationError(COMMENT_MISSING, code="comment_missing")
    rows = rows_of(lot=declaration.lot, company=declaration.company, month=declaration.month)
    if not ids:
        errors["placements"] = ValidationError(NO_ROW_CHOSEN, code="no_row")
    elif rows.filter(pk__in=ids).count() != len(ids):
        errors["placements"] = ValidationError(NOT_A_ROW, code="not_a_row")
    if errors:
        raise ValidationError(errors)
    records = _records(declaration, [HoursStatus.DECLARED]).filter(placement__in=ids)
    hours_services.reject_hours(
        records=records, versions=hours_services.UNCHECKED, user=user, reason=comment, declaration_workflow=True
    )
    return _move(
        declaration,
        DeclarationAction.CORRECTION_REQUESTED,
        user=user,
        organisation=declaration.lot.market.facilitator,
        comment=comment,
        placements=ids,
    )


@transaction.atomic
def validate(*, declaration: Declaration, user) -> Declaration:
    """« Valider »: the facilitator validates the month's records of the declaration
    (beneficiaries.services.validate_hours: history, version, summary), which the reports count from now on. The
    declaration's row lock keeps the company from changing them in between."""
    declaration = _relock(declaration)
    _check_facilitator(user, declaration.lot)
    if declaration.status not in TRANSITIONS[DeclarationAction.VALIDATED][0]:
        raise _refusal(DeclarationAction.VALIDATED, declaration.status)
    records = list(_records(declaration, [HoursStatus.DECLARED, HoursStatus.REJECTED]))
    hours_services.validate_hours(
        records=records, versions=hours_services.UNCHECKED, user=user, declaration_workflow=True
    )
    return _move(
        declaration,
        DeclarationAction.VALIDATED,
        user=user,
        organisation=declaration.lot.market.facilitator,
        placements=sorted({record.placement_id for record in records}),
    )


@transaction.atomic
def close(*, declaration: Declaration, user) -> Declaration:
    """« Clôturer »: nothing more is expected on this month."""
    declaration = _relock(declaration)
    _check_facilitator(user, declaration.lot)
    return _move(declaration, DeclarationAction.CLOSED, user=user, organisation=declaration.lot.market.facilitator)


@transaction.atomic
def reopen(*, declaration: Declaration, reason: str, user) -> Declaration:
    """Reopen a validated or closed month, with a reason (in the timeline): the company may correct it again. Its
    records stay validated until the company changes them (a change sets a record back to « déclarée »)."""
    declaration = _relock(declaration)
    _check_facilitator(user, declaration.lot)
    if declaration.status not in TRANSITIONS[DeclarationAction.REOPENED][0]:
        raise _refusal(DeclarationAction.REOPENED, declaration.status)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(REASON_MISSING, code="reason_missing")})
    return _move(
        declaration,
        DeclarationAction.REOPENED,
        user=user,
        organisation=declaration.lot.market.facilitator,
        comment=reason,
    )


# The facilitator's work queue ----------------------------------------------------------------------------------

# A company declares a month by a day of the next month chosen by the facilitation structure following the lot's
# market (Organisation.declaration_deadline_day, the 5th by default: the month's payslips are out). The late list
# of the work queue and the reminders (notifications.reminders) both read it through `declaration_deadline`.
DEFAULT_DECLARATION_DEADLINE_DAY = Organisation._meta.get_field("declaration_deadline_day").default
TO_REVIEW = (S.SUBMITTED, S.RESUBMITTED)


def declaration_deadline(month: date, *, day: int = DEFAULT_DECLARATION_DEADLINE_DAY) -> date:
    """The last day to declare `month`: the `day` of the next month (a structure's declaration_deadline_day)."""
    return add_months(first_of_month(month), 1).replace(day=day)


def to_review(lots):
    """The declarations of these lots waiting for the facilitator (« transmise » or « retransmise »), the oldest
    month first."""
    return (
        Declaration.objects.filter(lot__in=lots, status__in=TO_REVIEW)
        .select_related("lot__market", "company")
        .order_by("month", "lot__market__reference", "lot__number", "company__name", "pk")
    )


@dataclass(frozen=True)
class LateDeclaration:
    lot: Lot
    company: Organisation
    month: date
    deadline: date


def late_declarations(lots, today: date) -> list[LateDeclaration]:
    """The companies late with their declaration: a company with an active access to one of these lots, employing
    on it a placement that ran during the previous month, whose declaration of that month is still « à déclarer »
    (or not begun) once the deadline of the structure following the lot's market (its declaration_deadline_day of
    this month) is past. In a fixed few queries, sorted by market, lot and company."""
    month = add_months(first_of_month(today), -1)
    # The earliest deadline day a structure may choose is the 1st: before it, nobody can be late.
    if today <= declaration_deadline(month, day=1):
        return []
    last_day = first_of_month(today) - timedelta(days=1)
    company = OuterRef("membership__organisation")
    pairs = set(
        CompanyAccess.objects.active()
        .filter(lot__in=lots, lot__market__facilitator__declaration_deadline_day__lt=today.day)
        .filter(
            Exists(
                Placement.objects.filter(
                    lot=OuterRef("lot"), employer=company, start_date__lte=last_day, end_date__gte=month
                )
            )
        )
        .exclude(
            Exists(
                Declaration.objects.filter(lot=OuterRef("lot"), company=company, month=month).exclude(
                    status=S.TO_DECLARE
                )
            )
        )
        .values_list("lot_id", "membership__organisation_id")
    )
    if not pairs:
        return []
    lots_by_pk = Lot.objects.select_related("market__facilitator").in_bulk({lot for lot, _ in pairs})
    companies = Organisation.objects.in_bulk({company for _, company in pairs})
    late = [
        LateDeclaration(
            lots_by_pk[lot],
            companies[company],
            month,
            declaration_deadline(month, day=lots_by_pk[lot].market.facilitator.declaration_deadline_day),
        )
        for lot, company in pairs
    ]
    late.sort(key=lambda item: (item.lot.market.reference, item.lot.number, item.company.name, item.company.pk))
    return late


def forget_proposal_identities(*, beneficiary_ids, last_name: str) -> int:
    """Anonymisation (beneficiaries.anonymisation, through config.hooks.declarations): the identity a company typed on
    the proposals accepted for these people is cleared as the person's own is (the proposal keeps its contract facts
    and its dates)."""
    from companies.models import PersonProposal

    return PersonProposal.objects.filter(placement__beneficiary__in=beneficiary_ids).update(
        last_name=last_name, first_name="", birth_date=None, refusal_reason=""
    )
