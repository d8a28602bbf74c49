"""Company accounts: the contact's lot page (the people it employs there; its home and yearly statement are in
companies.views_home), the invitation link, and the facilitator's page of a lot's company accesses (invite, revoke)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.services import log_views
from beneficiaries.models import Beneficiary
from companies import emails, services
from companies.declarations import recent_months
from companies.forms import InviteContactForm
from companies.models import CompanyAccess, Declaration, lots_of, placements_of
from companies.proposals import company_proposals_of
from companies.tokens import decode_uid, invitation_tokens
from config.collation import French
from markets.models import Lot
from organisations.models import User
from organisations.scoping import scope_of
from organisations.web import add_errors, require

INVITED = "Invitation envoyée à {email} : le lien lui permet de choisir son mot de passe."
LOTS_ADDED = "{email} a déjà un compte : les lots lui sont ajoutés et un e-mail le prévient."
NOT_A_COMPANY = "Cette page est réservée aux comptes d'entreprise."
MANAGE_REFUSED = "Seuls les administrateur·rices et membres de la structure qui suit le marché invitent une entreprise."


def _require_company(user) -> None:
    if not scope_of(user).company_ids:
        raise Http404(NOT_A_COMPANY)


def log_people_read(*, user, placements, detail: str) -> int:
    """One « consultation » entry per person on these placements (a queryset) in the access journal, as the
    facilitators' pages write (audit.services.log_views): a company page that names people records who read them."""
    people = Beneficiary.objects.filter(pk__in=placements.values("beneficiary")).only("pk", "structure_id")
    return log_views(user=user, beneficiaries=people, detail=detail)


def _people(placements) -> list[dict]:
    """The rows a company reads: who (last and first name, which it knows as employer) and the contract. Nothing
    else of the person leaves the database for these pages."""
    return [
        {
            "last_name": row["beneficiary__last_name"],
            "first_name": row["beneficiary__first_name"],
            "modality": row["modality"],
            "job_title": row["job_title"],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "lot_id": row["lot_id"],
        }
        for row in placements.order_by(
            French("beneficiary__last_name"), French("beneficiary__first_name"), "pk"
        ).values(
            "beneficiary__last_name",
            "beneficiary__first_name",
            "modality",
            "job_title",
            "start_date",
            "end_date",
            "lot_id",
        )
    ]


def _with_modality_labels(rows):
    from beneficiaries.choices import Modality

    labels = dict(Modality.choices)
    for row in rows:
        row["modality_label"] = labels.get(row["modality"], row["modality"])
    return rows


def company_lot(request, pk):
    _require_company(request.user)
    lot = get_object_or_404(lots_of(request.user).select_related("market__buyer"), pk=pk)
    accesses = CompanyAccess.objects.of_user(request.user).filter(lot=lot).select_related("membership__organisation")
    people = _with_modality_labels(_people(placements_of(request.user).filter(lot=lot)))
    context = {"lot": lot, "accesses": accesses, "people": people, "months": _declaration_months(request.user, lot)}
    context["statement_years"] = statement_years(lot, timezone.localdate())
    shown = placements_of(request.user).filter(lot=lot)
    log_people_read(user=request.user, placements=shown, detail=f"Entreprise : lot n° {lot.pk}")
    context["proposals"] = company_proposals_of(request.user, lot)
    return render(request, "companies/lot.html", context)


def statement_years(lot, today) -> list[int]:
    """The years a yearly statement can be printed for, most recent first: the lot's execution up to this year."""
    return list(range(min(lot.end_date.year, today.year), lot.start_date.year - 1, -1))


def _declaration_months(user, lot) -> list[dict]:
    """The months the company declares on the lot (most recent first), each with its declaration's status."""
    companies = CompanyAccess.objects.of_user(user).filter(lot=lot).values("membership__organisation")
    statuses = {
        item.month: item for item in Declaration.objects.filter(lot=lot, company__in=companies).order_by("month", "pk")
    }
    return [{"month": month, "declaration": statuses.get(month)} for month in recent_months(lot, timezone.localdate())]


@login_not_required
def accept_invitation(request, uidb64, token):
    """The invitation link: choose a password once. A refused link (tampered, already used, expired) shows why and
    changes nothing."""
    user_id = decode_uid(uidb64)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
    refusal = invitation_tokens.refusal(user, token)
    if refusal:
        return render(request, "companies/accept.html", {"refusal": refusal})
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.accept_invitation(user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, "Votre mot de passe est enregistré : connectez-vous pour voir vos lots.")
        return redirect("login")
    return render(request, "companies/accept.html", {"form": form, "invited": user})


def _followed_lot(request, pk):
    """A lot of a market the user's facilitation structure follows (any role), else 404."""
    scope = scope_of(request.user)
    lot = get_object_or_404(Lot.objects.visible_to(request.user).select_related("market", "contractor"), pk=pk)
    if not scope.is_superuser and lot.market.facilitator_id not in scope.facilitation_ids:
        raise Http404("Seule la structure qui suit le marché voit les accès des entreprises.")
    return lot


def _can_manage(user, lot) -> bool:
    scope = scope_of(user)
    return scope.is_superuser or lot.market.facilitator_id in scope.facilitation_editor_ids


def lot_access(request, pk):
    lot = _followed_lot(request, pk)
    can_manage = _can_manage(request.user, lot)
    form = InviteContactForm(request.POST or None, user=request.user, lot=lot)
    if request.method == "POST":
        require(can_manage, MANAGE_REFUSED)
        if form.is_valid():
            try:
                invitation = services.invite_contact(invited_by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                emails.send_invitation(request, invitation)
                text = INVITED if invitation.needs_password else LOTS_ADDED
                messages.success(request, text.format(email=invitation.user.email))
                return redirect("companies:lot_access", pk=lot.pk)
    accesses = lot.company_accesses.select_related("membership__user", "membership__organisation", "granted_by_user")
    context = {"lot": lot, "form": form, "can_manage": can_manage, "accesses": accesses}
    return render(request, "companies/lot_access.html", context)


@require_POST
def revoke_access(request, pk):
    access = get_object_or_404(CompanyAccess.objects.select_related("lot__market", "membership__user"), pk=pk)
    lot = _followed_lot(request, access.lot_id)
    require(_can_manage(request.user, lot), MANAGE_REFUSED)
    try:
        services.revoke_access(access=access, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Accès de {access.membership.user.email} au lot retiré.")
    return redirect("companies:lot_access", pk=lot.pk)
