"""Forms of the new-person proposals (companies.proposals does the rules; these parse)."""

from django import forms

from beneficiaries.choices import Criterion, EvidenceType, Modality, PrescriberType, Sex
from beneficiaries.forms import french_date_field


class ProposalForm(forms.Form):
    """What a company gives about a person it proposes for a lot."""

    last_name = forms.CharField(label="Nom", max_length=100)
    first_name = forms.CharField(label="Prénom", max_length=100)
    birth_date = french_date_field("Date de naissance")
    modality = forms.ChoiceField(label="Type de contrat", choices=[("", "—"), *Modality.choices])
    start_date = french_date_field("Début du contrat")
    end_date = french_date_field("Fin du contrat", required=False, help_text="JJ/MM/AAAA, si elle est connue.")
    weekly_hours = forms.DecimalField(
        label="Heures par semaine", required=False, min_value=0, max_digits=4, decimal_places=1, localize=True
    )


class AcceptForm(forms.Form):
    """The facilitator's acceptance: what the structure must know of a new person, and an eligibility criterion."""

    end_date = french_date_field("Fin du contrat", required=False)
    sex = forms.ChoiceField(label="Sexe", choices=[("", "—"), *Sex.choices], required=False)
    prescriber_type = forms.ChoiceField(
        label="Prescripteur", choices=[("", "—"), *PrescriberType.choices], required=False
    )
    criterion = forms.ChoiceField(
        label="Critère d'éligibilité vérifié", choices=[("", "—"), *Criterion.choices], required=False
    )
    validated_on = french_date_field("Critère validé le", required=False)
    evidence_type = forms.ChoiceField(label="Justificatif", choices=[("", "—"), *EvidenceType.choices], required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(label="Motif du refus (lu par l'entreprise)", widget=forms.Textarea(attrs={"rows": 3}))
