"""The company's home and its yearly statement (issue 15, point 4).

Whose hours a company reads: always its own share, the validated hours of the placements IT employs on the lot
(the summary table, counted as every report counts them: reporting.queries). The lot's target belongs to the
holder: the holder also reads the lot's progress toward it (all the lot's companies together, subcontractors
included: reporting.queries.lots_progress, the lot status and projection of every dashboard); a subcontractor, a temp
agency, a GEIQ or an SIAE reads only its own hours, and their projection at its own pace
(clauses.calculations.projected_hours, the same formula). Only validated hours count; declared hours awaiting
validation are shown apart.

Each page that names people (the home, the lot page, the declaration page, the statement) writes one « consultation »
entry per person shown in the access journal (audit.services.log_views), as the facilitators' pages do.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import wraps

from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord, Placement
from beneficiaries.views_hours import parse_month
from clauses import calculations as clause_calculations
from companies import declarations
from companies.choices import Capacity, DeclarationStatus
from companies.models import CompanyAccess, Declaration, DeclarationEvent, lots_of, placements_of
from companies.views import _people, _require_company, _with_modality_labels, log_people_read, statement_years
from config.collation import French
from config.formatting import exact_hours, french_date
from reporting import exports, queries
from reporting.models import PlacementYear

ZERO = Decimal("0")
OWED_STATUSES = (DeclarationStatus.TO_DECLARE,)


# The home ------------------------------------------------------------------------------------------------------


@dataclass
class LotLine:
    """One lot of the home, as its company reads it."""

    access: CompanyAccess
    own_validated: Decimal = ZERO  # the company's own validated counted hours, all years
    own_declared: Decimal = ZERO  # its declared hours awaiting validation
    own_projection: Decimal = ZERO  # its own hours at the end date, at its current pace
    progress: queries.LotProgress | None = None  # the lot's progress toward its target: the holder only
    people: list = field(default_factory=list)
    statement_years: list[int] = field(default_factory=list)

    @property
    def lot(self):
        return self.access.lot

    @property
    def company(self):
        return self.access.membership.organisation

    @property
    def is_holder(self) -> bool:
        return self.access.capacity == Capacity.HOLDER


def _own_validated(user) -> dict[tuple[int, int], Decimal]:
    """{(lot, employer): validated counted hours of all years} of the contact's own placements (one query)."""
    rows = (
        PlacementYear.objects.filter(placement__in=placements_of(user).values("pk"))
        .order_by()
        .values("lot", "placement__employer")
        .annotate(total=Sum(queries.COUNTED_HOURS, output_field=queries.HOURS_FIELD))
    )
    return {(row["lot"], row["placement__employer"]): row["total"] or ZERO for row in rows}


def _own_declared(user) -> dict[tuple[int, int], Decimal]:
    """{(lot, employer): counted hours declared and not yet validated} of the contact's placements (one query), with
    the counting rule of reporting.queries.declared_hours_by_lot."""
    counted = queries.counted_with(Q(placement__lot__clause__counts_training_hours=True))
    rows = (
        HoursRecord.objects.filter(placement__in=placements_of(user).values("pk"), status=HoursStatus.DECLARED)
        .order_by()
        .values("placement__lot", "placement__employer")
        .annotate(total=Sum(counted, output_field=queries.HOURS_FIELD))
    )
    return {(row["placement__lot"], row["placement__employer"]): row["total"] or ZERO for row in rows}


def _owed(accesses, today: date) -> list[dict]:
    """What the companies owe this month: the previous month « à déclarer » where they employ someone on the lot that
    month and have not transmitted it, and every month where a correction is requested (three queries)."""
    previous = add_months(first_of_month(today), -1)
    last_day = first_of_month(today) - date.resolution
    pairs = {(access.lot_id, access.membership.organisation_id): access for access in accesses}
    if not pairs:
        return []
    lots = {lot_id for lot_id, _ in pairs}
    companies = {company_id for _, company_id in pairs}
    employing = set(
        Placement.objects.filter(
            lot__in=lots, employer__in=companies, start_date__lte=last_day, end_date__gte=previous
        ).values_list("lot", "employer")
    )
    found = Declaration.objects.filter(lot__in=lots, company__in=companies).filter(
        Q(month=previous) | Q(status=DeclarationStatus.CORRECTION_REQUESTED)
    )
    by_key = {
        (item.lot_id, item.company_id, item.month): item for item in found if (item.lot_id, item.company_id) in pairs
    }
    owed = []
    for (lot_id, company_id), access in pairs.items():
        lot = access.lot
        in_execution = first_of_month(lot.start_date) <= previous <= first_of_month(lot.end_date)
        declaration = by_key.get((lot_id, company_id, previous))
        not_sent = declaration is None or declaration.status in OWED_STATUSES
        if in_execution and (lot_id, company_id) in employing and not_sent:
            owed.append({"access": access, "month": previous, "declaration": declaration, "correction": False})
    corrections = [item for item in by_key.values() if item.status == DeclarationStatus.CORRECTION_REQUESTED]
    comments = _last_comments(corrections)
    for item in sorted(corrections, key=lambda item: (item.lot_id, item.month)):
        owed.append(
            {
                "access": pairs[(item.lot_id, item.company_id)],
                "month": item.month,
                "declaration": item,
                "correction": True,
                "comment": comments.get(item.pk, ""),
            }
        )
    return owed


def _last_comments(items) -> dict[int, str]:
    """The comment of the last step that sent each declaration back to the company (one query)."""
    comments = {}
    events = DeclarationEvent.objects.filter(declaration__in=[item.pk for item in items]).exclude(comment="")
    for event in events.order_by("created_at", "pk"):
        comments[event.declaration_id] = event.comment
    return comments


def company_home(request):
    """« Mes lots »: for each lot the contact reaches, its own hours (validated, awaiting validation, projected), the
    lot's progress toward its target when its company holds the lot, the people it employs there; what it owes this
    month (the previous month to declare, the corrections requested) and its declarations with who acts next."""
    _require_company(request.user)
    user = request.user
    today = timezone.localdate()
    accesses = list(
        CompanyAccess.objects.of_user(user)
        .select_related("lot__market__buyer", "membership__organisation")
        .order_by("lot__market__reference", "lot__number", "pk")
    )
    people = _with_modality_labels(_people(placements_of(user)))
    validated, declared = _own_validated(user), _own_declared(user)
    held = [access.lot_id for access in accesses if access.capacity == Capacity.HOLDER]
    progress = {item.lot.pk: item for item in queries.lots_progress(lots_of(user).filter(pk__in=held), today=today)}
    lots = []
    for access in accesses:
        lot, key = access.lot, (access.lot_id, access.membership.organisation_id)
        own = exact_hours(validated.get(key, ZERO))
        line = LotLine(
            access=access,
            own_validated=own,
            own_declared=exact_hours(declared.get(key, ZERO)),
            own_projection=clause_calculations.projected_hours(
                achieved_hours=own, start=lot.start_date, end=lot.end_date, today=today
            ),
            progress=progress.get(lot.pk) if access.capacity == Capacity.HOLDER else None,
            people=[row for row in people if row["lot_id"] == access.lot_id],
            statement_years=statement_years(lot, today),
        )
        lots.append(line)
    companies = {access.membership.organisation_id for access in accesses}
    history = (
        Declaration.objects.filter(lot__in=[access.lot_id for access in accesses], company__in=companies)
        .select_related("lot__market", "company")
        .order_by("lot__market__reference", "lot__number", "-month", "company__name")
    )
    pairs = {(access.lot_id, access.membership.organisation_id) for access in accesses}
    context = {
        "lots": lots,
        "owed": _owed(accesses, today),
        "declarations": [item for item in history if (item.lot_id, item.company_id) in pairs],
        "today": today,
    }
    log_people_read(user=user, placements=placements_of(user), detail="Entreprise : mes lots")
    return render(request, "companies/home.html", context)


# The yearly statement --------------------------------------------------------------------------------------------


def _months_of(lot, year: int, today: date) -> list[date]:
    """The months of `year` within the lot's execution, up to this month."""
    first = max(date(year, 1, 1), first_of_month(lot.start_date))
    last = min(date(year, 12, 1), first_of_month(lot.end_date), first_of_month(today))
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Statement:
    lot: object
    company: object
    year: int
    months: list  # (month, hours) of every month of the year within the execution, 0 where none
    summary: queries.Summary
    people: list  # (last name, first name, hours) of the company's own employees with validated hours that year


def statement_of(*, lot, company, year: int, today: date) -> Statement:
    """The company's validated insertion hours on the lot in `year` (its own placements only), month by month, with
    the totals and its employees (three queries on the summary table, counted as every report counts)."""
    records = PlacementYear.objects.filter(lot=lot, year=year, placement__employer=company)
    by_month = {point.month: point.hours for point in queries.monthly_hours(records, year=year)}
    months = [(month, by_month.get(month, ZERO)) for month in _months_of(lot, year, today)]
    people = [
        (row["beneficiary__last_name"], row["beneficiary__first_name"], exact_hours(row["total"] or ZERO))
        for row in records.order_by()
        .values("beneficiary", "beneficiary__last_name", "beneficiary__first_name")
        .annotate(total=Sum(queries.COUNTED_HOURS, output_field=queries.HOURS_FIELD))
        .order_by(French("beneficiary__last_name"), French("beneficiary__first_name"), "beneficiary")
    ]
    return Statement(lot, company, year, months, queries.summary(records, year=year), people)


def _statement_tables(statement: Statement) -> list[exports.Table]:
    lot, company, year = statement.lot, statement.company, statement.year
    structure = lot.market.facilitator.name if lot.market.facilitator_id else "la structure de facilitation"
    rows = [*statement.months, ("Total", statement.summary.hours)]
    summary = statement.summary
    return [
        exports.Table(
            "mois",
            f"Heures d'insertion validées par mois en {year}",
            (
                # A text column (left-aligned, as a label): "mars 2025", then "Total".
                exports.Column("mois", "Mois", lambda row: exports.display_text(row[0], exports.MONTH)),
                exports.Column("heures", "Heures validées", lambda row: row[1], exports.HOURS),
            ),
            rows,
            note=(
                f"Heures d'insertion des salarié·es de {company.name} sur ce lot, validées par {structure}. Seules "
                "les heures validées comptent ; les heures de formation s'y ajoutent lorsque la clause le prévoit."
            ),
        ),
        exports.Table(
            "synthese",
            f"Synthèse {year}",
            (
                exports.Column("indicateur", "Indicateur", lambda row: row[0]),
                exports.Column("valeur", "Valeur", lambda row: row[1], exports.NUMBER),
            ),
            [
                ("Heures d'insertion validées", exports.Typed(summary.hours, exports.HOURS)),
                ("Équivalents temps plein (ETP)", exports.Typed(summary.fte, exports.DECIMAL)),
                ("Personnes en insertion", exports.Typed(summary.participants, exports.INTEGER)),
                ("Contrats", exports.Typed(summary.contracts, exports.INTEGER)),
            ],
        ),
        exports.Table(
            "personnes",
            "Vos salarié·es en insertion",
            (
                exports.Column("nom", "Nom", lambda row: row[0].upper()),
                exports.Column("prenom", "Prénom", lambda row: row[1]),
                exports.Column("heures", f"Heures validées en {year}", lambda row: row[2], exports.HOURS),
            ),
            statement.people,
        ),
    ]


def statement_meta(statement: Statement, *, generated_at=None) -> exports.ExportMeta:
    lot, year = statement.lot, statement.year
    months = statement.months
    period = "—"  # a lot starting later in the year: no month yet
    if months:
        period = f"du {french_date(months[0][0])} au {french_date(add_months(months[-1][0], 1) - date.resolution)}"
    filters = (
        ("Entreprise", statement.company.name),
        ("Lot", f"{lot.market.reference} – lot {lot.number} : {lot.title}"),
        ("Marché", lot.market.title),
        ("Acheteur", lot.market.buyer.name),
        ("Structure de facilitation", lot.market.facilitator.name if lot.market.facilitator_id else "—"),
        ("Période", period),
    )
    extra = {"generated_at": generated_at} if generated_at else {}
    return exports.ExportMeta(
        title=f"Attestation des heures d'insertion {year}",
        subtitle="Établie par Clausier à partir des heures validées par la structure de facilitation.",
        filters=filters,
        **extra,
    )


@require_safe
def company_statement(request, pk, year):
    """The yearly statement of the company's insertion hours on one of its lots, as a PDF (WeasyPrint, the layout of
    the reports' PDF). Another company's lot, or a year outside the lot's execution, is a 404."""
    _require_company(request.user)
    lot = get_object_or_404(lots_of(request.user).select_related("market__buyer", "market__facilitator"), pk=pk)
    today = timezone.localdate()
    if year not in statement_years(lot, today):
        raise Http404(f"Aucune attestation pour cette année : le lot ne s'exécute pas en {year}.")
    access = CompanyAccess.objects.of_user(request.user).filter(lot=lot).select_related("membership__organisation")
    company = access.first().membership.organisation
    statement = statement_of(lot=lot, company=company, year=year, today=today)
    context = {"meta": statement_meta(statement), "tables": exports.rendered_tables(_statement_tables(statement))}
    body = exports.pdf_bytes("reporting/pdf.html", context)
    log_people_read(
        user=request.user,
        placements=Placement.objects.filter(pk__in=statement_placements(lot, company, year)),
        detail=f"Entreprise : attestation {year} du lot n° {lot.pk}",
    )
    response = HttpResponse(body, content_type="application/pdf")
    filename = f"attestation-heures-insertion-{year}-{lot.market.reference}-lot-{lot.number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def statement_placements(lot, company, year: int):
    return PlacementYear.objects.filter(lot=lot, year=year, placement__employer=company).values("placement")


# The declaration page's journal ------------------------------------------------------------------------------------


def journaled_declaration(view):
    """Wrap the company's declaration page (companies.views_declarations.company_declaration): a page it answered
    (200) showed the people of the month's rows, each gets a « consultation » entry in the access journal."""

    @wraps(view)
    def wrapper(request, pk, month, *args, **kwargs):
        response = view(request, pk, month, *args, **kwargs)
        if response.status_code == 200:
            lot = lots_of(request.user).filter(pk=pk).first()
            access = (
                CompanyAccess.objects.of_user(request.user).filter(lot=lot).select_related("membership").first()
                if lot
                else None
            )
            parsed = parse_month(month)
            if access is not None and parsed is not None:
                rows = declarations.rows_of(lot=lot, company=access.membership.organisation_id, month=parsed)
                log_people_read(
                    user=request.user, placements=rows, detail=f"Entreprise : déclaration du lot n° {lot.pk}, {month}"
                )
        return response

    return wrapper
