"""Outcomes of placements (sorties), written through beneficiaries.services.record_outcome."""

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
from api.placements import placement_label
from audit.choices import Channel
from beneficiaries.models import Outcome, Placement
from beneficiaries.services import record_outcome
from organisations.permissions import can_edit, can_see_identity

NOTES_REFUSED = "Seule la structure qui accompagne la personne renseigne les observations."


class OutcomeSerializer(serializers.ModelSerializer):
    placement = VisibleRelatedField(
        queryset=Placement.objects.all(), label="contrat / mission", display=placement_label
    )
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        label="observations",
        help_text="Nul pour qui ne suit pas la personne (acheteur, coordination, autre structure).",
    )

    class Meta:
        model = Outcome
        fields = ["id", "placement", "stage", "result", "observed_on", "notes"]
        validators = []  # one outcome per placement and stage: record_outcome updates it

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not can_see_identity(self.context["request"].user, instance.placement.beneficiary):
            data["notes"] = None  # free text about the person (health, family): their structure only
        elif data.get("notes"):  # free text about the person
            shown(self, instance.placement.beneficiary)
        return data

    def validate(self, attrs):
        placement = attrs.get("placement", getattr(self.instance, "placement", None))
        user = self.context["request"].user
        if placement is not None and "notes" in attrs and not can_see_identity(user, placement.beneficiary):
            if attrs["notes"]:
                raise serializers.ValidationError({"notes": [NOTES_REFUSED]})
            attrs.pop("notes")  # an empty value from whoever cannot read them keeps what is written
        if "notes" in attrs and attrs["notes"] is None:
            attrs.pop("notes")
        if self.instance is not None:
            for name in ("placement", "stage"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: ["Le contrat et le moment d'une sortie ne se changent pas."]}
                    )
        return attrs

    def _record(self, placement, values):
        require(can_edit(self.context["request"].user, placement))
        return record_outcome(
            placement=placement,
            stage=values["stage"],
            result=values["result"],
            observed_on=values["observed_on"],
            notes=values.get("notes"),
            user=self.context["request"].user,
            channel=Channel.API,
        )

    def create(self, validated_data):
        return self._record(validated_data["placement"], validated_data)

    def update(self, instance, validated_data):
        values = {
            "stage": instance.stage,
            "result": instance.result,
            "observed_on": instance.observed_on,
            **validated_data,
        }
        return self._record(instance.placement, values)


class OutcomeFilter(FilterSet):
    year = YearFilter(field_name="observed_on__year", label="Année de constat")
    lot = IdFilter(field_name="placement__lot", label="Lot")
    market = IdFilter(field_name="placement__lot__market", label="Marché")

    class Meta:
        model = Outcome
        fields = ["placement", "stage", "result"]


class OutcomeViewSet(PeopleOnlyViewSetMixin, ReadCreateUpdateViewSet):
    """Sorties : situation de la personne à la fin du contrat, puis six mois après."""

    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilter
    ordering_fields = ["observed_on"]
    ordering = ["placement", "stage"]

    def get_queryset(self):
        return Outcome.objects.visible_to(self.request.user).select_related(
            "placement__lot__market", "placement__beneficiary"
        )

    def can_write(self, user, outcome):
        return can_edit(user, outcome.placement)
