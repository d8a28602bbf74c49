"""Social clauses of lots, written through clauses.services.save_clause (calibration included)."""

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

from api.base import FilterSet, IdFilter, ReadCreateUpdateViewSet, VisibleRelatedField, YearFilter
from beneficiaries.choices import Criterion, Modality
from clauses.models import Clause
from clauses.services import CLAUSE_FIELDS, save_clause
from markets.models import Lot, share_bounds_message
from organisations.permissions import can_edit


class ClauseSerializer(serializers.ModelSerializer):
    lot = VisibleRelatedField(queryset=Lot.objects.all(), label="lot")
    calibrated_hours = serializers.IntegerField(read_only=True, label="objectif calibré (heures)")
    target_hours = serializers.IntegerField(read_only=True, label="objectif retenu (heures)")
    eligible_criteria = serializers.ListField(
        child=serializers.ChoiceField(choices=Criterion.choices),
        required=False,
        label="publics éligibles",
        help_text="Codes de critères ; vide = tous les publics.",
    )
    allowed_modalities = serializers.ListField(
        child=serializers.ChoiceField(choices=Modality.choices),
        required=False,
        label="modalités admises",
        help_text="Codes de modalités ; vide = toutes.",
    )
    warning = serializers.SerializerMethodField(label="avertissement du calibrage")

    class Meta:
        model = Clause
        fields = [
            "id",
            "lot",
            "mechanism",
            "calibration_method",
            "labour_share",
            "insertion_rate",
            "hourly_cost",
            "cleaning_taken_over_monthly_hours",
            "cleaning_duration_months",
            "calibrated_hours",
            "override_hours",
            "override_reason",
            "target_hours",
            "eligible_criteria",
            "allowed_modalities",
            "reserved_to_qpv_residents",
            "counts_training_hours",
            "counts_outside_period",
            "penalty_per_missing_hour",
            "added_by_amendment",
            "notes",
            "warning",
        ]
        # A share out of its bounds is refused by save_clause with the bounds it must keep; one with too many
        # digits to be a share, here with the same message.
        extra_kwargs = {
            name: {
                "min_value": None,
                "max_value": None,
                "error_messages": dict.fromkeys(
                    ("max_digits", "max_whole_digits"), share_bounds_message(name, percent=False)
                ),
            }
            for name in ("labour_share", "insertion_rate")
        }

    def get_warning(self, clause) -> str:
        return clause.compute_calibration()[1]

    def validate_lot(self, lot):
        if self.instance is not None and lot != self.instance.lot:
            raise serializers.ValidationError("Une clause ne change pas de lot.")
        if not can_edit(self.context["request"].user, lot):
            raise serializers.ValidationError("Votre rôle ne permet pas de modifier ce lot.")
        if self.instance is None:
            try:
                lot.clause  # noqa: B018
            except ObjectDoesNotExist:
                pass
            else:
                raise serializers.ValidationError("Ce lot porte déjà une clause : modifiez-la.")
        return lot

    def create(self, validated_data):
        lot = validated_data.pop("lot")
        clause, _warning = save_clause(lot=lot, **self._fields_of(validated_data))
        return clause

    def update(self, instance, validated_data):
        validated_data.pop("lot", None)
        clause, _warning = save_clause(lot=instance.lot, **self._fields_of(validated_data))
        return clause

    @staticmethod
    def _fields_of(validated_data):
        return {name: value for name, value in validated_data.items() if name in CLAUSE_FIELDS}


class ClauseFilter(FilterSet):
    market = IdFilter(field_name="lot__market", label="Marché")
    market_type = django_filters.CharFilter(field_name="lot__market__market_type", label="Type de marché")
    buyer = IdFilter(field_name="lot__market__buyer", label="Acheteur")
    facilitator = IdFilter(field_name="lot__market__facilitator", label="Structure de facilitation")
    department = django_filters.CharFilter(
        field_name="lot__market__execution_commune__department", label="Département d'exécution (code INSEE)"
    )
    notified_year = YearFilter(field_name="lot__market__notified_on__year", label="Année de notification")

    class Meta:
        model = Clause
        fields = ["lot", "mechanism", "calibration_method", "added_by_amendment"]


class ClauseViewSet(ReadCreateUpdateViewSet):
    """Clauses sociales d'insertion, avec leur calibrage. L'écriture passe par les mêmes règles que les
    formulaires (motif obligatoire d'un objectif saisi à la main, méthode propreté...)."""

    serializer_class = ClauseSerializer
    filterset_class = ClauseFilter
    ordering_fields = ["target_hours", "calibrated_hours"]
    ordering = ["lot"]

    def get_queryset(self):
        return Clause.objects.visible_to(self.request.user).select_related("lot", "lot__market")
