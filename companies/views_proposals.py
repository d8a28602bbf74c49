"""New-person proposals on the web (issue 15, point 2): the company proposes a person for its lot and follows the
status; the facilitator of the lot reads a proposal, checks eligibility (the person the structure already follows
with the same name and birth date, their criteria, the clause's publics) and accepts or refuses it. Every write is a
function of companies.proposals; a refusal is shown on its field and changes nothing."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from audit.services import log_views
from beneficiaries.choices import Criterion, EvidenceType, Modality, PrescriberType, Sex
from beneficiaries.forms import french_date_field
from companies import proposals
from companies.choices import ProposalStatus
from companies.models import PersonProposal, lots_of
from companies.views import _can_manage, _followed_lot, _require_company
from companies.views_declarations import _company_of
from organisations.web import add_errors, require


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


MANAGE_REFUSED = (
    "Seuls les administrateur·rices et membres de la structure qui suit le marché examinent une proposition."
)


def company_propose(request, pk):
    """The company proposes a new person for the lot, and sees its proposals and their status."""
    _require_company(request.user)
    lot = get_object_or_404(lots_of(request.user).select_related("market"), pk=pk)
    company = _company_of(request.user, lot)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposals.propose(lot=lot, company=company, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                "Proposition envoyée : la facilitatrice vérifie l'éligibilité de la personne et crée son contrat.",
            )
            return redirect("companies:lot", pk=lot.pk)
    return render(
        request,
        "companies/propose.html",
        {"lot": lot, "company": company, "form": form, "proposals": proposals.company_proposals_of(request.user, lot)},
        status=400 if form.errors else 200,
    )


def proposal_detail(request, pk):
    """A proposal as the facilitator of the lot examines it: accept (person and placement) or refuse."""
    proposal = get_object_or_404(PersonProposal.objects.select_related("company", "proposed_by", "decided_by"), pk=pk)
    try:
        lot = _followed_lot(request, proposal.lot_id)
    except Http404:
        raise Http404("Cette proposition n'existe pas ou ne concerne pas un marché que vous suivez.") from None
    can_manage = _can_manage(request.user, lot)
    action = request.POST.get("action") if request.method == "POST" else None
    accept_form = AcceptForm(
        request.POST if action == "accept" else None,
        initial={"end_date": proposal.end_date or lot.end_date},
    )
    refuse_form = RefuseForm(request.POST if action == "refuse" else None)
    if request.method == "POST":
        require(can_manage, MANAGE_REFUSED)
        form = accept_form if action == "accept" else refuse_form if action == "refuse" else None
        if form is None:
            messages.error(request, "Choisissez d'accepter ou de refuser la proposition.")
        elif form.is_valid():
            try:
                if action == "accept":
                    proposals.accept(proposal=proposal, user=request.user, **form.cleaned_data)
                else:
                    proposals.refuse(proposal=proposal, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                done = (
                    "Proposition acceptée : le contrat est créé, l'entreprise peut déclarer ses heures."
                    if action == "accept"
                    else "Proposition refusée : l'entreprise voit votre motif."
                )
                messages.success(request, done)
                return redirect("companies:proposal", pk=proposal.pk)
    person = proposals.existing_person(proposal)
    if person is not None:
        log_views(user=request.user, beneficiaries=[person], detail=f"Proposition n° {proposal.pk} d'une entreprise")
    clause = getattr(lot, "clause", None)
    context = {
        "lot": lot,
        "proposal": proposal,
        "person": person,
        "criteria": list(person.criteria.all()) if person else [],
        "clause": clause,
        "can_manage": can_manage and proposal.status == ProposalStatus.PROPOSED,
        "accept_form": accept_form,
        "refuse_form": refuse_form,
    }
    status = 400 if accept_form.errors or refuse_form.errors else 200
    return render(request, "companies/proposal.html", context, status=status)
