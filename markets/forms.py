from django import forms
from django.urls import reverse

from beneficiaries.forms import (
    add_search,
    commune_choices,
    commune_label,
    drop_searches,
    employer_label,
    resolve_search,
    search_communes,
)
from markets.models import Lot, Market, Operation
from organisations.models import Organisation, OrganisationKind
from organisations.scoping import scope_of
from territories.models import Commune


class DateInput(forms.DateInput):
    """Native date picker; the value travels as ISO (AAAA-MM-JJ), French input formats stay accepted."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AmountInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class CommuneField(forms.ModelChoiceField):
    """A commune chosen in a select that lists only the chosen one; the search input put before it
    (`CommuneSearchMixin`) fills it with the communes matching a name or the first digits of an INSEE code
    (35 000 communes are too many for a select). The value posted is the INSEE code."""

    default_error_messages = {
        "invalid_choice": "Code INSEE inconnu : recherchez la commune par son nom ou son code INSEE.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Commune.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("widget", forms.Select)
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return commune_label(obj)

    def prepare_value(self, value):
        if isinstance(value, Commune):
            return value.code
        return super().prepare_value(value)

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)


class CommuneSearchMixin:
    """A search input before each commune select; without JavaScript the search runs on submit (one match is
    taken, several are offered in the select)."""

    def setup_commune_search(self, name: str, *, query: str = "") -> None:
        field = self.fields[name]
        if self.is_bound:
            code = self.data.get(self.add_prefix(name)) or None
        else:
            value = self.initial.get(name) or getattr(self.instance, f"{name}_id", None)
            code = value.code if isinstance(value, Commune) else value
        chosen = Commune.objects.filter(pk=code).select_related("department") if code else []
        field.widget.choices = commune_choices(chosen)
        url = f"{reverse('beneficiaries:commune_options')}?field={name}{query}"
        add_search(
            self,
            name,
            url=url,
            label=f"Rechercher la {field.label[0].lower()}{field.label[1:]}",
            help_text="Au moins deux lettres du nom ou les premiers chiffres du code INSEE, puis choisissez dans "
            "la liste.",
        )

    def resolve_commune_search(self, name: str) -> None:
        resolve_search(self, name, search_communes, what="la commune")
        self.cleaned_data.pop(f"{name}_search", None)


def facilitator_choices(user):
    """Facilitation structures the user may file records for (admin or member roles)."""
    scope = scope_of(user)
    queryset = Organisation.objects.filter(kind=OrganisationKind.FACILITATION)
    return queryset if scope.is_superuser else queryset.filter(pk__in=scope.facilitation_editor_ids)


class FacilitatorMixin:
    """Restrict the facilitator to the user's own structures; hide it when there is only one."""

    def setup_facilitator(self, user):
        field = self.fields["facilitator"]
        field.queryset = facilitator_choices(user)
        choices = list(field.queryset[:2])
        if len(choices) == 1 and not self.instance.pk:
            field.initial = choices[0].pk
            field.widget = forms.HiddenInput()


class OperationForm(CommuneSearchMixin, FacilitatorMixin, forms.ModelForm):
    commune = CommuneField(label="Commune", required=False)

    class Meta:
        model = Operation
        fields = ["name", "kind", "facilitator", "commune", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facilitator(user)
        self.setup_commune_search("commune", query="&qpv=0")

    def clean(self):
        data = super().clean()
        self.resolve_commune_search("commune")
        return data


class MarketForm(CommuneSearchMixin, FacilitatorMixin, forms.ModelForm):
    execution_commune = CommuneField(label="Commune d'exécution")

    class Meta:
        model = Market
        fields = [
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
        widgets = {
            "notified_on": DateInput(),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "amount_excl_vat": AmountInput(),
        }
        localized_fields = ["amount_excl_vat"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facilitator(user)
        self.fields["buyer"].queryset = Organisation.objects.visible_to(user).filter(kind=OrganisationKind.BUYER)
        self.fields["operation"].queryset = Operation.objects.visible_to(user)
        self.setup_commune_search("execution_commune")

    def clean(self):
        data = super().clean()
        self.resolve_commune_search("execution_commune")
        return data


class LotForm(forms.ModelForm):
    class Meta:
        model = Lot
        fields = ["number", "title", "trade", "contractor", "amount_excl_vat", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "amount_excl_vat": AmountInput()}
        localized_fields = ["amount_excl_vat"]

    def __init__(self, *args, user, market, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = market
        self.instance.market = market
        self.fields["contractor"].queryset = (
            Organisation.objects.visible_to(user)
            .filter(kind__in=[OrganisationKind.COMPANY, OrganisationKind.INSERTION])
            .order_by("name", "siret")
        )
        self.fields["contractor"].label_from_instance = employer_label
        add_search(
            self,
            "contractor",
            url=f"{reverse('placements:choices', kwargs={'kind': 'employer'})}?field=contractor",
            label="Rechercher le titulaire",
            help_text="Nom ou premiers chiffres du SIRET, puis choisissez dans la liste.",
        )
        if not self.instance.pk:
            self.fields["start_date"].initial = market.start_date
            self.fields["end_date"].initial = market.end_date
            last_number = market.lots.order_by("-number").values_list("number", flat=True).first()
            self.fields["number"].initial = (last_number or 0) + 1
            self.fields["amount_excl_vat"].initial = market.amount_excl_vat if not market.lots.exists() else None

    def clean(self):
        return drop_searches(super().clean())
