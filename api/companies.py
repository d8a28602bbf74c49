"""The company API (issue 15, point 6): what a company contact does on its portal, for its payroll software.

    GET  /api/v1/company/lots/                                   its lots, target and validated hours of its people
    GET  /api/v1/company/lots/{id}/                              one lot, and where each month stands
    GET  /api/v1/company/lots/{id}/placements/                   the contracts its company holds on the lot
    GET  /api/v1/company/lots/{id}/declarations/{AAAA-MM}/       the month: status, next actor, rows and timeline
    POST /api/v1/company/lots/{id}/declarations/{AAAA-MM}/rows/  record the hours of the month (all or nothing)
    POST …/submit/  and  …/resubmit/                             « Transmettre », « Retransmettre »

Only a company contact reaches these operations (403 for anyone else, before any lookup), and only on the lots its
company was opened (companies.models.lots_of; any other lot is a 404, as on the portal). The people are reduced to
what the company knows as their employer: last and first name, the contract's modality and dates; never a criterion,
a birth date, an address or a prescriber. Every write is a function of companies.declarations (save_rows, submit,
resubmit): a refusal is a French message on the field or row at fault, or, when the month's status forbids it, a
409 whose `code` says why (`transition`, `waiting`, `locked`); nothing is written.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import Channel
from audit.services import log_views
from beneficiaries import services as hours_services
from beneficiaries.calculations import first_of_month
from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.models import HoursRecord
from beneficiaries.views_hours import parse_month
from companies import declarations
from companies.choices import Capacity, DeclarationAction, DeclarationStatus
from companies.models import NEXT_STEP, CompanyAccess, placements_of
from config.collation import French
from config.formatting import french_month
from organisations.scoping import scope_of

COMPANIES_ONLY = (
    "Ces opérations sont réservées aux comptes d'entreprise : elles servent à une entreprise à déclarer les heures "
    "des personnes qu'elle emploie sur ses lots."
)
NOT_YOUR_LOT = "Ce lot n'est pas ouvert à votre entreprise."
BAD_MONTH = "Ce mois n'est pas valide : indiquez-le au format AAAA-MM."
NO_ACTIVITY_WITH_HOURS = "« Aucune activité » : laissez les heures vides ou à 0."
HOURS_MISSING = "Indiquez les heures du mois, ou « aucune activité » (no_activity: true)."
NOTHING_SAVED = "Rien n'a été enregistré : corrigez les lignes signalées."
# The refusals of companies.declarations that depend on where the month stands: 409, with their code.
CONFLICT_CODES = frozenset({"transition", "waiting", "locked"})


class CompanyPermission(BasePermission):
    """A company contact (organisations.scoping.Scope.company_ids), whatever its other memberships."""

    message = COMPANIES_ONLY

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and scope_of(user).company_ids)


def company_lot(user, pk):
    """A lot opened to the contact's company and the company it works for there; 404 for any other lot."""
    if not 0 < pk < 2**63:
        raise NotFound(NOT_YOUR_LOT)
    access = (
        CompanyAccess.objects.of_user(user)
        .filter(lot_id=pk)
        .select_related("lot__market__buyer", "lot__clause", "membership__organisation")
        .order_by("pk")
        .first()
    )
    if access is None:
        raise NotFound(NOT_YOUR_LOT)
    return access.lot, access.membership.organisation, access


def _month(value: str, *, allow_future: bool = False):
    month = parse_month(value)
    if month is None:
        raise NotFound(BAD_MONTH)
    if not allow_future and month > first_of_month(timezone.localdate()):
        raise serializers.ValidationError({"month": [declarations.FUTURE_MONTH.format(month=french_month(month))]})
    return month


def _name(beneficiary) -> str:
    return f"{beneficiary.last_name.upper()} {beneficiary.first_name}"


# Serializers ------------------------------------------------------------------------------------------------------


class CompanySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(label="raison sociale")


class CompanyLotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(label="numéro de lot")
    title = serializers.CharField(label="intitulé du lot")
    market_reference = serializers.CharField(source="market.reference", label="référence du marché")
    market_title = serializers.CharField(source="market.title", label="objet du marché")
    buyer = serializers.CharField(source="market.buyer.name", label="acheteur")
    start_date = serializers.DateField(label="début d'exécution")
    end_date = serializers.DateField(label="fin d'exécution")
    company = CompanySerializer(source="api_company", label="entreprise")
    capacity = serializers.ChoiceField(source="api_capacity", choices=Capacity.choices, label="au titre de")
    target_hours = serializers.SerializerMethodField(
        label="objectif d'heures d'insertion du lot", help_text="L'objectif de la clause sociale ; null sans clause."
    )
    validated_hours = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        label="heures validées de vos contrats",
        help_text="Heures d'insertion validées par la facilitatrice sur les contrats de votre entreprise (hors "
        "formation), en chaîne décimale (« 1234.50 »).",
    )
    validated_training_hours = serializers.DecimalField(
        max_digits=12, decimal_places=2, label="heures de formation validées de vos contrats"
    )

    def get_target_hours(self, lot) -> int | None:
        clause = getattr(lot, "clause", None)
        return clause.target_hours if clause is not None else None


class MonthStatusSerializer(serializers.Serializer):
    month = serializers.CharField(label="mois (AAAA-MM)")
    status = serializers.ChoiceField(choices=DeclarationStatus.choices, label="état")
    status_label = serializers.CharField(label="état (libellé)")
    next_step = serializers.CharField(
        label="prochaine étape", help_text="Qui doit agir : « À l'entreprise de déclarer »…"
    )


class CompanyLotDetailSerializer(CompanyLotSerializer):
    months = MonthStatusSerializer(
        many=True, label="mois à déclarer", help_text="Les 12 derniers mois, le plus récent d'abord."
    )


class CompanyPlacementSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="contrat")
    last_name = serializers.CharField(source="beneficiary.last_name", label="nom")
    first_name = serializers.CharField(source="beneficiary.first_name", label="prénom")
    modality = serializers.ChoiceField(choices=Modality.choices, label="modalité")
    modality_label = serializers.CharField(source="get_modality_display", label="modalité (libellé)")
    job_title = serializers.CharField(label="poste")
    start_date = serializers.DateField(label="début du contrat")
    end_date = serializers.DateField(label="fin du contrat")


class RowSerializer(serializers.Serializer):
    """One row of the month as read: the contract, its person (name only), its hours and the record's version."""

    placement = serializers.IntegerField(label="contrat")
    last_name = serializers.CharField(label="nom")
    first_name = serializers.CharField(label="prénom")
    modality = serializers.ChoiceField(choices=Modality.choices, label="modalité")
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, label="heures d'insertion")
    training_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, label="heures de formation"
    )
    no_activity = serializers.BooleanField(label="aucune activité")
    record_status = serializers.ChoiceField(
        choices=HoursStatus.choices, allow_null=True, label="état du relevé", help_text="null : rien de saisi."
    )
    correction_requested = serializers.CharField(
        allow_blank=True, label="correction demandée", help_text="Le commentaire de la facilitatrice sur cette ligne."
    )
    version = serializers.IntegerField(
        label="version", help_text="À renvoyer avec la ligne (0 : aucun relevé) ; une version périmée est refusée."
    )


class ChangeSerializer(serializers.Serializer):
    placement = serializers.IntegerField(label="contrat")
    hours_before = serializers.CharField(allow_null=True)
    hours_after = serializers.CharField()
    training_before = serializers.CharField(allow_null=True)
    training_after = serializers.CharField()


class EventSerializer(serializers.Serializer):
    date = serializers.DateTimeField(source="created_at", label="le")
    action = serializers.ChoiceField(choices=DeclarationAction.choices, label="étape")
    action_label = serializers.CharField(source="get_action_display", label="étape (libellé)")
    actor = serializers.SerializerMethodField(label="par")
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None, label="pour")
    from_status = serializers.ChoiceField(choices=DeclarationStatus.choices, label="état avant")
    to_status = serializers.ChoiceField(choices=DeclarationStatus.choices, label="état après")
    next_step = serializers.SerializerMethodField(label="prochaine étape")
    comment = serializers.CharField(label="commentaire")
    placements = serializers.ListField(child=serializers.IntegerField(), label="lignes concernées")
    changes = ChangeSerializer(many=True, label="modifications")

    def get_actor(self, event) -> str:
        if event.user is None:
            return "—"
        return event.user.get_full_name() or event.user.email

    def get_next_step(self, event) -> str:
        return NEXT_STEP[event.to_status]


class DeclarationSerializer(serializers.Serializer):
    lot = serializers.IntegerField(label="lot")
    company = CompanySerializer(label="entreprise")
    month = serializers.CharField(label="mois (AAAA-MM)")
    status = serializers.ChoiceField(choices=DeclarationStatus.choices, label="état")
    status_label = serializers.CharField(label="état (libellé)")
    next_step = serializers.CharField(label="prochaine étape")
    editable = serializers.BooleanField(label="modifiable par l'entreprise")
    locked = serializers.BooleanField(label="verrouillée (validée ou clôturée)")
    rows = RowSerializer(many=True, label="lignes")
    timeline = EventSerializer(
        many=True, label="historique", help_text="Les étapes, de la plus ancienne à la plus récente."
    )


class RowInputSerializer(serializers.Serializer):
    placement = serializers.IntegerField(min_value=1, max_value=2**63 - 1, label="contrat")
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, label="heures d'insertion"
    )
    training_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, label="heures de formation"
    )
    no_activity = serializers.BooleanField(
        default=False, label="aucune activité", help_text="Vrai : la personne n'a pas travaillé ce mois (0 h)."
    )
    version = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        label="version",
        help_text="La version du relevé lue (0 s'il n'existait pas) : une version périmée est refusée sur sa ligne.",
    )

    def validate(self, attrs):
        if attrs.get("no_activity"):
            if attrs.get("hours") or attrs.get("training_hours"):
                raise serializers.ValidationError({"no_activity": [NO_ACTIVITY_WITH_HOURS]})
            attrs["hours"] = attrs["training_hours"] = Decimal("0")
        elif attrs.get("hours") is None:
            raise serializers.ValidationError({"hours": [HOURS_MISSING]})
        if attrs.get("training_hours") is None:
            attrs["training_hours"] = Decimal("0")
        return attrs


class RowsInputSerializer(serializers.Serializer):
    rows = RowInputSerializer(many=True, allow_empty=False, max_length=1000, label="lignes")


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField(label="motif, en français")
    code = serializers.CharField(label="code", help_text="transition, waiting, locked, missing_rows, not_a_row…")


REFUSAL = OpenApiResponse(
    RefusalSerializer,
    description="Refus : l'état du mois ne le permet pas (409, code transition, waiting ou locked) ; rien n'a changé.",
    examples=[
        OpenApiExample(
            "Mois verrouillé",
            value={
                "detail": "Le mois 03/2026 est validé : ses heures sont verrouillées. Demandez à la facilitatrice de "
                "le rouvrir.",
                "code": "locked",
            },
            response_only=True,
            status_codes=["409"],
        ),
        OpenApiExample(
            "Transition refusée",
            value={
                "detail": "On ne peut pas retransmettre cette déclaration : elle est « Transmise » (à la facilitatrice "
                "de valider).",
                "code": "transition",
            },
            response_only=True,
            status_codes=["409"],
        ),
    ],
)
MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH, description="Le mois, au format AAAA-MM (« 2026-03 »)."
)
LOT_PARAMETER = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, OpenApiParameter.PATH, description="Le lot."
)
COMMON_RESPONSES = {
    403: OpenApiResponse(description="Pas un compte d'entreprise."),
    404: OpenApiResponse(description="Ce lot n'est pas ouvert à votre entreprise, ou le mois n'est pas valide."),
}


# Reading ----------------------------------------------------------------------------------------------------------


class CompanyView:
    """A successful GET answer that names people (contracts, a month's rows) writes one « consultation » entry per
    person in the access journal, channel API, as the company's pages do (companies.views.log_people_read)."""

    permission_classes = [CompanyPermission]
    parser_classes = [JSONParser]  # a payroll software sends JSON: `rows` is a list of objects

    def initial(self, request, *args, **kwargs):
        self.people_shown = []
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        people = getattr(self, "people_shown", None)
        if request.method == "GET" and response.status_code < 400 and people:
            log_views(user=request.user, beneficiaries=people, channel=Channel.API, detail=request.path)
        return response


def _validated_totals(user, lots) -> dict[int, dict]:
    totals = (
        HoursRecord.objects.filter(
            placement__in=placements_of(user), placement__lot__in=lots, status=HoursStatus.VALIDATED
        )
        .values("placement__lot")
        .annotate(hours=Sum("hours"), training=Sum("training_hours"))
    )
    return {row["placement__lot"]: row for row in totals}


def _lot_data(lot, access, totals):
    company = access.membership.organisation
    lot.api_company = {"id": company.pk, "name": company.name}
    lot.api_capacity = access.capacity
    row = totals.get(lot.pk, {})
    lot.validated_hours = row.get("hours") or Decimal("0")
    lot.validated_training_hours = row.get("training") or Decimal("0")
    return lot


class CompanyLotList(CompanyView, APIView):
    """Les lots ouverts à votre entreprise, avec l'objectif d'heures de la clause et les heures déjà validées des
    contrats de votre entreprise."""

    @extend_schema(
        summary="Mes lots",
        operation_id="company_lots_list",
        tags=["entreprise"],
        responses={200: CompanyLotSerializer(many=True), **COMMON_RESPONSES},
    )
    def get(self, request):
        accesses = {}
        for access in (
            CompanyAccess.objects.of_user(request.user)
            .select_related("lot__market__buyer", "lot__clause", "membership__organisation")
            .order_by("lot__market__reference", "lot__number", "pk")
        ):
            accesses.setdefault(access.lot_id, access)
        totals = _validated_totals(request.user, [access.lot for access in accesses.values()])
        lots = [_lot_data(access.lot, access, totals) for access in accesses.values()]
        return Response(CompanyLotSerializer(lots, many=True).data)


class CompanyLotDetail(CompanyView, APIView):
    """Un lot ouvert à votre entreprise, et où en est la déclaration de chacun de ses 12 derniers mois."""

    @extend_schema(
        summary="Un de mes lots",
        operation_id="company_lots_retrieve",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER],
        responses={200: CompanyLotDetailSerializer, **COMMON_RESPONSES},
    )
    def get(self, request, pk):
        lot, company, access = company_lot(request.user, pk)
        _lot_data(lot, access, _validated_totals(request.user, [lot]))
        found = {item.month: item for item in lot.declarations.filter(company=company)}
        lot.months = []
        for month in declarations.recent_months(lot, timezone.localdate()):
            item = found.get(month)
            state = item.status if item else DeclarationStatus.TO_DECLARE
            lot.months.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "status": state,
                    "status_label": DeclarationStatus(state).label,
                    "next_step": NEXT_STEP[state],
                }
            )
        return Response(CompanyLotDetailSerializer(lot).data)


class CompanyPlacementList(CompanyView, APIView):
    """Les contrats de votre entreprise sur ce lot : le nom et le prénom de la personne, la modalité, le poste et
    les dates du contrat ; rien d'autre de la personne."""

    @extend_schema(
        summary="Mes contrats sur un lot",
        operation_id="company_lots_placements",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER],
        responses={200: CompanyPlacementSerializer(many=True), **COMMON_RESPONSES},
    )
    def get(self, request, pk):
        lot, _company, _access = company_lot(request.user, pk)
        placements = (
            placements_of(request.user)
            .filter(lot=lot)
            .select_related("beneficiary")
            .order_by(French("beneficiary__last_name"), French("beneficiary__first_name"), "pk")
        )
        self.people_shown = [placement.beneficiary for placement in placements]
        return Response(CompanyPlacementSerializer(placements, many=True).data)


def declaration_data(lot, company, month) -> dict:
    declaration = declarations.current(lot=lot, company=company, month=month)
    placements = list(
        declarations.rows_of(lot=lot, company=company, month=month)
        .select_related("beneficiary")
        .order_by(French("beneficiary__last_name"), French("beneficiary__first_name"), "pk")
    )
    records = {
        record.placement_id: record for record in HoursRecord.objects.filter(placement__in=placements, month=month)
    }
    rows = []
    for placement in placements:
        record = records.get(placement.pk)
        rows.append(
            {
                "placement": placement.pk,
                "last_name": placement.beneficiary.last_name,
                "first_name": placement.beneficiary.first_name,
                "modality": placement.modality,
                "hours": record.hours if record else None,
                "training_hours": record.training_hours if record else None,
                "no_activity": bool(record and not record.hours and not record.training_hours),
                "record_status": record.status if record else None,
                "correction_requested": record.rejection_reason if record else "",
                "version": record.version if record else 0,
            }
        )
    events = list(declaration.events.select_related("user", "organisation")) if declaration.pk else []
    return {
        "lot": lot.pk,
        "company": {"id": company.pk, "name": company.name},
        "month": month.strftime("%Y-%m"),
        "status": declaration.status,
        "status_label": declaration.get_status_display(),
        "next_step": declaration.next_step,
        "editable": declaration.status in declarations.EDITABLE,
        "locked": declaration.is_locked,
        "rows": rows,
        "timeline": events,
        "people": [placement.beneficiary for placement in placements],  # for the access journal, not serialised
    }


DECLARATION_EXAMPLE = OpenApiExample(
    "Mois transmis",
    value={
        "lot": 12,
        "company": {"id": 4, "name": "Maçonnerie Dupuis"},
        "month": "2026-03",
        "status": "submitted",
        "status_label": "Transmise",
        "next_step": "À la facilitatrice de valider",
        "editable": False,
        "locked": False,
        "rows": [
            {
                "placement": 31,
                "last_name": "Ravignac",
                "first_name": "Hermeline",
                "modality": "hire_cdd",
                "hours": "120.00",
                "training_hours": "7.00",
                "no_activity": False,
                "record_status": "declared",
                "correction_requested": "",
                "version": 1,
            }
        ],
        "timeline": [
            {
                "date": "2026-04-02T09:14:00+02:00",
                "action": "submitted",
                "action_label": "Déclaration transmise",
                "actor": "Claire Dupuis",
                "organisation": "Maçonnerie Dupuis",
                "from_status": "to_declare",
                "to_status": "submitted",
                "next_step": "À la facilitatrice de valider",
                "comment": "",
                "placements": [],
                "changes": [],
            }
        ],
    },
    response_only=True,
)


class CompanyDeclarationDetail(CompanyView, APIView):
    """La déclaration d'un mois : son état, qui doit agir, les lignes (une par contrat de votre entreprise en
    cours ce mois-là, avec sa version) et l'historique de ses étapes (qui, quand, quoi, et l'étape suivante)."""

    @extend_schema(
        summary="La déclaration d'un mois",
        operation_id="company_declarations_retrieve",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER, MONTH_PARAMETER],
        responses={200: DeclarationSerializer, 400: OpenApiResponse(description="Mois futur."), **COMMON_RESPONSES},
        examples=[DECLARATION_EXAMPLE],
    )
    def get(self, request, pk, month):
        lot, company, _access = company_lot(request.user, pk)
        month = _month(month)
        data = declaration_data(lot, company, month)
        self.people_shown = data["people"]
        return Response(DeclarationSerializer(data).data)


# Writing ----------------------------------------------------------------------------------------------------------


def _refused(error: DjangoValidationError) -> Response:
    """A refusal of companies.declarations as an answer: field errors on their field (400), a status that forbids
    the step as a 409 with its code, any other refusal as a 400 with its code."""
    if hasattr(error, "error_dict"):
        return Response(
            {("non_field_errors" if key == "__all__" else key): value for key, value in error.message_dict.items()},
            status=status.HTTP_400_BAD_REQUEST,
        )
    code = error.error_list[0].code if getattr(error, "error_list", None) else None
    answer = {"detail": " ".join(error.messages), "code": code or "invalid"}
    if code in CONFLICT_CODES:
        return Response(answer, status=status.HTTP_409_CONFLICT)
    if code == "not_allowed":
        return Response(answer, status=status.HTTP_403_FORBIDDEN)
    return Response(answer, status=status.HTTP_400_BAD_REQUEST)


WRITE_RESPONSES = {
    200: DeclarationSerializer,
    400: OpenApiResponse(description="Saisie refusée : les messages sont sur le champ ou la ligne en cause."),
    409: REFUSAL,
    **COMMON_RESPONSES,
}


class CompanyDeclarationRows(CompanyView, APIView):
    """Enregistre les heures du mois, tout ou rien (companies.declarations.save_rows) : pour chaque contrat, les
    heures d'insertion et de formation, ou « aucune activité », avec la `version` du relevé lue. Possible tant que
    le mois est « à déclarer » ou « correction demandée » ; ensuite 409 (`waiting` : transmise, `locked` :
    validée ou clôturée). Une ligne refusée (plafond mensuel, hors contrat, version périmée…) porte son message
    en français sous son rang dans `rows` (« 0 » pour la première), et rien n'est enregistré."""

    @extend_schema(
        summary="Enregistrer les heures d'un mois",
        operation_id="company_declarations_rows",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER, MONTH_PARAMETER],
        request=RowsInputSerializer,
        responses=WRITE_RESPONSES,
        examples=[
            OpenApiExample(
                "Deux lignes",
                value={
                    "rows": [
                        {"placement": 31, "hours": "120", "training_hours": "7", "version": 0},
                        {"placement": 32, "no_activity": True, "version": 2},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Ligne refusée",
                value={
                    "rows": {
                        "1": {"hours": ["Indiquez les heures du mois, ou « aucune activité » (no_activity: true)."]}
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk, month):
        lot, company, _access = company_lot(request.user, pk)
        month = _month(month)
        serializer = RowsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["rows"]
        placements = {
            placement.pk: placement for placement in declarations.rows_of(lot=lot, company=company, month=month)
        }
        unknown = {
            index: {"placement": [declarations.NOT_A_ROW]}
            for index, row in enumerate(rows)
            if row["placement"] not in placements
        }
        if unknown:
            return Response({"rows": unknown}, status=status.HTTP_400_BAD_REQUEST)
        entries = [
            hours_services.HoursEntry(
                placement=placements[row["placement"]],
                month=month,
                hours=row["hours"],
                training_hours=row["training_hours"],
                expected_version=row["version"],
            )
            for row in rows
        ]
        try:
            declarations.save_rows(lot=lot, company=company, month=month, entries=entries, user=request.user)
        except hours_services.HoursBatchError as error:
            errors = {index: {"non_field_errors": found} for index, found in sorted(error.row_errors.items())}
            return Response({"rows": errors, "detail": NOTHING_SAVED}, status=status.HTTP_400_BAD_REQUEST)
        except hours_services.HoursConflict:
            raise
        except DjangoValidationError as error:
            return _refused(error)
        return Response(DeclarationSerializer(declaration_data(lot, company, month)).data)


class _Send(CompanyView, APIView):
    step = None  # companies.declarations.submit or resubmit

    def post(self, request, pk, month):
        lot, company, _access = company_lot(request.user, pk)
        month = _month(month)
        try:
            with transaction.atomic():
                type(self).step(lot=lot, company=company, month=month, user=request.user)
        except DjangoValidationError as error:
            return _refused(error)
        return Response(DeclarationSerializer(declaration_data(lot, company, month)).data)


class CompanyDeclarationSubmit(_Send):
    """« Transmettre » (companies.declarations.submit) : le mois « à déclarer » part à la facilitatrice, qui le
    vérifie. Chaque ligne doit avoir ses heures ou « aucune activité » (sinon 400, code `missing_rows`, avec les
    noms) ; dans un autre état, 409 (code `transition`)."""

    step = staticmethod(declarations.submit)

    @extend_schema(
        summary="Transmettre un mois",
        operation_id="company_declarations_submit",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER, MONTH_PARAMETER],
        request=None,
        responses=WRITE_RESPONSES,
    )
    def post(self, request, pk, month):
        return super().post(request, pk, month)


class CompanyDeclarationResubmit(_Send):
    """« Retransmettre » (companies.declarations.resubmit) : après une « correction demandée », le mois corrigé
    repart à la facilitatrice ; dans un autre état, 409 (code `transition`)."""

    step = staticmethod(declarations.resubmit)

    @extend_schema(
        summary="Retransmettre un mois corrigé",
        operation_id="company_declarations_resubmit",
        tags=["entreprise"],
        parameters=[LOT_PARAMETER, MONTH_PARAMETER],
        request=None,
        responses=WRITE_RESPONSES,
    )
    def post(self, request, pk, month):
        return super().post(request, pk, month)
