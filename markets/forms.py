from django import forms

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
    """A commune typed by its INSEE code (35 000 communes are too many for a select)."""

    default_error_messages = {"invalid_choice": "Code INSEE inconnu : saisissez les 5 caractères du code commune."}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Commune.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 5, "size": 6}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Commune):
            return value.code
        return super().prepare_value(value)

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)


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


class OperationForm(FacilitatorMixin, forms.ModelForm):
    commune = CommuneField(label="Commune (code INSEE)", required=False)

    class Meta:
        model = Operation
        fields = ["name", "kind", "facilitator", "commune", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_facilitator(user)


class MarketForm(FacilitatorMixin, forms.ModelForm):
    execution_commune = CommuneField(label="Commune d'exécution (code INSEE)")

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
        self.fields["contractor"].queryset = Organisation.objects.visible_to(user).filter(
            kind__in=[OrganisationKind.COMPANY, OrganisationKind.INSERTION]
        )
        if not self.instance.pk:
            self.fields["start_date"].initial = market.start_date
            self.fields["end_date"].initial = market.end_date
            last_number = market.lots.order_by("-number").values_list("number", flat=True).first()
            self.fields["number"].initial = (last_number or 0) + 1
            self.fields["amount_excl_vat"].initial = market.amount_excl_vat if not market.lots.exists() else None
