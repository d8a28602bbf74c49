"""List filters of the facilitator workspace (django-filter)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from beneficiaries.choices import Modality, OutcomeStage, PrescriberType, Sex
from beneficiaries.due_dates import ENDING_SOON_DAYS, active_on, ending_within, outcome_due
from beneficiaries.models import Beneficiary, Placement
from config.collation import French
from markets.models import Lot, Market
from organisations.scoping import scope_of

YES_NO = [("true", "Oui"), ("false", "Non")]


def _search_words(value: str) -> list[str]:
    """Words of a person search; "n° 123", "n°123" and "123" all give the participant number 123."""
    return value.replace("n°", " ").replace("N°", " ").split()


def search_placements(queryset, user, value: str):
    """Placements of the people matching a search (name words or participant number "n° 123"). Names only match
    the people the user may identify (their own structure's)."""
    words = _search_words(value)
    if not words:
        return queryset
    queryset = queryset.filter(beneficiary__in=Beneficiary.objects.visible_to(user))
    for word in words:
        if word.isdigit():  # the participant number shown as "n° 123"
            if int(word) >= 2**63:  # no such number (and beyond the database's integers)
                return queryset.none()
            queryset = queryset.filter(beneficiary_id=int(word))
        else:
            queryset = queryset.filter(
                Q(beneficiary__last_name__icontains=word) | Q(beneficiary__first_name__icontains=word)
            )
    return queryset


class YesNoFilter(django_filters.BooleanFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.Select(choices=[("", "Indifférent"), *YES_NO]))
        super().__init__(*args, **kwargs)


class BeneficiaryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom, prénom ou n°", method="search")
    sex = django_filters.ChoiceFilter(label="Sexe", choices=Sex.choices, empty_label="Tous")
    prescriber_type = django_filters.ChoiceFilter(
        label="Type de prescripteur", choices=PrescriberType.choices, empty_label="Tous"
    )
    qpv_resident = YesNoFilter(label="Habite un QPV", field_name="qpv", lookup_expr="isnull", exclude=True)
    has_active_placement = YesNoFilter(label="Contrat en cours", method="filter_active")
    ordering = django_filters.OrderingFilter(
        label="Trier par",
        fields=(("last_name", "last_name"), ("birth_date", "birth_date"), ("created_at", "created_at")),
        field_labels={"last_name": "Nom", "birth_date": "Date de naissance", "created_at": "Date de création"},
        empty_label="Nom (par défaut)",
    )

    class Meta:
        model = Beneficiary
        fields = ["q", "sex", "prescriber_type"]

    def search(self, queryset, name, value):
        for word in _search_words(value):
            if word.isdigit():  # the participant number shown as "n° 123"
                queryset = queryset.filter(pk=int(word))
            else:
                queryset = queryset.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
        return queryset

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        running = active_on(Placement.objects.filter(beneficiary=OuterRef("pk")), today)
        return queryset.filter(Exists(running) if value else ~Exists(running))


def _visible_lots(request):
    if request is None:
        return Lot.objects.none()
    return Lot.objects.visible_to(request.user).select_related("market")


def _visible_markets(request):
    if request is None:
        return Market.objects.none()
    return Market.objects.visible_to(request.user)


class PlacementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom ou n° du ou de la participant·e", method="search")
    market = django_filters.ModelChoiceFilter(
        label="Marché", field_name="lot__market", queryset=_visible_markets, empty_label="Tous"
    )
    lot = django_filters.ModelChoiceFilter(label="Lot", queryset=_visible_lots, empty_label="Tous")
    modality = django_filters.ChoiceFilter(label="Modalité", choices=Modality.choices, empty_label="Toutes")
    active_on = django_filters.DateFilter(
        label="En cours le (JJ/MM/AAAA)",
        method="filter_active_on",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"placeholder": "JJ/MM/AAAA", "inputmode": "numeric"}, format="%d/%m/%Y"),
    )
    ending_soon = django_filters.BooleanFilter(
        label=f"Se termine dans les {ENDING_SOON_DAYS} jours",
        method="filter_ending_soon",
        widget=forms.CheckboxInput,
    )
    outcome_due = django_filters.ChoiceFilter(
        label="Sortie à renseigner",
        choices=OutcomeStage.choices,
        method="filter_outcome_due",
        empty_label="Indifférent",
    )
    # "name" sorts by the names the user may read only (PlacementQuerySet.with_visible_name), and is not offered
    # to a user who reads none (buyers, coordinations).
    ordering = django_filters.OrderingFilter(
        label="Trier par",
        fields=(("start_date", "start_date"), ("end_date", "end_date"), ("visible_last_name", "name")),
        field_labels={"start_date": "Début", "end_date": "Fin", "name": "Nom"},
        empty_label="Début, du plus récent (par défaut)",
    )

    class Meta:
        model = Placement
        fields = ["q", "market", "lot", "modality"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["lot"].field.label_from_instance = lambda lot: f"{lot.market.reference} – lot {lot.number}"
        scope = scope_of(self._user())
        if not scope.is_superuser and not scope.facilitation_ids:
            ordering = self.filters["ordering"]
            ordering.extra["choices"] = [c for c in ordering.extra["choices"] if c[0].lstrip("-") != "name"]

    def _user(self):
        return getattr(self.request, "user", None)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset.with_visible_name(self._user()))
        order = queryset.query.order_by
        if order and order[0] in ("visible_last_name", "-visible_last_name"):
            # In French order (config.collation): « Émilie » before « Fabre », whatever the database's locale.
            descending = order[0].startswith("-")
            names = [French(name) for name in ("visible_last_name", "visible_first_name")]
            keys = [name.desc() if descending else name.asc() for name in names]
            queryset = queryset.order_by(*keys, *order[1:], "pk")
        return queryset

    def search(self, queryset, name, value):
        return search_placements(queryset, self._user(), value)

    def filter_active_on(self, queryset, name, value):
        return active_on(queryset, value) if value else queryset

    def filter_ending_soon(self, queryset, name, value):
        return ending_within(queryset, timezone.localdate()) if value else queryset

    def filter_outcome_due(self, queryset, name, value):
        return outcome_due(queryset, value, timezone.localdate()) if value else queryset
