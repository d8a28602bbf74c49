"""Beneficiaries: list, create, edit, detail with eligibility criteria; commune and QPV pickers (htmx)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from audit.models import AccessAction
from audit.services import log_access, log_views
from beneficiaries import services
from beneficiaries.choices import SENSITIVE_CRITERIA
from beneficiaries.duplicates import likely_duplicates
from beneficiaries.filters import BeneficiaryFilter
from beneficiaries.forms import (
    BeneficiaryForm,
    CriterionForm,
    add_service_errors,
    commune_choices,
    qpv_choices,
    search_communes,
    search_query,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Outcome, Placement
from organisations import permissions, scoping
from organisations.models import OrganisationKind
from organisations.web import paginate, render_list, require, require_people_access


def visible_beneficiary(request, pk) -> Beneficiary:
    """A person the user's structure follows; anyone else's is a 404."""
    return get_object_or_404(Beneficiary.objects.visible_to(request.user).select_related("commune", "qpv"), pk=pk)


def creating_structure(request):
    """The facilitation structure a new person is followed by: the current organisation, for its editors."""
    organisation = scoping.current_organisation(request)
    scope = scoping.scope_of(request.user)
    if (
        organisation is None
        or organisation.kind != OrganisationKind.FACILITATION
        or not (scope.is_superuser or organisation.pk in scope.facilitation_editor_ids)
    ):
        raise PermissionDenied("Seuls les membres d'une structure de facilitation enregistrent des participant·es.")
    return organisation


def beneficiary_list(request):
    require_people_access(request.user)  # empty for buyers and coordinators anyway: a 404 says it plainly
    queryset = Beneficiary.objects.visible_to(request.user).select_related("commune", "qpv")
    filterset = BeneficiaryFilter(request.GET or None, queryset=queryset, request=request)
    page_obj = paginate(request, filterset.qs)
    log_views(user=request.user, beneficiaries=page_obj, detail="Liste des participant·es")
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "can_create": permissions.is_facilitator(request.user),
    }
    return render_list(request, "beneficiaries/beneficiary_list.html", context)


def _beneficiary_values(form) -> dict:
    """The person's fields of a valid BeneficiaryForm (the commune search is only a picker)."""
    return {name: value for name, value in form.cleaned_data.items() if name in services.BENEFICIARY_FIELDS}


DUPLICATES_FOUND = (
    "Cette personne est peut-être déjà suivie par la structure : ouvrez sa fiche ci-dessous, ou cochez « créer quand "
    "même » si c'est une autre personne."
)


def beneficiary_create(request):
    """The form of a new person. Before saving, the likely duplicates of the structure (beneficiaries.duplicates)
    are shown with a link to each; the person is created only if none is found, or the user confirms it is someone
    else (« créer quand même »)."""
    structure = creating_structure(request)
    form = BeneficiaryForm(request.POST or None)
    duplicates, status = [], 200
    if request.method == "POST" and form.is_valid():
        values = _beneficiary_values(form)
        duplicates = likely_duplicates(
            structure,
            last_name=values["last_name"],
            first_name=values["first_name"],
            birth_date=values.get("birth_date"),
        )
        if duplicates and request.POST.get("create_anyway") != "1":
            form.add_error(None, DUPLICATES_FOUND)
            status = 422
            log_views(
                user=request.user,
                beneficiaries=[duplicate.person for duplicate in duplicates],
                detail="Doublons possibles (nouvelle fiche)",
            )
        else:
            try:
                beneficiary = services.create_beneficiary(structure=structure, user=request.user, **values)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{beneficiary} est enregistré·e. Ajoutez ses critères d'éligibilité.")
                return redirect("beneficiaries:detail", pk=beneficiary.pk)
    context = {"form": form, "duplicates": duplicates}
    return render(request, "beneficiaries/beneficiary_form.html", context, status=status)


def beneficiary_update(request, pk):
    beneficiary = visible_beneficiary(request, pk)
    require(permissions.can_edit(request.user, beneficiary))
    form = BeneficiaryForm(request.POST or None, instance=Beneficiary.objects.get(pk=beneficiary.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_beneficiary(beneficiary=beneficiary, user=request.user, **_beneficiary_values(form))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect("beneficiaries:detail", pk=beneficiary.pk)
    log_access(
        user=request.user, beneficiary=beneficiary, action=AccessAction.VIEWED, detail="Formulaire de modification"
    )
    return render(request, "beneficiaries/beneficiary_form.html", {"form": form, "beneficiary": beneficiary})


def _detail_context(request, beneficiary, criterion_form=None):
    user = request.user
    can_edit = permissions.can_edit(user, beneficiary)
    show_sensitive = permissions.can_see_sensitive_criteria(user, beneficiary)
    criteria = BeneficiaryCriterion.objects.visible_to(user).filter(beneficiary=beneficiary)
    if not show_sensitive:
        criteria = criteria.exclude(criterion__in=SENSITIVE_CRITERIA)
    placements = (
        Placement.objects.visible_to(user)
        .filter(beneficiary=beneficiary)
        .select_related("lot__market", "employer")
        .prefetch_related(Prefetch("outcomes", queryset=Outcome.objects.order_by("stage")))
    )
    if can_edit and criterion_form is None:
        criterion_form = CriterionForm(show_sensitive=show_sensitive)
    return {
        "beneficiary": beneficiary,
        "criteria": criteria.select_related("validated_by"),
        "placements": placements,
        "can_edit": can_edit,
        "show_sensitive": show_sensitive,
        "criterion_form": criterion_form if can_edit else None,
        "can_add_placement": can_edit,
    }


def _render_detail(request, beneficiary, criterion_form=None, status=200):
    log_access(user=request.user, beneficiary=beneficiary, action=AccessAction.VIEWED)
    context = _detail_context(request, beneficiary, criterion_form=criterion_form)
    return render(request, "beneficiaries/beneficiary_detail.html", context, status=status)


def beneficiary_detail(request, pk):
    return _render_detail(request, visible_beneficiary(request, pk))


@require_POST
def criterion_add(request, pk):
    beneficiary = visible_beneficiary(request, pk)
    require(permissions.can_edit(request.user, beneficiary))
    show_sensitive = permissions.can_see_sensitive_criteria(request.user, beneficiary)
    form = CriterionForm(request.POST, show_sensitive=show_sensitive)
    if form.is_valid():
        try:
            criterion = services.add_criterion(beneficiary=beneficiary, validated_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Critère ajouté : {criterion.get_criterion_display()}.")
            return redirect("beneficiaries:detail", pk=beneficiary.pk)
    return _render_detail(request, beneficiary, criterion_form=form, status=422)


@require_POST
def criterion_delete(request, pk, criterion_pk):
    beneficiary = visible_beneficiary(request, pk)
    criterion = get_object_or_404(
        BeneficiaryCriterion.objects.visible_to(request.user), beneficiary=beneficiary, pk=criterion_pk
    )
    require(permissions.can_edit(request.user, beneficiary))
    if criterion.criterion in SENSITIVE_CRITERIA:
        require(permissions.can_see_sensitive_criteria(request.user, beneficiary))
    label = criterion.get_criterion_display()
    services.remove_criterion(criterion=criterion, user=request.user)
    messages.success(request, f"Critère retiré : {label}. Les contrats déjà commencés gardent leurs publics.")
    return redirect("beneficiaries:detail", pk=beneficiary.pk)


# Residence pickers (htmx fragments) ---------------------------------------------------------------------


@require_GET
def commune_options(request):
    """Options of a commune select matching its search input `<field>_search` (`field`: "commune", the
    participant's residence, by default; "execution_commune" on the market form, "commune" with `qpv=0` on the
    operation form),
    plus, for the residence, the QPV select reset (out of band)."""
    field = request.GET.get("field", "commune")
    if not field.replace("_", "").isalpha():
        field = "commune"
    query = search_query(request.GET, field)
    communes = search_communes(query)
    choices = commune_choices(communes)
    if communes:
        choices[0] = ("", f"{len(communes)} commune{'s' if len(communes) > 1 else ''} : choisissez dans la liste")
    elif len(query.strip()) >= 2:
        choices[0] = ("", "Aucune commune ne correspond")
    else:
        choices[0] = ("", "Tapez au moins deux lettres")
    selected = str(communes[0].pk) if len(communes) == 1 else ""
    context = {
        "choices": choices,
        "selected": selected,
        "with_qpv": field == "commune" and request.GET.get("qpv") != "0",
        "qpv_choices": qpv_choices(selected or None),
        "status": choices[0][1],
        "status_id": f"{field}-search-status",
    }
    return render(request, "beneficiaries/_commune_options.html", context)


@require_GET
def qpv_options(request):
    """Options of the QPV select for the chosen commune."""
    return render(
        request,
        "beneficiaries/_qpv_options.html",
        {"qpv_choices": qpv_choices(request.GET.get("commune") or None), "selected": ""},
    )
