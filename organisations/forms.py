from django import forms
from django.contrib.auth.forms import AuthenticationForm

from organisations.models import Organisation, OrganisationKind, Role


class EmailAuthenticationForm(AuthenticationForm):
    """Login by e-mail address, whatever its case (addresses are stored in lower case)."""

    username = forms.EmailField(
        label="Adresse e-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Adresse e-mail ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class OrganisationForm(forms.ModelForm):
    """Company with its SIRET, insertion structure with its type, buyer with its type.

    The SIRET checksum is checked by the model validator (python-stdnum)."""

    # Longer than 14 so that a SIRET typed with spaces ("123 456 789 00012") reaches clean_siret.
    siret = forms.CharField(
        label="SIRET",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text="14 chiffres (obligatoire pour une entreprise ou une structure d'insertion).",
    )

    class Meta:
        model = Organisation
        fields = ["name", "kind", "buyer_type", "insertion_type", "siret", "email", "phone", "declaration_deadline_day"]
        widgets = {
            "siret": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 17}),
        }
        help_texts = {
            "siret": "14 chiffres (obligatoire pour une entreprise ou une structure d'insertion).",
            "buyer_type": "Pour un acheteur uniquement.",
            "insertion_type": "Pour une structure d'insertion uniquement.",
        }

    def __init__(self, *args, allowed_kinds=None, deadline_editable=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not deadline_editable:  # a facilitation structure's setting, for its admins (organisation_update)
            del self.fields["declaration_deadline_day"]
        if allowed_kinds is not None:
            self.fields["kind"].choices = [c for c in OrganisationKind.choices if c[0] in allowed_kinds]

    def clean_siret(self):
        return "".join(self.cleaned_data["siret"].split())

    def clean(self):
        """Clear the types that do not apply to the chosen kind; the required type and SIRET are checked by the
        model (Organisation.clean), for every route."""
        data = super().clean()
        kind = data.get("kind")
        if kind != OrganisationKind.BUYER:
            data["buyer_type"] = ""
        if kind != OrganisationKind.INSERTION:
            data["insertion_type"] = ""
        return data


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label="Prénom", max_length=150, required=False, help_text="Pour un nouveau compte.")
    last_name = forms.CharField(label="Nom", max_length=150, required=False, help_text="Pour un nouveau compte.")
    role = forms.ChoiceField(label="Rôle", choices=Role.choices, initial=Role.MEMBER)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)
