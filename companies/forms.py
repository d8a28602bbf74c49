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
