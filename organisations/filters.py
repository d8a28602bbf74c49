import django_filters
from django.db.models import Q

from organisations.models import BuyerType, InsertionType, Organisation, OrganisationKind


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom ou SIRET", method="search")
    kind = django_filters.ChoiceFilter(label="Nature", choices=OrganisationKind.choices, empty_label="Toutes")
    buyer_type = django_filters.ChoiceFilter(label="Type d'acheteur", choices=BuyerType.choices, empty_label="Tous")
    insertion_type = django_filters.ChoiceFilter(
        label="Type de structure d'insertion", choices=InsertionType.choices, empty_label="Tous"
    )
    ordering = django_filters.OrderingFilter(
        label="Trier par",
        fields=(("name", "name"), ("kind", "kind"), ("created_at", "created_at")),
        field_labels={"name": "Nom", "kind": "Nature", "created_at": "Date de création"},
        empty_label="Ordre par défaut",
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "buyer_type", "insertion_type"]

    def search(self, queryset, name, value):
        value = value.strip()
        digits = "".join(value.split())
        q = Q(name__icontains=value)
        if digits.isdigit():
            q |= Q(siret__startswith=digits)
        return queryset.filter(q)
