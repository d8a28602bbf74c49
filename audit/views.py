"""The access journal of a structure's people (its admins only) and the right-of-access export of one person."""

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from audit import right_of_access
from audit.models import AccessAction, AccessLog
from audit.services import log_access
from beneficiaries.models import Beneficiary
from beneficiaries.views import visible_beneficiary
from config.collation import French
from organisations import permissions, scoping
from organisations.web import paginate, require

EXPORT_REFUSED = (
    "Seul·es les membres et administrateur·rices de la structure qui suit la personne exportent ses données."
)


def journal(request):
    """Who viewed, exported or changed the records of the people followed by the structure, filterable by person."""
    scope = scoping.scope_of(request.user)
    if not (scope.is_superuser or scope.facilitation_admin_ids):
        raise PermissionDenied(
            "Le journal des accès est réservé aux administrateur·rices d'une structure de facilitation."
        )
    people = Beneficiary.objects.visible_to(request.user)
    if not scope.is_superuser:
        people = people.filter(structure__in=scope.facilitation_admin_ids)
    entries = AccessLog.objects.visible_to(request.user).select_related("beneficiary")
    person = None
    wanted = request.GET.get("personne", "")
    if wanted.isdigit():
        person = people.filter(pk=int(wanted)).first()
        entries = entries.filter(beneficiary_id=int(wanted)) if person else entries.none()
    action = request.GET.get("action", "")
    if action in AccessAction.values:
        entries = entries.filter(action=action)
    context = {
        "page_obj": paginate(request, entries),
        "people": people.only("pk", "last_name", "first_name", "anonymised_at").order_by(
            French("last_name"), French("first_name"), "pk"
        ),
        "person": person,
        "selected_person": wanted,
        "actions": AccessAction.choices,
        "selected_action": action,
    }
    return render(request, "audit/journal.html", context)


def _exportable(request, pk) -> Beneficiary:
    beneficiary = visible_beneficiary(request, pk)
    require(permissions.can_edit(request.user, beneficiary), EXPORT_REFUSED)
    return beneficiary


def right_of_access_page(request, pk):
    """Everything held on the person, as a printable page."""
    beneficiary = _exportable(request, pk)
    log_access(
        user=request.user,
        beneficiary=beneficiary,
        action=AccessAction.EXPORTED,
        detail="Droit d'accès : page imprimable",
    )
    data = right_of_access.person_data(beneficiary)
    context = {"beneficiary": beneficiary, "nodes": right_of_access.as_nodes(data)}
    return render(request, "audit/right_of_access.html", context)


def right_of_access_json(request, pk):
    """Everything held on the person, as a JSON file to hand over."""
    beneficiary = _exportable(request, pk)
    log_access(
        user=request.user, beneficiary=beneficiary, action=AccessAction.EXPORTED, detail="Droit d'accès : fichier JSON"
    )
    data = right_of_access.person_data(beneficiary)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="droit-d-acces-{beneficiary.pk}.json"'
    return response
