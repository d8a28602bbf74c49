"""Operations, markets and lots."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from rest_framework import serializers

from api.base import (
    FilterSet,
    IdFilter,
    ReadCreateUpdateViewSet,
    ServiceModelSerializer,
    VisibleRelatedField,
    YearFilter,
)
from clauses.models import Clause
from markets import services
from markets.models import Lot, Market, Operation
from organisations.models import Organisation
from organisations.permissions import can_edit

STRUCTURE_REFUSED = (
    "Vous ne pouvez rattacher cet objet qu'à une structure dont vous êtes membre ou administrateur·rice."
)
MARKET_REFUSED = "Votre rôle ne permet pas de modifier ce marché."


def validate_own_structure(serializer, structure):
    if not can_edit(serializer.context["request"].user, structure):
        raise serializers.ValidationError(STRUCTURE_REFUSED)
    return structure


# Operations ---------------------------------------------------------------------------------------------


class OperationSerializer(ServiceModelSerializer):
    facilitator = VisibleRelatedField(queryset=Organisation.objects.all(), label="structure de facilitation")
    create_service = staticmethod(services.create_operation)

    def update_service(self, instance, **changes):
        return services.update_operation(operation=instance, **changes)

    class Meta:
        model = Operation
        fields = ["id", "name", "kind", "facilitator", "commune", "description"]

    def validate_facilitator(self, value):
        return validate_own_structure(self, value)


class OperationFilter(FilterSet):
    department = django_filters.CharFilter(field_name="commune__department", label="Département (code INSEE)")

    class Meta:
        model = Operation
        fields = ["kind", "facilitator", "commune"]


class OperationViewSet(ReadCreateUpdateViewSet):
    """Opérations (regroupements de marchés, par exemple un projet de renouvellement urbain)."""

    serializer_class = OperationSerializer
    filterset_class = OperationFilter
    ordering_fields = ["name", "kind"]
    ordering = ["name"]

    def get_queryset(self):
        return Operation.objects.visible_to(self.request.user)


# Markets ------------------------------------------------------------------------------------------------


class MarketSerializer(ServiceModelSerializer):
    buyer = VisibleRelatedField(queryset=Organisation.objects.all(), label="acheteur")
    facilitator = VisibleRelatedField(queryset=Organisation.objects.all(), label="structure de facilitation")
    operation = VisibleRelatedField(
        queryset=Operation.objects.all(), label="opération", required=False, allow_null=True
    )

    class Meta:
        model = Market
        fields = [
            "id",
            "reference",
            "title",
            "buyer",
            "facilitator",
            "operation",
            "market_type",
            "execution_commune",
            "notified_on",
            "start_date",
            "end_date",
            "amount_excl_vat",
        ]
        validators = []  # the (buyer, reference) uniqueness is checked by full_clean, in French

    create_service = staticmethod(services.create_market)

    def update_service(self, instance, **changes):
        return services.update_market(market=instance, **changes)  # refreshes the reports' copies

    def validate_facilitator(self, value):
        return validate_own_structure(self, value)


class YearFilterMixin:
    def overlapping_year(self, queryset, name, value):
        """Objects whose execution period overlaps the year."""
        return queryset.filter(start_date__year__lte=value, end_date__year__gte=value)


class MarketFilter(YearFilterMixin, FilterSet):
    year = YearFilter(method="overlapping_year", label="Année d'exécution")
    notified_year = YearFilter(field_name="notified_on__year", label="Année de notification")
    buyer_type = django_filters.CharFilter(field_name="buyer__buyer_type", label="Type d'acheteur")
    department = django_filters.CharFilter(
        field_name="execution_commune__department", label="Département d'exécution (code INSEE)"
    )
    region = django_filters.CharFilter(
        field_name="execution_commune__department__region", label="Région d'exécution (code INSEE)"
    )
    epci = django_filters.CharFilter(field_name="execution_commune__epci", label="EPCI d'exécution (SIREN)")
    q = django_filters.CharFilter(method="search", label="Recherche sur la référence ou l'objet")

    class Meta:
        model = Market
        fields = ["market_type", "buyer", "facilitator", "operation", "execution_commune", "reference"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value)) if value else queryset


class MarketViewSet(ReadCreateUpdateViewSet):
    """Marchés suivis par votre structure, achetés par votre organisation ou exécutés dans votre région."""

    serializer_class = MarketSerializer
    filterset_class = MarketFilter
    ordering_fields = ["reference", "start_date", "end_date", "notified_on", "amount_excl_vat"]
    ordering = ["-start_date", "reference"]

    def get_queryset(self):
        return Market.objects.visible_to(self.request.user)


# Lots ---------------------------------------------------------------------------------------------------


class LotSerializer(ServiceModelSerializer):
    market = VisibleRelatedField(queryset=Market.objects.all(), label="marché")
    contractor = VisibleRelatedField(
        queryset=Organisation.objects.all(), label="titulaire", required=False, allow_null=True
    )
    has_clause = serializers.BooleanField(read_only=True, label="porte une clause sociale")

    class Meta:
        model = Lot
        fields = [
            "id",
            "market",
            "number",
            "title",
            "trade",
            "contractor",
            "amount_excl_vat",
            "start_date",
            "end_date",
            "has_clause",
        ]
        validators = []

    def create_service(self, **fields):
        return services.create_lot(**fields)

    def update_service(self, instance, **changes):
        return services.update_lot(lot=instance, **changes)  # refuses a change of market; refreshes the reports

    def validate_market(self, value):
        if not can_edit(self.context["request"].user, value):
            raise serializers.ValidationError(MARKET_REFUSED)
        return value

    def to_representation(self, instance):
        if not hasattr(instance, "has_clause"):
            instance.has_clause = Clause.objects.filter(lot=instance).exists()
        return super().to_representation(instance)


class LotFilter(YearFilterMixin, FilterSet):
    year = YearFilter(method="overlapping_year", label="Année d'exécution")
    market_type = django_filters.CharFilter(field_name="market__market_type", label="Type de marché")
    buyer = IdFilter(field_name="market__buyer", label="Acheteur")
    facilitator = IdFilter(field_name="market__facilitator", label="Structure de facilitation")
    department = django_filters.CharFilter(
        field_name="market__execution_commune__department", label="Département d'exécution (code INSEE)"
    )
    contractor_siret = django_filters.CharFilter(field_name="contractor__siret", label="SIRET du titulaire")
    has_clause = django_filters.BooleanFilter(field_name="has_clause", label="Porte une clause sociale")

    class Meta:
        model = Lot
        fields = ["market", "contractor", "number", "trade"]


class LotViewSet(ReadCreateUpdateViewSet):
    """Lots des marchés visibles ; la clause sociale et le titulaire sont portés par le lot."""

    serializer_class = LotSerializer
    filterset_class = LotFilter
    ordering_fields = ["number", "start_date", "end_date", "amount_excl_vat"]
    ordering = ["market", "number"]

    def get_queryset(self):
        return (
            Lot.objects.visible_to(self.request.user)
            .select_related("market")
            .annotate(has_clause=Exists(Clause.objects.filter(lot=OuterRef("pk"))))
        )
