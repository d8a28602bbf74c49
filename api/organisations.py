"""Organisations: buyers, companies and insertion structures (shared reference data), and one's own
facilitation or coordination bodies."""

import django_filters
from django.db.models import Q
from rest_framework import serializers

from api.base import FilterSet, ReadCreateUpdateViewSet, ServiceModelSerializer
from organisations.models import SHARED_KINDS, Organisation
from organisations.scoping import scope_of
from organisations.services import create_organisation, update_organisation


class OrganisationSerializer(ServiceModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "buyer_type", "insertion_type", "siret", "commune", "region", "email", "phone"]

    def validate_kind(self, value):
        user = self.context["request"].user
        if self.instance is None and value not in SHARED_KINDS and not scope_of(user).is_superuser:
            raise serializers.ValidationError(
                "Seuls les acheteurs, les entreprises et les structures d'insertion se créent par l'API."
            )
        return value

    # The same rules (Organisation.clean: an employer's SIRET, a buyer's type) and history as the web form; a
    # change of nature is refused by the service.
    def create_service(self, **fields):
        return create_organisation(user=self.context["request"].user, **fields)

    def update_service(self, instance, **changes):
        return update_organisation(organisation=instance, user=self.context["request"].user, **changes)


class OrganisationFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label="Recherche sur le nom ou le SIRET")
    department = django_filters.CharFilter(field_name="commune__department", label="Département (code INSEE)")

    class Meta:
        model = Organisation
        fields = ["kind", "buyer_type", "insertion_type", "siret", "region", "commune"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(siret__startswith=value)) if value else queryset


class OrganisationViewSet(ReadCreateUpdateViewSet):
    """Organisations visibles : acheteurs, entreprises et structures d'insertion (partagés), vos propres
    structures, et pour une coordination les structures de facilitation de sa région."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ["name", "kind", "siret"]
    ordering = ["name"]

    def get_queryset(self):
        return Organisation.objects.visible_to(self.request.user)
