import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from api.services import revoke_all_tokens
from audit.models import OrganisationChange
from config import throttling
from markets.models import Lot, Market
from notifications.tasks import send_member_invitation
from organisations import permissions, scoping, services
from organisations.choices import OrganisationKind
from organisations.filters import OrganisationFilter
from organisations.forms import EmailAuthenticationForm, MemberAddForm, MemberRoleForm, OrganisationForm
from organisations.models import Membership, Organisation
from organisations.web import add_errors, paginate, render_list, require


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's change form; the user's API tokens are revoked with the old password."""

    def form_valid(self, form):
        response = super().form_valid(form)
        revoke_all_tokens(user=form.user, reason="mot de passe modifié par l'utilisateur·rice")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, throttled per client and per e-mail address (config.throttling); the refusal is the
    same whether the address has an account or not."""

    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form):
        if not throttling.password_reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, throttling.TOO_MANY_RESETS.format(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset link; whoever held the old password loses the API tokens too."""

    def form_valid(self, form):
        response = super().form_valid(form)
        revoke_all_tokens(user=form.user, reason="mot de passe réinitialisé par lien")
        return response


CREATE_REFUSED = "Seuls les membres d'une structure de facilitation créent des organisations."
MANAGE_REFUSED = "Seuls les administrateur·rices gèrent les membres."


@require_POST
def switch_organisation(request):
    try:
        organisation_id = int(request.POST.get("organisation", ""))
    except ValueError:
        organisation_id = None
    if organisation_id is None or not scoping.set_current_organisation(request, organisation_id):
        messages.error(request, "Vous n'êtes pas membre de cette organisation.")
    else:
        messages.success(request, f"Vous travaillez maintenant pour : {scoping.current_organisation(request)}.")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("home")
    # An object of the previous organisation may be invisible now: go back to the list, not the object.
    return redirect(reverse("home") if target.rstrip("/").split("/")[-1].isdigit() else target)


# Organisations -----------------------------------------------------------------------------------------


def organisation_list(request):
    queryset = Organisation.objects.visible_to(request.user).select_related("commune")
    filterset = OrganisationFilter(request.GET or None, queryset=queryset)
    page_obj = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "can_create": permissions.is_facilitator(request.user),
    }
    return render_list(request, "organisations/organisation_list.html", context)


def organisation_detail(request, pk):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    user = request.user
    scope = scoping.scope_of(user)
    markets = (
        Market.objects.visible_to(user)
        .filter(Q(buyer=organisation) | Q(facilitator=organisation))
        .select_related("buyer", "facilitator", "execution_commune")
        .annotate(lot_count=Count("lots"))[:50]
    )
    held_lots = Lot.objects.visible_to(user).filter(contractor=organisation).select_related("market")[:50]
    show_members = scope.is_superuser or organisation.pk in scope.organisation_ids
    members = organisation.memberships.select_related("user") if show_members else None
    context = {
        "organisation": organisation,
        "markets": markets,
        "held_lots": held_lots,
        "members": members,
        "can_edit": permissions.can_edit(user, organisation),
        "can_manage_members": permissions.can_manage_members(user, organisation),
        # Renames and other changes: for the organisation's admins (audit.OrganisationChange.visible_to).
        "changes": (
            OrganisationChange.objects.visible_to(user).filter(organisation=organisation)[:100]
            if permissions.can_manage_members(user, organisation)
            else None
        ),
    }
    return render(request, "organisations/organisation_detail.html", context)


def _allowed_kinds(user):
    if scoping.scope_of(user).is_superuser:
        return None
    return permissions.SHARED_KINDS


def organisation_create(request):
    require(permissions.is_facilitator(request.user), CREATE_REFUSED)
    form = OrganisationForm(request.POST or None, allowed_kinds=_allowed_kinds(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.create_organisation(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return render(request, "organisations/organisation_form.html", {"form": form})
        messages.success(request, f"L'organisation « {organisation} » a été créée.")
        return redirect("organisations:detail", pk=organisation.pk)
    return render(request, "organisations/organisation_form.html", {"form": form})


def organisation_update(request, pk):
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    require(permissions.can_edit(request.user, organisation))
    # Its nature never changes (services.update_organisation): the form offers only the current one.
    # The form works on a copy: the service reads the stored values (its history's "before") and writes them.
    scope = scoping.scope_of(request.user)
    deadline_editable = organisation.kind == OrganisationKind.FACILITATION and (
        scope.is_superuser or organisation.pk in scope.admin_ids
    )
    form = OrganisationForm(
        request.POST or None,
        instance=copy.copy(organisation),
        allowed_kinds=(organisation.kind,),
        deadline_editable=deadline_editable,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(organisation=organisation, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect("organisations:detail", pk=organisation.pk)
    return render(request, "organisations/organisation_form.html", {"form": form, "organisation": organisation})


# Members -----------------------------------------------------------------------------------------------


def _own_organisation(request, pk):
    """An organisation the user belongs to (any role); others are a 404."""
    scope = scoping.scope_of(request.user)
    queryset = Organisation.objects.all()
    if not scope.is_superuser:
        queryset = queryset.filter(pk__in=scope.organisation_ids)
    return get_object_or_404(queryset, pk=pk)


def member_list(request, pk):
    organisation = _own_organisation(request, pk)
    can_manage = permissions.can_manage_members(request.user, organisation)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        require(can_manage, MANAGE_REFUSED)
        if form.is_valid():
            try:
                membership, created = services.add_member(organisation=organisation, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)  # keyed by field (email)
            else:
                if created:
                    _send_invitation(request, membership.user)
                    messages.success(
                        request,
                        f"Compte créé pour {membership.user.email} : un e-mail lui permet de choisir son mot de passe.",
                    )
                else:
                    messages.success(request, f"{membership.user.email} a été ajouté·e à l'organisation.")
                return redirect("organisations:members", pk=organisation.pk)
    memberships = organisation.memberships.select_related("user").order_by("user__email")
    context = {
        "organisation": organisation,
        "memberships": memberships,
        "form": form,
        "can_manage": can_manage,
        "role_form": MemberRoleForm(),
    }
    return render(request, "organisations/member_list.html", context)


def _send_invitation(request, user):
    # Sent by the task worker, enqueued in the request's transaction (links on SITE_URL).
    send_member_invitation.enqueue(user.pk)


def _membership_to_manage(request, pk, membership_pk):
    organisation = _own_organisation(request, pk)
    require(permissions.can_manage_members(request.user, organisation), MANAGE_REFUSED)
    return get_object_or_404(Membership.objects.select_related("user"), organisation=organisation, pk=membership_pk)


@require_POST
def member_change_role(request, pk, membership_pk):
    membership = _membership_to_manage(request, pk, membership_pk)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Rôle de {membership.user.email} : {membership.get_role_display()}.")
    else:
        messages.error(request, "Rôle inconnu.")
    return redirect("organisations:members", pk=pk)


@require_POST
def member_remove(request, pk, membership_pk):
    membership = _membership_to_manage(request, pk, membership_pk)
    try:
        services.remove_member(membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} a été retiré·e de l'organisation.")
    return redirect("organisations:members", pk=pk)
