"""Monthly hours records, written through beneficiaries.services (declare_hours, validate_hours,
reject_hours): the same rules as the monthly grid (placement period, 220 h ceiling, AI cap...).

Optimistic locking: every write names the `version` of the record its client read, as the grid does. A missing
`version` where one is required is a 400 on the `version` field; a `version` that is no longer the record's
(someone else changed, validated or rejected it since) is a 409 with a French `detail`, and nothing is written.
"""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import (
    FilterSet,
    IdFilter,
    PeopleOnlyViewSetMixin,
    ReadCreateUpdateViewSet,
    VisibleRelatedField,
    YearFilter,
    require,
)
from api.placements import placement_label
from beneficiaries.calculations import first_of_month
from beneficiaries.choices import HoursSource
from beneficiaries.models import HoursRecord, Placement
from beneficiaries.services import CONFLICT_MESSAGE, HoursEntry, declare_hours, reject_hours, validate_hours
from organisations.permissions import can_edit_hours, can_validate_hours

HOURS_REFUSED = "Votre rôle ne permet pas de déclarer des heures sur ce contrat."
VALIDATION_REFUSED = "Seule la structure de facilitation du marché valide ou rejette les heures."
VERSION_REQUIRED = (
    "Indiquez la version du relevé que vous avez lue (champ « version ») : elle évite d'écraser une modification "
    "faite entre-temps par quelqu'un d'autre."
)
VERSION_HELP = (
    "Version du relevé lue avant de l'écrire (verrouillage optimiste). Obligatoire pour modifier, valider ou "
    "rejeter ; à la création, 0 (valeur par défaut) signifie « aucun relevé n'existe encore pour ce contrat et ce "
    "mois ». Une version périmée est refusée (409) sans rien écrire."
)


def version_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=2**31 - 1, label="version", help_text=VERSION_HELP, **kwargs)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=CONFLICT_MESSAGE)


CONFLICT_RESPONSE = OpenApiResponse(
    ConflictSerializer, description="Le relevé a changé depuis la version indiquée : rien n'a été écrit."
)


class HoursRecordSerializer(serializers.ModelSerializer):
    placement = VisibleRelatedField(
        queryset=Placement.objects.all(), label="contrat / mission", display=placement_label
    )
    lot = serializers.IntegerField(source="placement.lot_id", read_only=True, label="lot")
    # No bounds here: the service refuses negative hours and the monthly ceiling with its own messages.
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, label="heures d'insertion")
    training_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, label="heures de formation"
    )
    month = serializers.DateField(
        label="mois", help_text="Premier jour du mois (AAAA-MM-01) ; un autre jour est ramené au 1er."
    )
    version = version_field(required=False)

    class Meta:
        model = HoursRecord
        fields = [
            "id",
            "placement",
            "lot",
            "month",
            "hours",
            "training_hours",
            "invoiced_amount_excl_vat",
            "is_converted",
            "status",
            "source",
            "declared_at",
            "reviewed_at",
            "rejection_reason",
            "version",
        ]
        read_only_fields = ["is_converted", "status", "source", "declared_at", "reviewed_at", "rejection_reason"]
        validators = []  # (placement, month) is an upsert, handled by declare_hours

    def validate(self, attrs):
        if self.instance is not None:
            for name in ("placement", "month"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    if name == "month" and first_of_month(attrs[name]) == self.instance.month:
                        continue
                    raise serializers.ValidationError({name: ["Le contrat et le mois d'un relevé ne se changent pas."]})
            if "version" not in attrs:
                raise serializers.ValidationError({"version": [VERSION_REQUIRED]})
        elif "hours" not in attrs and attrs.get("invoiced_amount_excl_vat") is None:
            raise serializers.ValidationError({"hours": ["Indiquez les heures (ou le montant facturé)."]})
        return attrs

    def _declare(self, placement, month, values):
        require(can_edit_hours(self.context["request"].user, placement), HOURS_REFUSED)
        entry = HoursEntry(
            placement=placement,
            month=month,
            hours=values.get("hours", 0),
            training_hours=values.get("training_hours", 0),
            invoiced_amount_excl_vat=values.get("invoiced_amount_excl_vat"),
            # A creation without a version expects no record: posting over an existing one is a conflict.
            expected_version=values.get("version", 0),
        )
        result = declare_hours(entry=entry, user=self.context["request"].user, source=HoursSource.API)
        self.created = result.created
        return result.record

    def create(self, validated_data):
        return self._declare(validated_data["placement"], validated_data["month"], validated_data)

    def update(self, instance, validated_data):
        values = {
            "hours": instance.hours,
            "training_hours": instance.training_hours,
            "invoiced_amount_excl_vat": instance.invoiced_amount_excl_vat if instance.is_converted else None,
            **validated_data,
        }
        return self._declare(instance.placement, instance.month, values)


class ReviewSerializer(serializers.Serializer):
    version = version_field()


class RejectionSerializer(ReviewSerializer):
    reason = serializers.CharField(label="motif du rejet")


class HoursFilter(FilterSet):
    year = YearFilter(field_name="month__year", label="Année")
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte", label="À partir du mois (AAAA-MM-01)")
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte", label="Jusqu'au mois (AAAA-MM-01)")
    lot = IdFilter(field_name="placement__lot", label="Lot")
    market = IdFilter(field_name="placement__lot__market", label="Marché")
    buyer = IdFilter(field_name="placement__lot__market__buyer", label="Acheteur")
    facilitator = IdFilter(
        field_name="placement__lot__market__facilitator", label="Structure de facilitation du marché"
    )
    structure = IdFilter(field_name="placement__beneficiary__structure", label="Structure qui accompagne la personne")
    market_type = django_filters.CharFilter(field_name="placement__lot__market__market_type", label="Type de marché")
    department = django_filters.CharFilter(
        field_name="placement__lot__market__execution_commune__department", label="Département (code INSEE)"
    )
    region = django_filters.CharFilter(
        field_name="placement__lot__market__execution_commune__department__region", label="Région (code INSEE)"
    )
    modality = django_filters.CharFilter(field_name="placement__modality", label="Modalité")

    class Meta:
        model = HoursRecord
        fields = ["placement", "status", "source"]


@extend_schema_view(
    create=extend_schema(responses={201: HoursRecordSerializer, 200: HoursRecordSerializer, 409: CONFLICT_RESPONSE}),
    update=extend_schema(responses={200: HoursRecordSerializer, 409: CONFLICT_RESPONSE}),
    partial_update=extend_schema(responses={200: HoursRecordSerializer, 409: CONFLICT_RESPONSE}),
)
class HoursRecordViewSet(PeopleOnlyViewSetMixin, ReadCreateUpdateViewSet):
    """Relevés d'heures mensuels. Toute écriture indique la `version` du relevé lue : obligatoire pour modifier
    (PUT, PATCH), valider ou rejeter (400 sur `version` si elle manque) ; une version périmée est refusée
    (409, `detail` en français) et rien n'est écrit. Une création sur un contrat et un mois déjà saisis met le
    relevé à jour si elle indique sa version (sans version : 409). Toute modification repasse le relevé à
    « déclarées »."""

    serializer_class = HoursRecordSerializer
    filterset_class = HoursFilter
    ordering_fields = ["month", "hours", "declared_at"]
    ordering = ["-month", "id"]

    def get_queryset(self):
        return HoursRecord.objects.visible_to(self.request.user).select_related(
            "placement__lot__market", "placement__beneficiary"
        )

    def can_write(self, user, record):
        return can_edit_hours(user, record.placement)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = serializer.save()
        code = status.HTTP_201_CREATED if getattr(serializer, "created", True) else status.HTTP_200_OK
        return Response(self.get_serializer(record).data, status=code)

    def _reviewed(self, pk):
        record = self.get_object()
        require(can_validate_hours(self.request.user, record.placement), VALIDATION_REFUSED)
        return record

    @extend_schema(
        request=ReviewSerializer,
        responses={200: HoursRecordSerializer, 409: CONFLICT_RESPONSE},
        summary="Valider un relevé",
    )
    @action(detail=True, methods=["post"], url_path="validate")
    def validate_record(self, request, pk=None):
        """Valide un relevé déclaré (ou rejeté), à la `version` lue."""
        record = self._reviewed(pk)
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        versions = {record.pk: serializer.validated_data["version"]}
        if not validate_hours(records=[record], versions=versions, user=request.user):
            return Response({"non_field_errors": ["Ce relevé est déjà validé."]}, status=status.HTTP_400_BAD_REQUEST)
        record.refresh_from_db()
        return Response(self.get_serializer(record).data)

    @extend_schema(
        request=RejectionSerializer,
        responses={200: HoursRecordSerializer, 409: CONFLICT_RESPONSE},
        summary="Rejeter un relevé",
    )
    @action(detail=True, methods=["post"], url_path="reject")
    def reject_record(self, request, pk=None):
        """Rejette un relevé déclaré, avec un motif, à la `version` lue."""
        record = self._reviewed(pk)
        serializer = RejectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not reject_hours(
            records=[record], versions={record.pk: data["version"]}, user=request.user, reason=data["reason"]
        ):
            return Response(
                {"non_field_errors": ["Seul un relevé déclaré peut être rejeté."]}, status=status.HTTP_400_BAD_REQUEST
            )
        record.refresh_from_db()
        return Response(self.get_serializer(record).data)
