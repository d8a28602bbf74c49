"""Issue 12, item 4: nothing can be forgotten. Every write route of every model the reporting summary copies
(reporting.models.PlacementYear: placements, hours records, lots, clauses, markets, organisations, communes,
départements and the identifiers of EPCI, regions, QPV and people) is exercised on a small world with validated
hours, with a change that moves a copied value, and is followed by `reporting.summary.differences() == []`; the
write either went through or was refused with a French message, never a server error.

Routes are enumerated from the registries (tests/integrity/routes.py): the Django admin, the API router, the URL
resolver, the management commands of the project's apps and the public functions of its services. A new route
without a case here, or without a reason to be left out (NOT_SUMMARY_WRITERS), fails
`test_every_write_route_has_a_summary_case`.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from beneficiaries import services
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from clauses.models import Clause
from reporting import summary
from reporting.models import PlacementYear
from tests.audit.world import build_world
from tests.integrity import routes
from tests.integrity.helpers import (
    assert_no_error_or_french_refusal,
    logged,
    page_form,
    set_fields,
    text_of,
)
from tests.organisations.factories import CompanyFactory
from tests.security.test_hours_versions import grid_form, upload
from tests.territories.factories import EpciFactory

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)

# Write routes that never write a model the summary copies, and why. Everything else needs a case below.
NOT_SUMMARY_WRITERS: dict[str, str] = {
    "service:organisations.services.delete_refusal": "lit seulement : pourquoi une organisation ne se supprime pas",
    # Admin models that are not summary sources (their inlines of sources, if any, are routes of their own).
    **{
        f"admin-model:{label}": reason
        for label, reason in {
            "auth.group": "groupes de permissions : rien de copié",
            "axes.accessattempt": "journal des connexions (django-axes)",
            "axes.accessfailurelog": "journal des connexions (django-axes)",
            "axes.accesslog": "journal des connexions (django-axes)",
            "beneficiaries.beneficiarycriterion": "les publics sont figés au début du contrat (Placement.is_*)",
            "beneficiaries.outcome": "les sorties ne sont pas copiées dans la synthèse",
            "markets.operation": "l'opération d'un marché n'est pas copiée",
            "markets.trade": "le corps d'état d'un lot n'est pas copié",
            "organisations.membership": "les adhésions ne sont pas copiées",
            "organisations.user": "les comptes ne sont pas copiés",
            "companies.companyaccess": "les accès des entreprises ne sont pas copiés",
            "django_tasks_database.dbtaskresult": "tâches de fond, en lecture seule (django-tasks-db)",
            "notifications.recurringrun": "journal du planificateur, en lecture seule",
            "companies.declaration": "lecture seule ; ses heures passent par beneficiaries.services",
            "notifications.notificationsetting": "réglages des avis par courriel, en lecture seule ; jamais copiés",
            "notifications.notificationevent": "journal des avis à envoyer, en lecture seule ; jamais copié",
            "notifications.sentnotification": "journal des courriels envoyés, en lecture seule ; jamais copié",
        }.items()
    },
    "api:operation:create": "l'opération n'est pas copiée",
    "api:operation:update": "l'opération n'est pas copiée",
    "api:operation:partial_update": "l'opération n'est pas copiée",
    "api:outcome:create": "les sorties ne sont pas copiées",
    "api:outcome:update": "les sorties ne sont pas copiées",
    "api:outcome:partial_update": "les sorties ne sont pas copiées",
    "html:login": "session",
    "html:logout": "session",
    "html:password_change": "compte",
    "html:password_reset": "compte",
    "html:password_reset_confirm": "compte",
    "html:organisations:switch": "session (organisation courante)",
    "html:organisations:members": "adhésions",
    "html:organisations:member_role": "adhésions",
    "html:organisations:member_remove": "adhésions",
    "html:api_tokens:tokens": "jetons d'API",
    "html:api_tokens:token_revoke": "jetons d'API",
    "html:audit:journal": "lecture du journal (le filtre est un POST)",
    "html:audit:right_of_access": "lecture (droit d'accès)",
    "html:audit:right_of_access_json": "lecture (droit d'accès)",
    "html:markets:operation_create": "l'opération n'est pas copiée",
    "html:markets:operation_update": "l'opération n'est pas copiée",
    "html:placements:outcome": "les sorties ne sont pas copiées",
    "html:companies:accept": "compte (mot de passe d'un contact d'entreprise)",
    "html:companies:lot_access": "accès des entreprises, jamais copiés",
    "html:companies:revoke": "accès des entreprises, jamais copiés",
    "html:companies:statement": "lecture : l'attestation annuelle de l'entreprise en PDF (GET seulement)",
    "html:companies:upload_template": "lecture : le modèle de tableur pré-rempli à télécharger (GET seulement)",
    "html:companies:propose": "proposition d'une personne par l'entreprise, jamais copiée (le contrat naît à "
    "l'acceptation, html:companies:proposal)",
    "html:notifications:settings": "réglages des avis par courriel, jamais copiés",
    "html:notifications:unsubscribe": "désabonnement des avis par courriel (réglages et journal), jamais copiés",
    "html:reporting:yearly_report_background": "demande d'export en arrière-plan : lit la synthèse, jamais copiée",
    "html:reporting:export_retry": "relance d'une demande d'export : lit la synthèse, jamais copiée",
    "html:reporting:yearly_report_publish": "publication d'un bilan annuel : fige la synthèse lue dans "
    "reporting.PublishedReport, n'écrit aucune donnée du domaine",
    **{
        f"service:companies.services.{name}": "comptes et accès des entreprises, jamais copiés"
        for name in ("invite_contact", "revoke_access", "accept_invitation")
    },
    # The public pages and open data (issue 18): GET only (require_GET, 405 otherwise), published figures only.
    **{
        f"html:public:{name}": "lecture publique des bilans publiés (GET seulement)"
        for name in ("index", "region", "region_year", "data_csv", "version_csv", "data_schema")
    },
    "command:export_report": "lit la synthèse, n'écrit qu'un fichier",
    # Published markets (DECP, issue 17): their rows and the buyers and holders "à compléter" are never copied; the
    # take-over creates a market through markets.services.create_market, new and without hours: nothing to copy.
    "command:import_decp": "marchés publiés (DECP) et organisations à compléter, jamais copiés",
    "html:markets:decp_import": "aperçu de l'import DECP : n'écrit rien",
    "html:markets:decp_import_confirm": "marchés publiés (DECP) et organisations à compléter, jamais copiés",
    "html:markets:decp_follow": "crée un marché neuf, sans lot ni heures (markets.services.create_market)",
    "service:organisations.services.incomplete_organisations": "acheteurs et titulaires neufs, que rien ne référence",
    "command:changepassword": "comptes",
    "command:seed_demo": "jeu de démonstration : reconstruit toute la synthèse (tests/demo)",
    "command:bootstrap_demo": "jeu de démonstration : reconstruit toute la synthèse (tests/demo)",
    "service:beneficiaries.services.check_hours_entry": "vérifie sans écrire",
    "service:beneficiaries.services.check_hours_entries": "vérifie sans écrire",
    "service:beneficiaries.services.check_person_change": "vérifie sans écrire",
    "service:beneficiaries.services.record_warnings": "lit seulement : ce que les règles disent des relevés",
    "service:beneficiaries.services.record_outcome": "les sorties ne sont pas copiées",
    "service:organisations.services.add_member": "adhésions",
    "service:organisations.services.change_role": "adhésions",
    "service:organisations.services.remove_member": "adhésions",
    **{
        f"service:api.services.{name}": "jetons d'API" for name in ("create_token", "revoke_token", "revoke_all_tokens")
    },
    **{
        f"service:audit.services.{name}": "journal d'accès et historiques (audit), jamais copiés"
        for name in (
            "author_id",
            "erase_hours_change_reasons",
            "move_person_entries",
            "log_access",
            "log_accesses",
            "log_changes",
            "log_views",
            "record_hours_change",
            "record_hours_changes",
            "record_organisation_change",
            "record_company_access",
            "track_hours",
        )
    },
}


def write_routes() -> set[str]:
    """Every write route that must have a summary case or a reason: admin routes of summary sources (and of the
    sources' inlines), one entry per other admin model, the API, HTML, commands and services."""
    found = set(routes.summary_admin_routes())
    found |= {f"admin-model:{label}" for label in routes.admin_models() if label not in routes.SUMMARY_SOURCES}
    return found | routes.api_routes() | routes.html_routes() | routes.command_routes() | routes.service_routes()


# The world and its objects ------------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    world = build_world()
    assert summary.differences() == []
    assert PlacementYear.objects.count() == 2  # March of A and of B, validated
    return world


def superuser(world):
    return world.users["superuser"]


TARGETS = {
    "beneficiaries.hoursrecord": lambda w: w.a.record,
    "beneficiaries.placement": lambda w: w.a.placement,
    "beneficiaries.beneficiary": lambda w: w.a.person,
    "markets.lot": lambda w: w.a.lot,
    "markets.market": lambda w: w.a.market,
    "clauses.clause": lambda w: w.a.clause,
    "organisations.organisation": lambda w: w.buyer_x,
    "territories.commune": lambda w: w.dijon,
    "territories.department": lambda w: w.dijon.department,
    "territories.epci": lambda w: w.dijon.epci,
    "territories.region": lambda w: w.region,
    "territories.qpv": lambda w: w.qpv,
}


def other_company():
    return CompanyFactory(name="Autre titulaire", siret="35600000000048")


def other_epci():
    return EpciFactory(code="200000001", name="Nouvel EPCI")


def _toggle(data, name):
    return None if name in data else "on"


# Field changes that move a copied value (a form's field names), per model; the data is the form as displayed.
MOVES = {
    "beneficiaries.hoursrecord": lambda w, data: {"hours": "150", "training_hours": "80"},
    "beneficiaries.placement": lambda w, data: {"modality": "hire_cdi"},
    "beneficiaries.beneficiary": lambda w, data: {"sex": "M", "last_name": "Renommée"},
    "markets.lot": lambda w, data: {"contractor": other_company().pk},
    "markets.market": lambda w, data: {"buyer": w.buyer_y.pk, "market_type": "services", "execution_commune": "25056"},
    "clauses.clause": lambda w, data: {
        "mechanism": "award_criterion",
        "counts_training_hours": _toggle(data, "counts_training_hours"),
    },
    "organisations.organisation": lambda w, data: {"buyer_type": "state"},
    "territories.commune": lambda w, data: {"epci": other_epci().pk},
    "territories.department": lambda w, data: {"region": w.other_region.pk},
    "territories.epci": lambda w, data: {"name": "EPCI renommé"},
    "territories.region": lambda w, data: {"name": "Région renommée"},
    "territories.qpv": lambda w, data: {"name": "QPV renommé"},
}
PERIOD = {"start_date": "01/01/2025", "end_date": "31/12/2025", "amount_excl_vat": "100000"}
# What the add form of each model receives on top of its defaults (new objects: nothing is copied from them yet,
# except a validated hours record and a clause added to a lot with validated hours).
ADDS = {
    "beneficiaries.hoursrecord": lambda w: {
        "placement": w.a.placement.pk,
        "month": "01/05/2025",
        "hours": "150",
        "training_hours": "80",
        "status": HoursStatus.VALIDATED,
    },
    "beneficiaries.placement": lambda w: {
        "beneficiary": w.b.person.pk,
        "lot": w.a.lot.pk,
        "employer": w.company.pk,
        "modality": "hire_cdd",
        "start_date": "01/06/2025",
        "end_date": "31/12/2025",
    },
    "beneficiaries.beneficiary": lambda w: {
        "structure": w.a.structure.pk,
        "last_name": "Nouvelle",
        "first_name": "Personne",
        "sex": "F",
        "birth_date": "01/01/1990",
        "commune": w.dijon.pk,
        "prescriber_type": "france_travail",
    },
    "markets.lot": lambda w: {
        "market": w.a.market.pk,
        "number": "2",
        "title": "Lot 2",
        "contractor": w.company.pk,
        **PERIOD,
    },
    "markets.market": lambda w: {
        "reference": "2025-ADM",
        "title": "Marché ajouté",
        "buyer": w.buyer_x.pk,
        "facilitator": w.a.structure.pk,
        "market_type": "works",
        "execution_commune": w.dijon.pk,
        "notified_on": "01/12/2024",
        **PERIOD,
    },
    "clauses.clause": lambda w: {"lot": w.a.lot.pk, "mechanism": "award_criterion", "counts_training_hours": "on"},
    "organisations.organisation": lambda w: {"name": "Acheteur ajouté", "kind": "buyer", "buyer_type": "state"},
    "territories.commune": lambda w: {"code": "21999", "name": "Nouvelle", "department": "21", "epci": w.dijon.epci_id},
    "territories.department": lambda w: {"code": "99", "name": "Nouveau", "region": w.region.pk},
    "territories.epci": lambda w: {"code": "200000002", "name": "EPCI ajouté"},
    "territories.region": lambda w: {"code": "99", "name": "Région ajoutée"},
    "territories.qpv": lambda w: {"code": "QN09999M", "name": "QPV ajouté", "communes": [w.dijon.pk]},
}


def admin_url(label: str, suffix: str) -> str:
    app, model = label.split(".")
    return f"/admin/{app}/{model}/{suffix}"


def _without_clause(w):
    """A lot whose clause disappeared (summary rebuilt since): adding a clause moves its mechanism."""
    Clause.objects.filter(pk=w.a.clause.pk).delete()
    summary.rebuild()


def admin_add(label):
    def case(w):
        if label == "clauses.clause":
            _without_clause(w)
        client = logged(superuser(w))
        url = admin_url(label, "add/")
        response = client.get(url)
        if response.status_code == 403:
            return client.post(url, ADDS[label](w))
        data = set_fields(page_form(client, url), **ADDS[label](w))
        return client.post(url, data)

    return case


def admin_change(label):
    def case(w):
        client = logged(superuser(w))
        target = TARGETS[label](w)
        url = admin_url(label, f"{target.pk}/change/")
        data = page_form(client, url)
        return client.post(url, set_fields(data, **MOVES[label](w, data)))

    return case


def admin_delete(label):
    def case(w):
        target = TARGETS[label](w)
        return logged(superuser(w)).post(admin_url(label, f"{target.pk}/delete/"), {"post": "yes"})

    return case


def admin_bulk_delete(label):
    def case(w):
        target = TARGETS[label](w)
        data = {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"}
        return logged(superuser(w)).post(admin_url(label, ""), data)

    return case


# Inlines of a source in another model's admin: (formset prefix, how to find the parent, field changes).
INLINES = {
    ("markets.market", "markets.lot"): ("lots", lambda w: w.a.market, lambda w: {"contractor": other_company().pk}),
    ("markets.lot", "clauses.clause"): ("clause", lambda w: w.a.lot, lambda w: {"mechanism": "award_criterion"}),
    ("territories.region", "territories.department"): (
        "departments",
        lambda w: w.region,
        lambda w: {"name": "Renommé"},
    ),
    ("beneficiaries.placement", "beneficiaries.hoursrecord"): (
        "hours_records",
        lambda w: w.a.placement,
        lambda w: {"hours": "150", "training_hours": "80"},
    ),
}


def admin_inline(parent, child, action):
    def case(w):
        prefix, find, changes = INLINES[(parent, child)]
        client = logged(superuser(w))
        url = admin_url(parent, f"{find(w).pk}/change/")
        data = page_form(client, url)
        assert f"{prefix}-TOTAL_FORMS" in data, sorted(data)
        # The first inline form (a read-only inline has no field: its fields are posted all the same).
        changes = {"DELETE": "on"} if action == "delete" else changes(w)
        for field, value in changes.items():
            data[f"{prefix}-0-{field}"] = [str(value)]
        return client.post(url, data)

    return case


def admin_cases() -> dict:
    cases = {}
    for route in routes.summary_admin_routes():
        parts = route.split(":")
        label = parts[1]
        if parts[2] == "add":
            cases[route] = admin_add(label)
        elif parts[2] == "change":
            cases[route] = admin_change(label)
        elif parts[2] == "delete":
            cases[route] = admin_delete(label)
        elif parts[2:] == ["action", "delete_selected"]:
            cases[route] = admin_bulk_delete(label)
        elif parts[2] == "inline" and (label, parts[3]) in INLINES:
            cases[route] = admin_inline(label, parts[3], parts[4])
    return cases


# API ------------------------------------------------------------------------------------------------------------------

V1 = "/api/v1"


def api_as(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def api_put(path, user, **changes):
    def case(w):
        client = api_as(user(w))
        url = f"{V1}/{path(w)}/"
        body = client.get(url).json()
        body.update({key: value(w) if callable(value) else value for key, value in changes.items()})
        return client.put(url, body, format="json")

    return case


def api_patch(path, user, **changes):
    def case(w):
        body = {key: value(w) if callable(value) else value for key, value in changes.items()}
        return api_as(user(w)).patch(f"{V1}/{path(w)}/", body, format="json")

    return case


def api_post(path, user, body):
    def case(w):
        return api_as(user(w)).post(f"{V1}/{path}/", body(w), format="json")

    return case


def fac_a(w):
    return w.users["fac_a"]


def _clone(w, path, **changes):
    body = api_as(superuser(w)).get(f"{V1}/{path}/").json()
    body.pop("id", None)
    body.update(changes)
    return body


def _new_lot(w):
    from tests.markets.factories import LotFactory

    return LotFactory(market=w.a.market, number=2, contractor=w.company)


API_CASES = {
    "api:organisation:create": api_post(
        "organisations", superuser, lambda w: {"name": "Acheteur API", "kind": "buyer", "buyer_type": "state"}
    ),
    "api:organisation:update": api_put(lambda w: f"organisations/{w.buyer_x.pk}", superuser, buyer_type="state"),
    "api:organisation:partial_update": api_patch(
        lambda w: f"organisations/{w.buyer_x.pk}", superuser, buyer_type="department"
    ),
    "api:market:create": api_post(
        "markets", fac_a, lambda w: _clone(w, f"markets/{w.a.market.pk}", reference="2025-API")
    ),
    "api:market:update": api_put(
        lambda w: f"markets/{w.a.market.pk}", fac_a, buyer=lambda w: w.buyer_y.pk, execution_commune="25056"
    ),
    "api:market:partial_update": api_patch(lambda w: f"markets/{w.a.market.pk}", fac_a, market_type="services"),
    "api:lot:create": api_post("lots", fac_a, lambda w: _clone(w, f"lots/{w.a.lot.pk}", number=2)),
    "api:lot:update": api_put(lambda w: f"lots/{w.a.lot.pk}", fac_a, contractor=lambda w: other_company().pk),
    "api:lot:partial_update": api_patch(lambda w: f"lots/{w.a.lot.pk}", fac_a, contractor=lambda w: other_company().pk),
    "api:clause:create": api_post(
        "clauses", fac_a, lambda w: _clone(w, f"clauses/{w.a.clause.pk}", lot=_new_lot(w).pk)
    ),
    "api:clause:update": api_put(lambda w: f"clauses/{w.a.clause.pk}", fac_a, mechanism="award_criterion"),
    "api:clause:partial_update": api_patch(
        lambda w: f"clauses/{w.a.clause.pk}",
        fac_a,
        counts_training_hours=lambda w: not w.a.clause.counts_training_hours,
    ),
    "api:placement:create": api_post(
        "placements",
        fac_a,
        lambda w: _clone(w, f"placements/{w.a.placement.pk}", start_date="2025-06-01", end_date="2025-12-31"),
    ),
    "api:placement:update": api_put(lambda w: f"placements/{w.a.placement.pk}", fac_a, modality="hire_cdi"),
    "api:placement:partial_update": api_patch(lambda w: f"placements/{w.a.placement.pk}", fac_a, modality="hire_cdi"),
    "api:hoursrecord:create": api_post(
        "hours",
        fac_a,
        lambda w: {"placement": w.a.placement.pk, "month": "2025-05-01", "hours": "35", "version": 0},
    ),
    "api:hoursrecord:update": api_put(lambda w: f"hours/{w.a.record.pk}", fac_a, hours="45"),
    "api:hoursrecord:partial_update": api_patch(
        lambda w: f"hours/{w.a.record.pk}", fac_a, hours="45", version=lambda w: w.a.record.version
    ),
    "api:hoursrecord:validate-record": lambda w: api_as(fac_a(w)).post(
        f"{V1}/hours/{w.a.declared.pk}/validate/", {"version": w.a.declared.version}, format="json"
    ),
    "api:hoursrecord:reject-record": lambda w: api_as(fac_a(w)).post(
        f"{V1}/hours/{w.a.declared.pk}/reject/", {"version": w.a.declared.version, "reason": "Doublon"}, format="json"
    ),
    "api:beneficiary:create": api_post(
        "beneficiaries",
        fac_a,
        lambda w: {
            "structure": w.a.structure.pk,
            "last_name": "Nouvelle",
            "first_name": "Personne",
            "sex": "F",
            "birth_date": "1990-01-01",
            "prescriber_type": "france_travail",
        },
    ),
    "api:beneficiary:update": api_put(lambda w: f"beneficiaries/{w.a.person.pk}", fac_a, sex="M"),
    "api:beneficiary:partial_update": api_patch(lambda w: f"beneficiaries/{w.a.person.pk}", fac_a, sex="M"),
    "api:beneficiary:add-criterion": lambda w: api_as(fac_a(w)).post(
        f"{V1}/beneficiaries/{w.a.person.pk}/criteria/",
        {"criterion": "rsa", "validated_on": "2025-02-01", "evidence_type": "caf_certificate"},
        format="json",
    ),
}


# HTML forms -----------------------------------------------------------------------------------------------------------


def html_form(url, user, changes=lambda w, data: {}):
    def case(w):
        client = logged(user(w))
        address = url(w)
        data = page_form(client, address)
        return client.post(address, set_fields(data, **changes(w, data)))

    return case


def _merge_into_a_new_record(w):
    """Issue 20: the person of A typed again, then the first record merged into the new one (its contract moves)."""
    from tests.beneficiaries.factories import BeneficiaryFactory

    kept = BeneficiaryFactory(structure=w.a.structure, last_name="Quenouilard", first_name="Philomene")
    return logged(fac_a(w)).post(
        f"/participants/{kept.pk}/fusionner/", {"avec": w.a.person.pk, "keep": "this", "confirm": "on"}
    )


def grid_save_and_validate(w):
    client = logged(fac_a(w))
    page = grid_form(client, "2025-05")
    page = {key: value for key, value in page.items() if key != "_checkboxes"}
    page.update({f"p{w.a.placement.pk}-hours": "35", "action": "save"})
    saved = client.post("/heures/?month=2025-05", page)
    assert_no_error_or_french_refusal(saved)
    ticked = grid_form(client, "2025-04")["_checkboxes"]  # April, declared: validate it
    return client.post("/heures/?month=2025-04", {"action": "validate", "review": ticked})


def import_row(w, month, hours):
    return f"2025-a;1;{w.company.siret};Quenouillard;Philomène;03/04/1999;{month};{hours};0"


def import_confirm(w):
    client = logged(fac_a(w))
    upload(client, [import_row(w, "03/2025", "45"), import_row(w, "05/2025", "12")])
    return client.post("/imports/heures/confirmer/")


def import_upload(w):
    return upload(logged(fac_a(w)), [import_row(w, "03/2025", "45")])


def history_upload(w, hours="45"):
    """The history import (issue 20) of A's contract as it is, its validated March changed to `hours`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries.history_fixture import of_placement, to_csv_files
    from organisations.models import Organisation

    # The import finds a buyer by its SIRET; the world's has none (the SIRET is not copied by the summary).
    Organisation.objects.filter(pk=w.a.placement.lot.market.buyer_id).update(siret="21210231300013")
    w.a.placement.lot.market.buyer.siret = "21210231300013"
    client = logged(fac_a(w))
    sheets = of_placement(w.a.placement, [(MARCH, hours, "validé")])
    files = [SimpleUploadedFile(name, data) for name, data in to_csv_files(sheets)]
    return client, client.post("/imports/historique/", {"files": files})


def history_confirm(w):
    client, preview = history_upload(w)
    assert "Confirmer l" in preview.text, preview.text[:3000]
    return client.post("/imports/historique/confirmer/")


def company_declares(w):
    """The company of lot A declares May 2025 (35 h) and transmits (issue 15): records « déclarées », not copied."""
    pk = w.a.placement.pk
    data = {f"p{pk}-hours": "35", f"p{pk}-training_hours": "", f"p{pk}-version": "0", "action": "submit"}
    return logged(w.users["company_a"]).post(f"/entreprise/lots/{w.a.lot.pk}/declaration/2025-05/", data)


def facilitator_validates_declaration(w):
    """The facilitator validates the company's May: the record becomes « validée » and is copied."""
    assert_no_error_or_french_refusal(company_declares(w))
    assert HoursRecord.objects.get(placement=w.a.placement, month=MAY).status == HoursStatus.DECLARED
    response = logged(fac_a(w)).post(
        f"/entreprise/suivi/lot/{w.a.lot.pk}/2025-05/", {"company": w.company.pk, "action": "validate"}
    )
    assert HoursRecord.objects.get(placement=w.a.placement, month=MAY).status == HoursStatus.VALIDATED
    return response


COMPANY_HEADER = (
    "reference_marche;numero_lot;siret_titulaire;identifiant_participant;nom;prenom;mois;heures;heures_formation"
)


def company_upload(w, month=MAY, hours="35"):
    """The company of lot A uploads its spreadsheet for a month (issue 15): the preview, which writes nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = list(HoursRecord.objects.filter(placement=w.a.placement).values("month", "hours", "status"))
    line = f"{w.a.market.reference};{w.a.lot.number};{w.company.siret};{w.a.person.pk};;;{month:%m/%Y};{hours};0"
    file = SimpleUploadedFile("heures.csv", f"{COMPANY_HEADER}\n{line}\n".encode(), content_type="text/csv")
    client = logged(w.users["company_a"])
    response = client.post(f"/entreprise/lots/{w.a.lot.pk}/declaration/{month:%Y-%m}/fichier/", {"file": file})
    assert response.status_code == 200 and "Confirmer" in text_of(response), text_of(response)[:2000]
    assert list(HoursRecord.objects.filter(placement=w.a.placement).values("month", "hours", "status")) == before
    return client, response


def company_upload_confirm(w):
    """The company's spreadsheet changes March 2025, validated and copied: confirmed with « remplacer », the record
    is written back « déclarée » through save_rows, and the summary must drop it."""
    from beneficiaries.imports import REPLACE_VALIDATED

    assert HoursRecord.objects.get(pk=w.a.record.pk).status == HoursStatus.VALIDATED
    client, _preview = company_upload(w, month=MARCH, hours="45")
    response = client.post(
        f"/entreprise/lots/{w.a.lot.pk}/declaration/2025-03/fichier/confirmer/", {"validated": REPLACE_VALIDATED}
    )
    record = HoursRecord.objects.get(pk=w.a.record.pk)
    assert (record.hours, record.status) == (Decimal("45"), HoursStatus.DECLARED), text_of(response)[:2000]
    return response


def facilitator_accepts_proposal(w):
    """The facilitator of lot A accepts the company's pending proposal: a new person and a placement on lot A."""
    from beneficiaries.models import Placement

    before = Placement.objects.filter(lot=w.a.lot).count()
    data = {
        "action": "accept",
        "end_date": "31/12/2025",
        "sex": "F",
        "prescriber_type": "france_travail",
        "criterion": "rsa",
        "validated_on": "01/02/2025",
        "evidence_type": "caf_certificate",
    }
    response = logged(fac_a(w)).post(f"/entreprise/suivi/proposition/{w.a.proposal.pk}/", data)
    assert Placement.objects.filter(lot=w.a.lot).count() == before + 1, text_of(response)[:2000]
    return response


HTML_CASES = {
    "html:organisations:create": html_form(
        lambda w: "/organisations/nouvelle/",
        fac_a,
        lambda w, data: {"name": "Acheteur ajouté", "kind": "buyer", "buyer_type": "state"},
    ),
    "html:organisations:update": html_form(
        lambda w: f"/organisations/{w.buyer_x.pk}/modifier/", superuser, lambda w, data: {"buyer_type": "state"}
    ),
    "html:markets:market_create": html_form(
        lambda w: "/marches/nouveau/",
        fac_a,
        lambda w, data: {
            "reference": "2025-WEB",
            "title": "Marché web",
            "buyer": w.buyer_x.pk,
            "facilitator": w.a.structure.pk,
            "market_type": "works",
            "execution_commune": "21231",
            "notified_on": "01/12/2024",
            **PERIOD,
        },
    ),
    "html:markets:market_update": html_form(
        lambda w: f"/marches/{w.a.market.pk}/modifier/",
        fac_a,
        lambda w, data: {"buyer": w.buyer_y.pk, "execution_commune": "25056", "market_type": "services"},
    ),
    "html:markets:lot_create": html_form(
        lambda w: f"/marches/{w.a.market.pk}/lots/nouveau/",
        fac_a,
        lambda w, data: {
            "lot-number": "2",
            "lot-title": "Lot 2",
            "lot-contractor": w.company.pk,
            **{f"lot-{name}": value for name, value in PERIOD.items()},
            "has_clause": None,
        },
    ),
    "html:markets:lot_update": html_form(
        lambda w: f"/lots/{w.a.lot.pk}/modifier/",
        fac_a,
        lambda w, data: {"lot-contractor": other_company().pk, "clause-mechanism": "award_criterion"},
    ),
    "html:beneficiaries:create": html_form(
        lambda w: "/participants/nouveau/",
        fac_a,
        lambda w, data: {
            "last_name": "Nouvelle",
            "first_name": "Personne",
            "sex": "F",
            "birth_date": "01/01/1990",
            "commune": "21231",
            "prescriber_type": "france_travail",
        },
    ),
    "html:beneficiaries:update": html_form(
        lambda w: f"/participants/{w.a.person.pk}/modifier/", fac_a, lambda w, data: {"sex": "M"}
    ),
    "html:beneficiaries:merge": lambda w: _merge_into_a_new_record(w),
    "html:beneficiaries:criterion_add": lambda w: logged(fac_a(w)).post(
        f"/participants/{w.a.person.pk}/criteres/",
        {"criterion": "rsa", "validated_on": "01/02/2025", "evidence_type": "caf_certificate"},
    ),
    "html:beneficiaries:criterion_delete": lambda w: logged(fac_a(w)).post(
        f"/participants/{w.a.person.pk}/criteres/{w.a.rqth.pk}/retirer/"
    ),
    "html:placements:create": html_form(
        lambda w: "/contrats/nouveau/",
        fac_a,
        lambda w, data: {
            "beneficiary": w.a.person.pk,
            "lot": w.a.lot.pk,
            "employer": w.company.pk,
            "modality": "hire_cdd",
            "start_date": "01/06/2025",
            "end_date": "31/12/2025",
        },
    ),
    "html:placements:update": html_form(
        lambda w: f"/contrats/{w.a.placement.pk}/modifier/", fac_a, lambda w, data: {"modality": "hire_cdi"}
    ),
    "html:hours:grid": grid_save_and_validate,
    "html:companies:declaration": company_declares,
    "html:companies:review": facilitator_validates_declaration,
    "html:companies:upload": lambda w: company_upload(w)[1],
    "html:companies:upload_confirm": company_upload_confirm,
    "html:companies:proposal": facilitator_accepts_proposal,
    "html:imports:confirm": import_confirm,
    "html:imports:upload": import_upload,
    "html:imports:history": lambda w: history_upload(w)[1],  # a preview: written, then rolled back
    "html:imports:history_confirm": history_confirm,
}


# Commands -------------------------------------------------------------------------------------------------------------


def command(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return None


def load_territories(w):
    """Dijon moved to a made-up EPCI (summary rebuilt since): the official file moves it back."""
    from territories.models import Commune

    Commune.objects.filter(pk=w.dijon.pk).update(epci=other_epci())
    summary.rebuild()
    assert PlacementYear.objects.filter(epci="200000001").exists()
    return command("load_territories", region="27")


def import_qpv(w, tmp_path_factory=None):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "qpv.csv"
        path.write_text(f"code_qpv;nom_qpv;codes_insee\n{w.qpv.code};Quartier renommé;21231\nQN02199M;Nouveau;21231\n")
        return command("import_qpv", str(path))


def import_hours(w):
    import tempfile
    from pathlib import Path

    header = "reference_marche;numero_lot;siret_titulaire;nom;prenom;date_naissance;mois;heures;heures_formation"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "releve.csv"
        path.write_text("\r\n".join([header, import_row(w, "03/2025", "45"), import_row(w, "05/2025", "12")]) + "\r\n")
        try:
            return command("import_hours", str(path), structure=w.a.structure.pk)
        except TypeError:  # the option has another name: let the command say what it needs
            return command("import_hours", str(path))


def anonymise_inactive(w):
    with override_settings(CLAUSIER_RETENTION_MONTHS=1):
        return command("anonymise_inactive")


def rebuild_summary(w):
    PlacementYear.objects.update(hours=Decimal("1"))  # a write that bypassed everything
    return command("rebuild_summary")


COMMAND_CASES = {
    "command:load_territories": load_territories,
    "command:import_qpv": import_qpv,
    "command:import_hours": import_hours,
    "command:anonymise_inactive": anonymise_inactive,
    "command:rebuild_summary": rebuild_summary,
}


# Services -------------------------------------------------------------------------------------------------------------


def _entry(w, month, hours, record=None):
    return services.HoursEntry(
        placement=w.a.placement, month=month, hours=Decimal(hours), expected_version=record.version if record else 0
    )


def start_placement(w):
    services.start_placement(
        beneficiary=w.b.person,
        lot=w.a.lot,
        employer=w.company,
        modality="hire_cdd",
        start_date=date(2025, 6, 1),
        end_date=date(2025, 12, 31),
    )


def update_placement(w):
    services.update_placement(placement=w.a.placement, user=fac_a(w), modality="hire_cdi")


def add_criterion(w):
    services.add_criterion(
        beneficiary=w.a.person,
        criterion="rsa",
        validated_on=date(2025, 2, 1),
        validated_by=fac_a(w),
        evidence_type="caf_certificate",
    )


def declare_hours(w):
    services.declare_hours(entry=_entry(w, MARCH, "45", w.a.record), user=fac_a(w))


def declare_month(w):
    services.declare_month(entries=[_entry(w, MARCH, "45", w.a.record), _entry(w, MAY, "12")], user=fac_a(w))


def validate_hours(w):
    services.validate_hours(records=[w.a.declared], versions={w.a.declared.pk: w.a.declared.version}, user=fac_a(w))


def reject_hours(w):
    record = HoursRecord.objects.get(pk=w.a.declared.pk)
    services.reject_hours(records=[record], versions={record.pk: record.version}, user=fac_a(w), reason="Doublon")


def save_clause(w):
    from clauses import services as clause_services

    clause_services.save_clause(
        lot=w.a.lot, mechanism="award_criterion", counts_training_hours=not w.a.clause.counts_training_hours
    )


def update_organisation(w):
    from organisations import services as organisation_services

    organisation_services.update_organisation(organisation=w.buyer_x, user=superuser(w), buyer_type="state")


def _fields_of(instance, names) -> dict:
    """The values a factory built for `names` (foreign keys as objects): the arguments of a create_* service."""
    return {name: getattr(instance, name) for name in names if getattr(instance, name) is not None}


def create_beneficiary(w):
    services.create_beneficiary(
        structure=w.a.person.structure,
        user=fac_a(w),
        last_name="Nouvelle",
        first_name="Personne",
        birth_date=date(1990, 1, 1),
        sex="F",
        commune=w.dijon,
        qpv=w.qpv,
        prescriber_type=w.a.person.prescriber_type,
    )


def create_beneficiaries(w):
    services.create_beneficiaries(
        structure=w.a.person.structure,
        user=fac_a(w),
        rows=[
            {
                "last_name": "Nouvelle",
                "first_name": "Personne",
                "birth_date": date(1990, 1, 1),
                "sex": "F",
                "commune": w.dijon,
                "qpv": w.qpv,
                "prescriber_type": w.a.person.prescriber_type,
            }
        ],
    )


def add_criteria(w):
    services.add_criteria(
        rows=[
            {
                "beneficiary": w.a.person,
                "criterion": "rsa",
                "validated_on": date(2025, 2, 1),
                "validated_by": fac_a(w),
                "evidence_type": "caf_certificate",
            }
        ]
    )


def start_placements(w):
    services.start_placements(
        rows=[
            {
                "beneficiary": w.b.person,
                "lot": w.a.lot,
                "employer": w.company,
                "modality": "hire_cdd",
                "start_date": date(2025, 6, 1),
                "end_date": date(2025, 12, 31),
            }
        ],
        user=fac_a(w),
    )


def update_beneficiary(w):
    # Placements keep the publics frozen at their start: leaving the QPV moves nothing the summary copies.
    services.update_beneficiary(beneficiary=w.a.person, user=fac_a(w), qpv=None, address="3 rue Neuve")


def remove_criterion(w):
    services.remove_criterion(criterion=w.a.person.criteria.order_by("pk").first(), user=fac_a(w))


def remove_clause(w):
    from clauses import services as clause_services

    clause_services.remove_clause(clause=w.a.clause)
    assert not PlacementYear.objects.filter(placement__lot=w.a.lot).exists()  # hours count only under a clause


def create_operation(w):
    from markets import services as market_services

    market_services.create_operation(name="Nouvelle opération", kind="other", facilitator=w.a.market.facilitator)


def update_operation(w):
    from markets import services as market_services

    market_services.update_operation(operation=w.a.market.operation, name="Opération renommée")


def delete_operation(w):
    from markets import services as market_services

    market_services.delete_operation(operation=w.a.market.operation)


def create_market(w):
    from markets import services as market_services
    from markets.services import MARKET_FIELDS
    from tests.markets.factories import MarketFactory

    built = MarketFactory.build(buyer=w.buyer_y, facilitator=w.a.market.facilitator, reference="2026-nouveau")
    market_services.create_market(**_fields_of(built, MARKET_FIELDS - {"operation"}))


def update_market(w):
    from markets import services as market_services

    market_services.update_market(market=w.a.market, buyer=w.buyer_y)  # the summary copies the buyer and its type


def delete_market(w):
    from markets import services as market_services

    try:
        market_services.delete_market(market=w.a.market)
    except ValidationError as error:  # its lot has placements: refused on the field
        assert "lots" in error.message_dict
    else:
        raise AssertionError("un marché dont un lot a des contrats a été supprimé")


def create_lot(w):
    from markets import services as market_services
    from markets.services import LOT_FIELDS
    from tests.markets.factories import LotFactory

    built = LotFactory.build(market=w.a.market, number=7, contractor=w.company, trade=w.a.lot.trade)
    market_services.create_lot(market=w.a.market, **_fields_of(built, LOT_FIELDS))


def update_lot(w):
    from markets import services as market_services

    market_services.update_lot(lot=w.a.lot, contractor=CompanyFactory(name="Nouveau titulaire"))


def delete_lot(w):
    from markets import services as market_services

    try:
        market_services.delete_lot(lot=w.a.lot)
    except ValidationError as error:
        assert "lot" in error.message_dict
    else:
        raise AssertionError("un lot qui a des contrats a été supprimé")


def create_organisation(w):
    from organisations import services as organisation_services

    organisation_services.create_organisation(
        user=superuser(w), name="Nouvel acheteur", kind="buyer", buyer_type="state"
    )


def delete_organisation(w):
    from organisations import services as organisation_services

    try:
        organisation_services.delete_organisation(organisation=w.buyer_x)
    except ValidationError:  # it buys a market: refused
        pass
    else:
        raise AssertionError("un acheteur de marché a été supprimé")


def correct_commune(w):
    from territories import services as territory_services

    territory_services.correct_commune(commune=w.dijon, epci=other_epci())


def correct_department(w):
    from territories import services as territory_services

    territory_services.correct_department(department=w.dijon.department, region=w.other_region)


def reference_data_changed(w):
    from territories import services as territory_services
    from territories.models import Commune

    Commune.objects.filter(pk=w.dijon.pk).update(epci=other_epci())  # as a loader's bulk write does
    territory_services.reference_data_changed()


SERVICE_CASES = {
    "service:beneficiaries.services.start_placement": start_placement,
    "service:beneficiaries.services.update_placement": update_placement,
    "service:beneficiaries.services.add_criterion": add_criterion,
    "service:beneficiaries.services.declare_hours": declare_hours,
    "service:beneficiaries.services.declare_month": declare_month,
    "service:beneficiaries.services.validate_hours": validate_hours,
    "service:beneficiaries.services.reject_hours": reject_hours,
    "service:clauses.services.save_clause": save_clause,
    "service:organisations.services.update_organisation": update_organisation,
    "service:beneficiaries.services.create_beneficiary": create_beneficiary,
    "service:beneficiaries.services.create_beneficiaries": create_beneficiaries,
    "service:beneficiaries.services.add_criteria": add_criteria,
    "service:beneficiaries.services.start_placements": start_placements,
    "service:beneficiaries.services.update_beneficiary": update_beneficiary,
    "service:beneficiaries.services.remove_criterion": remove_criterion,
    "service:clauses.services.remove_clause": remove_clause,
    "service:markets.services.create_operation": create_operation,
    "service:markets.services.update_operation": update_operation,
    "service:markets.services.delete_operation": delete_operation,
    "service:markets.services.create_market": create_market,
    "service:markets.services.update_market": update_market,
    "service:markets.services.delete_market": delete_market,
    "service:markets.services.create_lot": create_lot,
    "service:markets.services.update_lot": update_lot,
    "service:markets.services.delete_lot": delete_lot,
    "service:organisations.services.create_organisation": create_organisation,
    "service:organisations.services.delete_organisation": delete_organisation,
    "service:territories.services.correct_commune": correct_commune,
    "service:territories.services.correct_department": correct_department,
    "service:territories.services.reference_data_changed": reference_data_changed,
}

CASES = {**admin_cases(), **API_CASES, **HTML_CASES, **COMMAND_CASES, **SERVICE_CASES}


# The admin's French refusals: form errors, protected objects, a deletion it may not make.
ADMIN_REFUSALS = ("errornote", "errorlist", "protégés", "Impossible de supprimer")

# Tests ----------------------------------------------------------------------------------------------------------------


def test_every_write_route_has_a_summary_case():
    found = write_routes()
    missing = sorted(found - set(CASES) - set(NOT_SUMMARY_WRITERS))
    assert not missing, f"Routes d'écriture sans cas de synthèse ni raison : {missing}"
    stale = sorted((set(CASES) | set(NOT_SUMMARY_WRITERS)) - found)
    assert not stale, f"Cas ou raisons pour des routes qui n'existent plus : {stale}"
    both = sorted(set(CASES) & set(NOT_SUMMARY_WRITERS))
    assert not both, f"Routes à la fois testées et écartées : {both}"
    per_kind: dict[str, int] = {}
    for route in found & set(CASES):
        kind = route.split(":")[0]
        per_kind[kind] = per_kind.get(kind, 0) + 1
    print(f"\nIntégrité de la synthèse : {len(found)} routes d'écriture, {len(CASES)} cas ({per_kind}).")


def test_every_summary_source_is_an_admin_model_or_a_known_absence():
    """Each source of the summary is known to the admin (its routes are then enumerated), and each admin model
    that is not a source says why (NOT_SUMMARY_WRITERS)."""
    labels = set(routes.admin_models())
    sources_in_admin = routes.SUMMARY_SOURCES & labels
    assert sources_in_admin == routes.SUMMARY_SOURCES, routes.SUMMARY_SOURCES - labels
    for source in summary.SOURCE_MODELS:
        assert source.lower() in routes.SUMMARY_SOURCES, source


@pytest.mark.parametrize("route", sorted(CASES))
def test_the_summary_follows_the_write(world, route):
    before = list(PlacementYear.objects.order_by("placement_id", "year").values())
    response = CASES[route](world)
    assert_no_error_or_french_refusal(response)
    if route.startswith("admin:") and response.status_code == 200:
        # The admin answers a refused POST with the page again: its French reason must be on it.
        text = text_of(response)
        assert any(sign in text for sign in ADMIN_REFUSALS), (route, text[:1500])
    assert summary.differences() == [], route
    # Not asserted (a refusal leaves it unchanged): whether the copied values moved, for the report.
    moved = before != list(PlacementYear.objects.order_by("placement_id", "year").values())
    status = getattr(response, "status_code", "-")
    print(f"\n{route}: {'synthèse modifiée' if moved else 'synthèse inchangée'} (réponse {status})")


def test_a_new_admin_model_or_action_without_a_case_is_found(monkeypatch):
    """The enumeration itself: an admin action added to a source's admin, or a newly registered model, shows up as
    a route that has no case (so test_every_write_route_has_a_summary_case would fail)."""
    from django.contrib import admin

    from clauses.models import Clause as ClauseModel

    def remove_clauses(modeladmin, request, queryset):
        queryset.delete()

    clause_admin = admin.site._registry[ClauseModel]
    monkeypatch.setattr(clause_admin, "actions", [remove_clauses])
    # In place: `admin.site` is a lazy object, whose attributes monkeypatch would delete on undo.
    monkeypatch.setitem(admin.site._registry, PlacementYear, admin.ModelAdmin(PlacementYear, admin.site))
    missing = write_routes() - set(CASES) - set(NOT_SUMMARY_WRITERS)
    assert missing == {"admin:clauses.clause:action:remove_clauses", "admin-model:reporting.placementyear"}
