from decimal import Decimal

from django import forms

from markets.models import Lot
from organisations.models import Organisation


class InviteContactForm(forms.Form):
    """A facilitator invites a company contact for lots of one market (companies.services.invite_contact)."""

    company = forms.ModelChoiceField(
        label="Entreprise",
        queryset=Organisation.objects.none(),
        help_text="Le titulaire du lot, ou l'employeur de personnes sur le lot (sous-traitant, intérim, GEIQ, SIAE).",
    )
    lots = forms.ModelMultipleChoiceField(
        label="Lots", queryset=Lot.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    email = forms.EmailField(label="Adresse e-mail du contact", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label="Prénom", max_length=150, required=False, help_text="Pour un nouveau compte.")
    last_name = forms.CharField(label="Nom", max_length=150, required=False, help_text="Pour un nouveau compte.")

    def __init__(self, *args, user, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Organisation.objects.visible_to(user).filter(
            kind__in=("company", "insertion")
        )
        self.fields["lots"].queryset = Lot.objects.visible_to(user).filter(market=lot.market)
        self.fields["lots"].label_from_instance = lambda item: f"Lot {item.number} : {item.title}"
        self.initial.setdefault("lots", [lot.pk])
        if lot.contractor_id:
            self.initial.setdefault("company", lot.contractor_id)


class DeclarationRowForm(forms.Form):
    """One row of a company's monthly declaration: the hours and training hours of one person, or « aucune
    activité » (0 h). `version` is the version of the record the page showed (0: none), checked when saving."""

    hours = forms.DecimalField(label="Heures d'insertion", required=False, localize=True)
    training_hours = forms.DecimalField(label="Heures de formation", required=False, localize=True)
    no_activity = forms.BooleanField(label="Aucune activité", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("hours", "training_hours"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"})
            self.fields[name].widget.is_localized = True

    def clean(self):
        data = super().clean()
        if data.get("no_activity"):
            if data.get("hours") or data.get("training_hours"):
                self.add_error("no_activity", "« Aucune activité » : laissez les heures vides ou à 0.")
            data["hours"] = data["training_hours"] = Decimal("0")
        elif data.get("hours") is None and "hours" not in self.errors:
            self.add_error("hours", "Indiquez les heures du mois, ou cochez « aucune activité ».")
        if data.get("training_hours") is None:
            data["training_hours"] = Decimal("0")
        return data


class CorrectionForm(forms.Form):
    """The facilitator asks the company to correct given rows of its declaration."""

    placements = forms.TypedMultipleChoiceField(
        label="Lignes à corriger", coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    comment = forms.CharField(
        label="Ce qui doit être corrigé", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["placements"].choices = list(rows)


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Motif de la réouverture", widget=forms.Textarea(attrs={"rows": 2}), required=False)
