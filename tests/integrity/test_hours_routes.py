"""Issue 12, item 4, for the hours history and the `version` counter: every route that writes an hours record
(the URL routes found by tests/security/test_hours_versions.py's inspection, the admin routes of hours records,
the management commands and services whose code reaches an hours writer) makes a real write with the version its
author saw; each record it changes gets `version + 1` and exactly one history row (audit.HoursChange), a new
record starts at version 1 with one row, and a record it leaves alone keeps both. The admin (today read-only for
hours) may only write through the same rules: its cases post 150 h + 80 h of training, which nobody may store.

The stale-version refusals are proven in tests/security/test_hours_versions.py; this module does not repeat them.
"""

from __future__ import annotations

import inspect

import pytest
from django.core.management import get_commands, load_command_class
from django.db.models import F

from audit.models import HoursChange
from beneficiaries import services
from beneficiaries.models import HoursRecord
from tests.integrity import routes
from tests.integrity.helpers import assert_no_error_or_french_refusal
from tests.integrity.test_summary_routes import CASES, world  # noqa: F401 (fixture)
from tests.security.test_hours_versions import WRITERS, routes_writing_hours, writers_reached

pytestmark = pytest.mark.django_db

# URL names (tests/security/test_hours_versions.py) → the write cases of tests/integrity/test_summary_routes.py.
URL_CASES = {
    "hours:grid": ["html:hours:grid"],
    "imports:confirm": ["html:imports:confirm"],
    "imports:upload": ["html:imports:upload"],  # a preview: writes nothing, so no version moves
    "imports:history": ["html:imports:history"],  # the history import's preview: rolled back
    "imports:history_confirm": ["html:imports:history_confirm"],
    "api:hoursrecord-list": ["api:hoursrecord:create"],
    "api:hoursrecord-detail": ["api:hoursrecord:update", "api:hoursrecord:partial_update"],
    "api:hoursrecord-validate-record": ["api:hoursrecord:validate-record"],
    "api:hoursrecord-reject-record": ["api:hoursrecord:reject-record"],
}


def hours_admin_routes() -> set[str]:
    return {
        route for route in routes.summary_admin_routes() if routes.model_of_route(route) == "beneficiaries.hoursrecord"
    }


def hours_commands() -> set[str]:
    found = set()
    for name, app in get_commands().items():
        if app.split(".")[0] in routes.PROJECT_APPS and writers_reached(type(load_command_class(app, name))):
            found.add(f"command:{name}")
    return found


def hours_services() -> set[str]:
    found = set()
    for route in routes.service_routes():
        module, _, function = route.removeprefix("service:").rpartition(".")
        target = getattr(__import__(module, fromlist=[function]), function)
        if function in WRITERS or (writers_reached(target) and not function.startswith("check_")):
            found.add(route)
    return found


def hours_routes() -> dict[str, list[str]]:
    """Every hours-writing route, with the cases that exercise it."""
    found = {f"url:{name}": URL_CASES.get(name, []) for name in routes_writing_hours()}
    found |= {route: [route] for route in hours_admin_routes() | hours_commands() | hours_services()}
    return found


def test_every_route_writing_hours_has_a_history_case():
    found = hours_routes()
    missing = sorted(route for route, cases in found.items() if not cases or not set(cases) <= set(CASES))
    assert not missing, f"Routes qui écrivent des heures sans cas d'historique : {missing}"
    stale = sorted(f"url:{name}" for name in URL_CASES if f"url:{name}" not in found)
    assert not stale, f"Cas pour des routes qui n'écrivent plus d'heures : {stale}"
    cases = sorted({case for cases in found.values() for case in cases})
    print(f"\nHistorique des heures : {len(found)} routes qui écrivent des heures, {len(cases)} cas.")


def test_the_enumeration_sees_the_known_hours_writers():
    found = hours_routes()
    assert "command:import_hours" in found
    assert {"service:beneficiaries.services.declare_hours", "service:beneficiaries.services.validate_hours"} <= set(
        found
    )
    assert "admin:beneficiaries.hoursrecord:change" in found
    assert "admin:beneficiaries.placement:inline:beneficiaries.hoursrecord:edit" in found
    assert "command:rebuild_summary" not in found
    assert not inspect.isclass(services.declare_hours)


def snapshot():
    records = {
        pk: (placement, month, hours, training, status, reason, version)
        for pk, placement, month, hours, training, status, reason, version in HoursRecord.objects.values_list(
            "pk", "placement_id", "month", "hours", "training_hours", "status", "rejection_reason", "version"
        )
    }
    history = {}
    for record_id in HoursChange.objects.values_list("record_id", flat=True):
        history[record_id] = history.get(record_id, 0) + 1
    return records, history


def check_history(before, after) -> list[str]:
    """Each changed record: version + 1 and one more history row; each new record: version 1 and one row; each
    untouched record: same version, same rows. A route that writes a record twice through the services (the
    history import declares then validates: issue 20) bumps it once per write, each with its row."""
    (records_before, history_before), (records_after, history_after) = before, after
    problems = []
    for pk, values in records_after.items():
        rows = history_after.get(pk, 0) - history_before.get(pk, 0)
        if pk not in records_before:
            if values[-1] < 1 or rows != values[-1]:
                problems.append(f"relevé {pk} créé : version {values[-1]}, {rows} ligne(s) d'historique")
            continue
        old = records_before[pk]
        if values[:-1] != old[:-1]:
            if values[-1] <= old[-1] or rows != values[-1] - old[-1]:
                problems.append(f"relevé {pk} modifié : version {old[-1]} → {values[-1]}, {rows} ligne(s) d'historique")
        elif values[-1] != old[-1] or rows:
            problems.append(f"relevé {pk} inchangé : version {old[-1]} → {values[-1]}, {rows} ligne(s) d'historique")
    gone = sorted(set(records_before) - set(records_after))
    if gone:
        problems.append(f"relevés supprimés sans trace : {gone}")
    return problems


HOURS_CASES = sorted({case for cases in hours_routes().values() for case in cases} & set(CASES))


@pytest.mark.parametrize("case", HOURS_CASES)
def test_each_hours_write_bumps_the_version_and_writes_one_history_row(world, case):  # noqa: F811
    before = snapshot()
    response = CASES[case](world)
    assert_no_error_or_french_refusal(response)
    after = snapshot()
    assert check_history(before, after) == [], case
    changed = sum(1 for pk, values in after[0].items() if before[0].get(pk) != values)
    print(f"\n{case}: {changed} relevé(s) écrit(s)")
    # The admin's cases post 150 h + 80 h of training: above the 220 h ceiling, whoever writes it.
    over = HoursRecord.objects.filter(hours__gt=220 - F("training_hours"))
    assert not over.exists(), f"{case}: relevé au-delà du plafond de 220 h"


def test_the_check_sees_a_write_that_skips_the_history(world):  # noqa: F811
    """The check itself: a save() that bypasses the services (no version, no history) is caught."""
    before = snapshot()
    record = HoursRecord.objects.get(pk=world.a.record.pk)
    record.hours = 150
    record.save()
    assert check_history(before, snapshot()) != []
