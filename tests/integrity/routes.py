"""Enumeration of every write route of the project, from the registries themselves (never from a hand-kept list):
the Django admin (admin.site._registry: add, change, delete, every action, every inline of a summary source),
the API router (create, update, partial update, destroy and extra actions of each viewset), the URL resolver (every
HTML view that accepts a POST, reusing the access matrix's walk and expectations), the management commands of the
project's apps, and the public functions of the project's `services.py` modules.

A route is a string: `admin:<app.model>:add|change|delete|action:<name>|inline:<app.model>:change|delete|edit`,
`api:<basename>:<action>`, `html:<url name>`, `command:<name>`, `service:<module>.<function>`.
"""

from __future__ import annotations

import importlib
import inspect

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import get_commands
from django.test import RequestFactory

PROJECT_APPS = (
    "territories",
    "organisations",
    "markets",
    "clauses",
    "beneficiaries",
    "companies",
    "reporting",
    "audit",
    "api",
    "demo",
    "config",
)

# Models the reporting summary (reporting.models.PlacementYear, reporting.summary.COPIED_COLUMNS) copies data or
# identifiers from: the sources of reporting.summary.SOURCE_MODELS, plus the models whose identifiers it copies
# (EPCI and region through the commune and département, the QPV at the start, the person).
SUMMARY_SOURCES = frozenset(
    {
        "beneficiaries.hoursrecord",
        "beneficiaries.placement",
        "beneficiaries.beneficiary",
        "markets.lot",
        "markets.market",
        "clauses.clause",
        "organisations.organisation",
        "territories.commune",
        "territories.department",
        "territories.epci",
        "territories.region",
        "territories.qpv",
    }
)


def _superuser_request():
    from organisations.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def admin_models() -> dict[str, admin.ModelAdmin]:
    return {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}


def admin_routes() -> dict[str, set[str]]:
    """Per registered model: its write routes (all registered models, summary source or not)."""
    request = _superuser_request()
    routes: dict[str, set[str]] = {}
    for label, model_admin in admin_models().items():
        found = {f"admin:{label}:add", f"admin:{label}:change", f"admin:{label}:delete"}
        found |= {f"admin:{label}:action:{name}" for name in model_admin.get_actions(request)}
        if model_admin.list_editable:
            found.add(f"admin:{label}:changelist_edit")
        for inline in model_admin.inlines:
            child = inline.model._meta.label_lower
            found |= {f"admin:{label}:inline:{child}:edit", f"admin:{label}:inline:{child}:delete"}
        routes[label] = found
    return routes


def summary_admin_routes() -> set[str]:
    """The admin routes that may write a summary source: every route of a source's admin (its inlines of other
    models excepted), and every inline of a source, in whichever model's admin."""
    found = set()
    for label, routes in admin_routes().items():
        for route in routes:
            parts = route.split(":")
            target = parts[3] if parts[2] == "inline" else label
            if target in SUMMARY_SOURCES:
                found.add(route)
    return found


def api_routes() -> set[str]:
    """`api:<basename>:<action>` for every write action of every viewset of the API router."""
    from api.urls import router

    found = set()
    for _prefix, viewset, basename in router.registry:
        for action in ("create", "update", "partial_update", "destroy"):
            if hasattr(viewset, action):
                found.add(f"api:{basename}:{action}")
        for extra in viewset.get_extra_actions():
            if set(extra.mapping) - {"get", "head", "options"}:
                found.add(f"api:{basename}:{extra.url_name}")
    return found


def html_routes() -> set[str]:
    """`html:<name>` for every web URL (not the API, not the admin) that accepts a write, by the access matrix's
    own expectations (which a new URL must have)."""
    from tests.test_access_matrix import NOT_ALLOWED, SPECS, walk

    found = set()
    for route in walk():
        if route.is_admin or route.name.startswith("api:"):
            continue
        _read, write = SPECS[route.key]
        if write is not None and write != NOT_ALLOWED:
            found.add(f"html:{route.name}")
    return found


def command_routes() -> set[str]:
    """`command:<name>` for every management command of the project's apps."""
    return {f"command:{name}" for name, app in get_commands().items() if app.split(".")[0] in PROJECT_APPS}


def service_modules() -> list[str]:
    root = settings.BASE_DIR
    return sorted(f"{app}.services" for app in PROJECT_APPS if (root / app / "services.py").exists())


def service_routes() -> set[str]:
    """`service:<module>.<function>` for every public function defined in a project's services.py."""
    found = set()
    for name in service_modules():
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if attribute.startswith("_") or not inspect.isfunction(value) or value.__module__ != name:
                continue
            found.add(f"service:{name}.{attribute}")
    return found


def model_of_route(route: str) -> str | None:
    """The summary source an admin route writes (None for other kinds)."""
    parts = route.split(":")
    if parts[0] != "admin":
        return None
    return parts[3] if parts[2] == "inline" else parts[1]


def all_models_registered() -> set[str]:
    return {model._meta.label_lower for model in apps.get_models()}
