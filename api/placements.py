"""Placements (contrats / missions), written through beneficiaries.services.start_placement and
update_placement.

Buyers and coordination bodies get a 404 (api.base.PeopleOnlyViewSetMixin: they read aggregates). The
facilitation structure of the market, when another one follows the person, gets the placement without any
identity: no person, no publics."""

import django_filters
from rest_framework import serializers

from api.base import (
    FilterSet,
    IdFilter,
    PeopleOnlyViewSetMixin,
    ReadCreateUpdateViewSet,
    VisibleRelatedField,
    YearFilter,
    require,
    shown,
)
from audit.choices import Channel
from beneficiaries.models import Beneficiary, Placement
from beneficiaries.services import PLACEMENT_FIELDS, start_placement, update_placement
from markets.models import Lot
from organisations.models import Organisation
from organisations.permissions import can_change_person, can_edit, can_see_identity, can_see_sensitive_criteria

PERSON_CHANGE_REFUSED = "Seule la structure qui suit la personne du contrat peut en changer la personne."

# Fields about the person, emptied (null) for whoever may not see who they are.
IDENTITY_FIELDS = (
    "beneficiary",
    "beneficiary_name",
    "age_at_start",
    "is_woman",
    "is_youth",
    "is_senior",
    "is_qpv_resident",
    "is_rqth",
    "is_long_term_job_seeker",
    "is_rsa",
    "qpv_at_start",
)


def placement_label(placement) -> str:
    """A placement in the browsable API's <select>: its number only, never the person (who may be hidden)."""
    return f"Contrat n° {placement.pk}"


def beneficiary_label(beneficiary) -> str:
    """A person in the browsable API's <select>: their number only (the one the import asks for), never their
    name: the form of every contract would otherwise list the names of all the structure's people."""
    return f"Participant·e n° {beneficiary.pk}"


def nullable_flag(label):
    return serializers.BooleanField(read_only=True, allow_null=True, label=label)


class PlacementSerializer(serializers.ModelSerializer):
    beneficiary = VisibleRelatedField(
        queryset=Beneficiary.objects.all(),
        allow_null=True,
        label="participant·e (masqué·e si non autorisé·e)",
        display=beneficiary_label,
    )
    beneficiary_name = serializers.CharField(
        source="beneficiary.__str__", read_only=True, allow_null=True, label="nom de la personne"
    )
    lot = VisibleRelatedField(queryset=Lot.objects.all(), label="lot")
    market = serializers.IntegerField(source="lot.market_id", read_only=True, label="marché")
    employer = VisibleRelatedField(queryset=Organisation.objects.all(), label="employeur")
    age_at_start = serializers.IntegerField(read_only=True, allow_null=True, label="âge au début")
    is_woman = nullable_flag("femme")
    is_youth = nullable_flag("jeune de moins de 26 ans")
    is_senior = nullable_flag("senior de 50 ans et plus")
    is_qpv_resident = nullable_flag("habitant·e d'un QPV")
    is_rqth = nullable_flag("RQTH")
    is_long_term_job_seeker = nullable_flag("demandeur·se d'emploi de longue durée")
    is_rsa = nullable_flag("allocataire du RSA")
    qpv_at_start = serializers.CharField(source="qpv_at_start_id", read_only=True, allow_null=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "beneficiary",
            "beneficiary_name",
            "lot",
            "market",
            "employer",
            "modality",
            "start_date",
            "end_date",
            "job_title",
            *IDENTITY_FIELDS[2:],
            "created_at",
        ]

    def validate_beneficiary(self, value):
        if value is None:
            raise serializers.ValidationError("Indiquez la personne.")
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = self.context["request"].user
        if not can_see_identity(user, instance.beneficiary):
            for name in IDENTITY_FIELDS:
                data[name] = None
            return data
        shown(self, instance.beneficiary)
        if not can_see_sensitive_criteria(user, instance.beneficiary):
            data["is_rqth"] = None
        return data

    def create(self, validated_data):
        candidate = Placement(beneficiary=validated_data["beneficiary"], lot=validated_data["lot"])
        require(can_edit(self.context["request"].user, candidate))
        values = {name: value for name, value in validated_data.items() if name in PLACEMENT_FIELDS}
        return start_placement(user=self.context["request"].user, channel=Channel.API, **values)

    def update(self, instance, validated_data):
        user = self.context["request"].user
        changes = {name: value for name, value in validated_data.items() if name in PLACEMENT_FIELDS}
        if changes.get("beneficiary", instance.beneficiary) != instance.beneficiary:
            require(can_change_person(user, instance), PERSON_CHANGE_REFUSED)
        if "beneficiary" in changes or "lot" in changes:
            candidate = Placement(
                beneficiary=changes.get("beneficiary", instance.beneficiary), lot=changes.get("lot", instance.lot)
            )
            require(can_edit(user, candidate))
        return update_placement(placement=instance, user=user, channel=Channel.API, **changes)


class PlacementFilter(FilterSet):
    market = IdFilter(field_name="lot__market", label="Marché")
    buyer = IdFilter(field_name="lot__market__buyer", label="Acheteur")
    facilitator = IdFilter(field_name="lot__market__facilitator", label="Structure du marché")
    structure = IdFilter(field_name="beneficiary__structure", label="Structure qui accompagne")
    market_type = django_filters.CharFilter(field_name="lot__market__market_type", label="Type de marché")
    department = django_filters.CharFilter(
        field_name="lot__market__execution_commune__department", label="Département d'exécution (code INSEE)"
    )
    active_on = django_filters.DateFilter(method="filter_active_on", label="En cours à cette date (AAAA-MM-JJ)")
    year = YearFilter(method="filter_year", label="En cours pendant l'année")
    beneficiary = IdFilter(method="filter_beneficiary", label="Participant·e (si vous la suivez)")

    class Meta:
        model = Placement
        fields = ["lot", "employer", "modality"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)

    def filter_beneficiary(self, queryset, name, value):
        followed = Beneficiary.objects.visible_to(self.request.user)
        return queryset.filter(beneficiary=value, beneficiary__in=followed)

    def filter_year(self, queryset, name, value):
        return queryset.filter(start_date__year__lte=value, end_date__year__gte=value)


class PlacementViewSet(PeopleOnlyViewSetMixin, ReadCreateUpdateViewSet):
    """Contrats et missions : une personne sur un lot, selon une modalité. Les publics sont figés au début."""

    serializer_class = PlacementSerializer
    filterset_class = PlacementFilter
    ordering_fields = ["start_date", "end_date", "created_at"]
    ordering = ["-start_date", "id"]

    def get_queryset(self):
        return Placement.objects.visible_to(self.request.user).select_related("beneficiary", "lot")
