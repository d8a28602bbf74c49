"""Duplicates of a person (issue 20, point 2): compare two records of the structure side by side and merge them.

Only the admins and members of the structure following both records merge them (organisations.permissions.can_edit
on each); readers get a 403, anyone else a 404 (the record is not visible to them).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render

from audit.services import log_views
from beneficiaries.duplicates import likely_duplicates, merge_conflicts, merge_people
from beneficiaries.forms import MergeForm, add_service_errors
from beneficiaries.models import Beneficiary, HoursRecord
from beneficiaries.views import visible_beneficiary
from organisations import permissions
from organisations.web import require

MERGE_REFUSED = (
    "Seuls les administrateur·rices et membres de la structure qui suit ces personnes fusionnent leurs fiches."
)
OTHER_UNKNOWN = "Cette fiche n'existe pas ou n'est pas suivie par votre structure."


def _other(request, value):
    """The other record, among those the user may edit; None (with the reason) otherwise."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    other = Beneficiary.objects.visible_to(request.user).select_related("commune", "qpv").filter(pk=pk).first()
    if other is None or not permissions.can_edit(request.user, other):
        return None
    return other


def _card(person):
    """What the comparison shows of one record."""
    placements = list(person.placements.select_related("lot__market", "employer").order_by("start_date", "pk"))
    return {
        "person": person,
        "criteria": list(person.criteria.order_by("criterion")),
        "placements": placements,
        "hours": HoursRecord.objects.filter(placement__beneficiary=person).count(),
        "journal": person.access_logs.aggregate(count=Count("pk"))["count"],
    }


def beneficiary_merge(request, pk):
    person = visible_beneficiary(request, pk)
    require(permissions.can_edit(request.user, person), MERGE_REFUSED)
    value = request.POST.get("avec") if request.method == "POST" else request.GET.get("avec")
    other = _other(request, value) if value else None
    conflicts = merge_conflicts(person, other) if other is not None else []
    form = MergeForm(request.POST or None, conflicts=conflicts, initial={"avec": other.pk if other else None})
    status = 200
    if value and other is None:
        form.add_error(None, OTHER_UNKNOWN)
        status = 422 if request.method == "POST" else 200
    if request.method == "POST":
        if form.is_valid() and other is not None:
            keep, duplicate = (person, other) if form.cleaned_data["keep"] == "this" else (other, person)
            try:
                result = merge_people(
                    keep=keep,
                    duplicate=duplicate,
                    user=request.user,
                    criteria_from_duplicate=form.cleaned_data["from_duplicate"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Les fiches sont fusionnées : la fiche n° {result.duplicate_id} est supprimée, ses "
                    f"{result.placements} contrat(s) et ses critères sont rattachés à celle-ci.",
                )
                return redirect("beneficiaries:detail", pk=result.kept.pk)
        status = 422
    candidates = (
        []
        if other is not None
        else likely_duplicates(
            person.structure,
            last_name=person.last_name,
            first_name=person.first_name,
            birth_date=person.birth_date,
            exclude=person,
        )
    )
    # Every person whose identity the page shows is journalled (tests/security/test_identity_journal.py).
    shown = [person, other] if other is not None else [person] + [candidate.person for candidate in candidates]
    detail = "Comparaison avant fusion" if other is not None else "Doublons possibles (fusion)"
    log_views(user=request.user, beneficiaries=shown, detail=detail)
    context = {
        "beneficiary": person,
        "other": other,
        "form": form,
        "cards": [_card(person), _card(other)] if other is not None else [],
        "conflicts": conflicts,
        "candidates": candidates,
    }
    return render(request, "beneficiaries/merge.html", context, status=status)
