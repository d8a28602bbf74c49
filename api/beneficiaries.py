"""People followed by the user's facilitation structure, with their eligibility criteria.

Buyers and coordination bodies never see anyone here (`Beneficiary.objects.visible_to` is empty for them);
disability-related criteria are left out for readers (`BeneficiaryCriterion.objects.visible_to`).
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import (
    FilterSet,
    IdFilter,
    PeopleOnlyViewSetMixin,
    ReadCreateUpdateViewSet,
    VisibleRelatedField,
    require,
    shown,
)
from audit.choices import Channel
from beneficiaries.models import Beneficiary, BeneficiaryCriterion
from beneficiaries.services import BENEFICIARY_FIELDS, add_criterion, create_beneficiary, update_beneficiary
from organisations.models import Organisation
from organisations.permissions import can_edit


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = BeneficiaryCriterion
        fields = ["id", "criterion", "validated_on", "evidence_type", "derogation_reason"]


class BeneficiarySerializer(serializers.ModelSerializer):
    structure = VisibleRelatedField(queryset=Organisation.objects.all(), label="structure qui accompagne")
    criteria = serializers.SerializerMethodField(label="critères d'éligibilité")

    class Meta:
        model = Beneficiary
        fields = [
            "id",
            "structure",
            "last_name",
            "first_name",
            "sex",
            "birth_date",
            "address",
            "commune",
            "qpv",
            "prescriber_type",
            "prescriber_name",
            "qualification_level",
            "job_seeker_since",
            "notes",
            "criteria",
            "anonymised_at",
        ]
        read_only_fields = ["anonymised_at"]

    def validate_structure(self, value):
        if not can_edit(self.context["request"].user, value):
            raise serializers.ValidationError(
                "Vous ne pouvez rattacher une personne qu'à une structure dont vous êtes membre ou administrateur·rice."
            )
        return value

    def to_representation(self, instance):
        shown(self, instance)
        return super().to_representation(instance)

    # Writes go through beneficiaries.services, which run the model's rules (the QPV lies in the commune) and write
    # the access journal; their refusals come back as 400 on the field at fault (api.exceptions).

    def create(self, validated_data):
        values = {name: value for name, value in validated_data.items() if name in BENEFICIARY_FIELDS}
        return create_beneficiary(user=self.context["request"].user, channel=Channel.API, **values)

    def update(self, instance, validated_data):
        values = {name: value for name, value in validated_data.items() if name in BENEFICIARY_FIELDS}
        return update_beneficiary(
            beneficiary=instance, user=self.context["request"].user, channel=Channel.API, **values
        )

    def get_criteria(self, beneficiary) -> CriterionSerializer(many=True):
        criteria = getattr(beneficiary, "visible_criteria", None)
        if criteria is None:
            user = self.context["request"].user
            criteria = BeneficiaryCriterion.objects.visible_to(user).filter(beneficiary=beneficiary)
        return CriterionSerializer(criteria, many=True).data


class BeneficiaryFilter(FilterSet):
    q = django_filters.CharFilter(field_name="last_name", lookup_expr="icontains", label="Nom (recherche)")
    criterion = django_filters.CharFilter(field_name="criteria__criterion", label="Critère détenu", distinct=True)
    lot = IdFilter(field_name="placements__lot", label="Lot d'un de ses contrats", distinct=True)

    class Meta:
        model = Beneficiary
        fields = ["structure", "sex", "commune", "qpv", "prescriber_type", "qualification_level"]


class BeneficiaryViewSet(PeopleOnlyViewSetMixin, ReadCreateUpdateViewSet):
    """Participant·es suivi·es par votre structure de facilitation (données personnelles)."""

    serializer_class = BeneficiarySerializer
    filterset_class = BeneficiaryFilter
    ordering_fields = ["last_name", "first_name", "birth_date", "created_at"]
    ordering = ["last_name", "first_name"]

    def get_queryset(self):
        user = self.request.user
        return Beneficiary.objects.visible_to(user).prefetch_related(
            Prefetch("criteria", queryset=BeneficiaryCriterion.objects.visible_to(user), to_attr="visible_criteria")
        )

    @extend_schema(request=CriterionSerializer, responses={201: CriterionSerializer}, summary="Ajouter un critère")
    @action(detail=True, methods=["post"], url_path="criteria")
    def add_criterion(self, request, pk=None):
        """Enregistre un critère d'éligibilité validé (qui, quand, sur quel justificatif)."""
        beneficiary = self.get_object()
        require(can_edit(request.user, beneficiary))
        serializer = CriterionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        criterion = add_criterion(
            beneficiary=beneficiary,
            criterion=data["criterion"],
            validated_on=data["validated_on"],
            validated_by=request.user,
            evidence_type=data["evidence_type"],
            derogation_reason=data.get("derogation_reason", ""),
            channel=Channel.API,
        )
        return Response(CriterionSerializer(criterion).data, status=status.HTTP_201_CREATED)
