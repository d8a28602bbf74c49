"""Placements (contrats / missions): list, create, edit, detail with hours and outcomes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from audit.models import AccessAction, HoursChange
from audit.services import log_access, log_views
from beneficiaries import services
from beneficiaries.choices import OutcomeStage
from beneficiaries.filters import PlacementFilter
from beneficiaries.forms import (
    OutcomeForm,
    PlacementForm,
    add_service_errors,
    search_employers,
    search_lots,
    search_people,
    search_query,
)
from beneficiaries.models import Beneficiary, Placement
from markets.models import Lot
from organisations import permissions, scoping
from organisations.models import Organisation
from organisations.web import paginate, render_list, require, require_people_access


def visible_placement(request, pk) -> Placement:
    """A placement the user sees, for the structures that follow the data only (buyers, coordinators: 404)."""
    require_people_access(request.user)
    queryset = Placement.objects.visible_to(request.user).select_related(
        "beneficiary", "lot__market", "lot__clause", "employer"
    )
    return get_object_or_404(queryset, pk=pk)


def identified_people(user, placements) -> list:
    """The people of these placements whom the user may identify (those a page names)."""
    return [p.beneficiary for p in placements if permissions.can_see_identity(user, p.beneficiary)]


def log_placement_view(request, placement, detail: str) -> None:
    """A page about one placement names its person for those who may identify them."""
    if permissions.can_see_identity(request.user, placement.beneficiary):
        log_access(user=request.user, beneficiary=placement.beneficiary, action=AccessAction.VIEWED, detail=detail)


def _placement_form(request, data=None, initial=None):
    """The placement form with its choices scoped to what the user may pick."""
    user = request.user
    scope = scoping.scope_of(user)
    beneficiaries = Beneficiary.objects.visible_to(user)
    if not scope.is_superuser:
        beneficiaries = beneficiaries.filter(structure__in=scope.facilitation_editor_ids)
    lots = Lot.objects.visible_to(user).filter(clause__isnull=False)
    return PlacementForm(
        data,
        initial=initial,
        beneficiaries=beneficiaries,
        lots=lots,
        employers=Organisation.objects.visible_to(user),
    )


def placement_list(request):
    require_people_access(request.user)
    queryset = Placement.objects.visible_to(request.user).select_related("beneficiary", "lot__market", "employer")
    filterset = PlacementFilter(request.GET or None, queryset=queryset, request=request)
    page_obj = paginate(request, filterset.qs)
    log_views(user=request.user, beneficiaries=identified_people(request.user, page_obj), detail="Liste des contrats")
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "can_create": permissions.is_facilitator(request.user),
    }
    return render_list(request, "placements/placement_list.html", context)


def placement_create(request):
    require(
        permissions.is_facilitator(request.user),
        "Seuls les membres d'une structure de facilitation créent des contrats.",
    )
    initial = {}
    for name in ("beneficiary", "lot"):
        if request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    if initial.get("lot"):
        lot = Lot.objects.visible_to(request.user).filter(pk=initial["lot"]).first()
        if lot is not None and lot.contractor_id:
            initial["employer"] = lot.contractor_id
    form = _placement_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            placement = services.start_placement(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Le contrat est enregistré. Ses heures se saisissent chaque mois dans la grille.")
            return redirect("placements:detail", pk=placement.pk)
    return render(request, "placements/placement_form.html", {"form": form})


SEARCHES = {"beneficiary": search_people, "lot": search_lots, "employer": search_employers}


@require_GET
def placement_choices(request, kind):
    """Options of a select of the placement form (person, lot, employer) matching its search input, among the
    very choices the form accepts from this user (htmx fragment). The lot form's contractor uses the employers'."""
    require(
        permissions.is_facilitator(request.user),
        "Seuls les membres d'une structure de facilitation créent des contrats.",
    )
    if kind not in SEARCHES:
        raise Http404("Liste inconnue.")
    field = _placement_form(request).fields[kind]
    # `field`: the name of the select in its form when it is not the placement form's (the lot's contractor).
    name = request.GET.get("field", kind)
    name = name if name.replace("_", "").isalpha() else kind
    query = search_query(request.GET, name)
    found = SEARCHES[kind](field.queryset, query)
    if found:
        status = f"{len(found)} résultat{'s' if len(found) > 1 else ''} : choisissez dans la liste"
    elif query.strip():
        status = "Aucun résultat pour cette recherche"
    else:
        status = "Tapez un nom ou un numéro"
    choices = [("", status)] + [(obj.pk, field.label_from_instance(obj)) for obj in found]
    context = {
        "choices": choices,
        "selected": str(found[0].pk) if len(found) == 1 else "",
        "status": status,
        "status_id": f"{name}-search-status",
    }
    return render(request, "includes/_search_options.html", context)


def placement_update(request, pk):
    placement = visible_placement(request, pk)
    require(permissions.can_edit(request.user, placement))
    initial = {
        "beneficiary": placement.beneficiary_id,
        "lot": placement.lot_id,
        "employer": placement.employer_id,
        "modality": placement.modality,
        "start_date": placement.start_date,
        "end_date": placement.end_date,
        "job_title": placement.job_title,
    }
    form = _placement_form(request, request.POST or None, initial=initial)
    if permissions.can_change_person(request.user, placement):
        # Another person of the same structure only (services.check_person_change).
        form.limit_people(form.fields["beneficiary"].queryset.filter(structure=placement.beneficiary.structure_id))
    else:
        # the market's structure edits the contract, never who holds it
        del form.fields["beneficiary"], form.fields["beneficiary_search"]
    if request.method == "POST" and form.is_valid():
        try:
            services.update_placement(placement=placement, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Les modifications du contrat ont été enregistrées.")
            return redirect("placements:detail", pk=placement.pk)
    log_placement_view(request, placement, f"Formulaire de modification du contrat n° {placement.pk}")
    return render(request, "placements/placement_form.html", {"form": form, "placement": placement})


def _outcome_forms(placement, bound_form=None, *, with_notes: bool):
    """One form per stage (at the end, six months later), prefixed by the stage so ids stay unique. The notes
    are shown only to the structure following the person (`with_notes`)."""
    outcomes = {outcome.stage: outcome for outcome in placement.outcomes.all()}
    forms = []
    for stage, label in OutcomeStage.choices:
        if bound_form is not None and bound_form.prefix == stage:
            form = bound_form
        else:
            outcome = outcomes.get(stage)
            initial = {}
            if outcome is not None:
                initial.update(result=outcome.result, observed_on=outcome.observed_on)
                if with_notes:
                    initial["notes"] = outcome.notes
            form = OutcomeForm(initial=initial, prefix=stage, with_notes=with_notes)
        forms.append({"stage": stage, "label": label, "form": form, "outcome": outcomes.get(stage)})
    return forms


def _detail_context(request, placement, outcome_form=None):
    user = request.user
    return {
        "placement": placement,
        "can_edit": permissions.can_edit(user, placement),
        "can_see_identity": permissions.can_see_identity(user, placement.beneficiary),
        "records": placement.hours_records.order_by("-month").select_related("declared_by", "reviewed_by"),
        "outcome_forms": _outcome_forms(
            placement, outcome_form, with_notes=permissions.can_see_identity(user, placement.beneficiary)
        ),
        "hours_changes": HoursChange.objects.filter(record__placement=placement).select_related("record"),
    }


def _render_detail(request, placement, outcome_form=None, status=200):
    log_placement_view(request, placement, f"Contrat n° {placement.pk}")
    context = _detail_context(request, placement, outcome_form=outcome_form)
    return render(request, "placements/placement_detail.html", context, status=status)


def placement_detail(request, pk):
    return _render_detail(request, visible_placement(request, pk))


@require_POST
def outcome_record(request, pk):
    placement = visible_placement(request, pk)
    require(permissions.can_edit(request.user, placement))
    stage = request.POST.get("stage", "")
    if stage not in OutcomeStage.values:
        messages.error(request, "Moment de sortie inconnu.")
        return redirect("placements:detail", pk=placement.pk)
    with_notes = permissions.can_see_identity(request.user, placement.beneficiary)
    form = OutcomeForm(request.POST, prefix=stage, with_notes=with_notes)
    if form.is_valid():
        try:
            outcome = services.record_outcome(placement=placement, stage=stage, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Sortie enregistrée ({outcome.get_stage_display().lower()}).")
            return redirect("placements:detail", pk=placement.pk)
    return _render_detail(request, placement, outcome_form=form, status=422)
