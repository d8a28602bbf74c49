import django_filters
from django.db.models import Q

from markets.models import Market, MarketType, Operation, OperationKind
from organisations.models import Organisation
from territories.models import Department


def _of_visible_markets(request, relation: str):
    """The organisations (buyers, facilitation structures) of the markets the user sees, among those they may see:
    a filter never names another tenant's organisation, even of a kind every member may pick in a form (buyers)."""
    markets = Market.objects.visible_to(request.user)
    return Organisation.objects.visible_to(request.user).filter(pk__in=markets.values(relation)).order_by("name")


def _buyers(request):
    return _of_visible_markets(request, "buyer")


def _facilitators(request):
    return _of_visible_markets(request, "facilitator")


class MarketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Référence ou objet", method="search")
    buyer = django_filters.ModelChoiceFilter(label="Acheteur", queryset=_buyers, empty_label="Tous")
    market_type = django_filters.ChoiceFilter(label="Type de marché", choices=MarketType.choices, empty_label="Tous")
    year = django_filters.NumberFilter(label="Année d'exécution", method="filter_year", min_value=2000, max_value=2100)
    facilitator = django_filters.ModelChoiceFilter(
        label="Structure de facilitation", queryset=_facilitators, empty_label="Toutes"
    )
    department = django_filters.ModelChoiceFilter(
        label="Département",
        queryset=Department.objects.all(),
        field_name="execution_commune__department",
        empty_label="Tous",
    )
    commune = django_filters.CharFilter(label="Commune (nom ou code INSEE)", method="filter_commune")
    ordering = django_filters.OrderingFilter(
        label="Trier par",
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
            ("amount_excl_vat", "amount"),
            ("buyer__name", "buyer"),
        ),
        field_labels={
            "reference": "Référence",
            "title": "Objet",
            "start_date": "Début d'exécution",
            "end_date": "Fin d'exécution",
            "amount_excl_vat": "Montant",
            "buyer__name": "Acheteur",
        },
        empty_label="Ordre par défaut",
    )

    class Meta:
        model = Market
        fields = ["q", "buyer", "market_type", "year", "facilitator", "department", "commune"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))

    def filter_year(self, queryset, name, value):
        """Markets executed during the year (their execution period touches it)."""
        year = int(value)
        return queryset.filter(start_date__year__lte=year, end_date__year__gte=year)

    def filter_commune(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(execution_commune__code=value) | Q(execution_commune__name__icontains=value))


class OperationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom", field_name="name", lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label="Nature", choices=OperationKind.choices, empty_label="Toutes")
    ordering = django_filters.OrderingFilter(
        label="Trier par",
        fields=(("name", "name"), ("kind", "kind")),
        field_labels={"name": "Nom", "kind": "Nature"},
        empty_label="Ordre par défaut",
    )

    class Meta:
        model = Operation
        fields = ["q", "kind"]
