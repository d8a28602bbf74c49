"""New-person proposals on the web (issue 15, point 2): the company proposes a person for its lot and follows the
status; the facilitator of the lot reads a proposal, checks eligibility (the person the structure already follows
with the same name and birth date, their criteria, the clause's publics) and accepts or refuses it. Every write is a
function of companies.proposals; a refusal is shown on its field and changes nothing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from audit.services import log_views
from companies import proposals
from companies.choices import ProposalStatus
from companies.models import CompanyAccess, PersonProposal, lots_of
from companies.proposal_forms import AcceptForm, ProposalForm, RefuseForm
from companies.views import _can_manage, _followed_lot, _require_company
from companies.views_declarations import _company_of
from organisations.web import add_errors, require

MANAGE_REFUSED = (
    "Seuls les administrateur·rices et membres de la structure qui suit le marché examinent une proposition."
)


def company_proposals_of(user, lot):
    """The proposals of the contact's companies on the lot, most recent first."""
    companies = CompanyAccess.objects.of_user(user).filter(lot=lot).values("membership__organisation")
    return PersonProposal.objects.filter(lot=lot, company__in=companies).order_by("-proposed_at", "-pk")


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
        {"lot": lot, "company": company, "form": form, "proposals": company_proposals_of(request.user, lot)},
        status=400 if form.errors else 200,
    )


def pending_proposals(lot):
    """For the lot's « Déclarations des entreprises » section (structure following the market only)."""
    return PersonProposal.objects.filter(lot=lot, status=ProposalStatus.PROPOSED).select_related("company")


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
