"""Territories (read-only reference data): regions, départements, EPCI, communes, QPV."""

import django_filters
from django.db.models import Q
from rest_framework import serializers, viewsets

from api.base import FilterSet
from territories.models import Commune, Department, Epci, Qpv, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "region"]


class EpciSerializer(serializers.ModelSerializer):
    class Meta:
        model = Epci
        fields = ["code", "name"]


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["code", "name", "department", "epci", "population"]


class QpvSerializer(serializers.ModelSerializer):
    class Meta:
        model = Qpv
        fields = ["code", "name", "communes"]


class SearchFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label="Recherche sur le nom ou le code")

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value)) if value else queryset


class RegionFilter(SearchFilterSet):
    class Meta:
        model = Region
        fields = []


class DepartmentFilter(SearchFilterSet):
    class Meta:
        model = Department
        fields = ["region"]


class EpciFilter(SearchFilterSet):
    department = django_filters.CharFilter(
        field_name="communes__department", label="Département (code INSEE)", distinct=True
    )

    class Meta:
        model = Epci
        fields = []


class CommuneFilter(SearchFilterSet):
    region = django_filters.CharFilter(field_name="department__region", label="Région (code INSEE)")

    class Meta:
        model = Commune
        fields = ["department", "epci"]


class QpvFilter(SearchFilterSet):
    commune = django_filters.CharFilter(field_name="communes", label="Commune (code INSEE)", distinct=True)
    department = django_filters.CharFilter(
        field_name="communes__department", label="Département (code INSEE)", distinct=True
    )

    class Meta:
        model = Qpv
        fields = []


class TerritoryViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    lookup_value_regex = "[0-9A-Za-z]+"
    ordering_fields = ["code", "name"]


class RegionViewSet(TerritoryViewSet):
    """Régions (codes INSEE)."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter


class DepartmentViewSet(TerritoryViewSet):
    """Départements, filtrables par région."""

    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter


class EpciViewSet(TerritoryViewSet):
    """Établissements publics de coopération intercommunale (SIREN)."""

    queryset = Epci.objects.all()
    serializer_class = EpciSerializer
    filterset_class = EpciFilter


class CommuneViewSet(TerritoryViewSet):
    """Communes, avec recherche par nom ou début de code (`q`)."""

    queryset = Commune.objects.all()
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilter


class QpvViewSet(TerritoryViewSet):
    """Quartiers prioritaires de la politique de la ville."""

    queryset = Qpv.objects.prefetch_related("communes")
    serializer_class = QpvSerializer
    filterset_class = QpvFilter
