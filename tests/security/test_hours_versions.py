"""Class guard of issue 11, item 6: every write of an hours record checks the version its author saw, whatever the
route (grid save, grid validation and rejection, import confirmation, API create, update, validate and reject).

Three layers:

1. Structure: the hours-writing services cannot be called without a version (`HoursEntry.expected_version`,
   the `versions` of validate_hours/reject_hours are required); only the system writers listed in
   UNCHECKED_ALLOWED may pass `services.UNCHECKED`, and a new module that does fails here.
2. Enumeration: every URL pattern of the project (URL resolver, API router with its actions) whose view code
   reaches an hours writer is found by inspecting the code it can call (`writers_reached`); each must have
   stale-version scenarios below (or be a preview that writes nothing), so a new route is covered by default.
3. Proof: for each route, a scenario where the author's version is stale (a colleague changed, created,
   validated or rejected the record in between) is refused, with a French message, and nothing is written.
"""

import ast
import inspect
import io
import types
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import HoursChange
from beneficiaries import services
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from tests.api.conftest import build_world

pytestmark = pytest.mark.django_db

WRITERS = frozenset({"declare_month", "declare_hours", "validate_hours", "reject_hours", "_declare", "_review"})
PROJECT_PACKAGES = ("api", "audit", "beneficiaries", "clauses", "config", "markets", "organisations", "reporting")
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)
V1 = "/api/v1"
CONFLICT = "modifié par quelqu'un d'autre entre-temps"
REVIEW_CONFLICT = "depuis que vous l'avez affiché"

# Who may write without naming a version, and why: nobody was shown anything before the write.
UNCHECKED_ALLOWED = {
    ("beneficiaries/imports.py", "process"): "l'aperçu et la ligne de commande ne passent pas de version",
    ("beneficiaries/imports.py", "import_file"): "lecture et import d'un seul tenant, sans aperçu montré",
    ("beneficiaries/import_views.py", "upload"): "aperçu : la déclaration est annulée, rien n'est écrit",
    ("beneficiaries/management/commands/import_hours.py", "handle"): "commande : vérifie et écrit d'un seul tenant",
}
# Routes that reach a writer without ever keeping a write.
WRITES_NOTHING = {
    "imports:upload": "aperçu de l'import : la déclaration est annulée (test_import_preview_writes_nothing)",
    "imports:history": "aperçu de l'import d'historique : tout est annulé (test_history_import.py)",
}


# 1. Structure -------------------------------------------------------------------------------------------------------


def test_the_hours_services_cannot_be_called_without_a_version():
    placement = object()
    with pytest.raises(TypeError):
        services.HoursEntry(placement=placement, month=MARCH, hours=Decimal("1"))
    for wrong in (None, -1, "3", True):
        with pytest.raises(TypeError):
            services.HoursEntry(placement=placement, month=MARCH, hours=Decimal("1"), expected_version=wrong)
    assert services.HoursEntry(placement=placement, month=MARCH, hours=Decimal("1"), expected_version=0)
    for writer in (services.validate_hours, services.reject_hours):
        assert inspect.signature(writer).parameters["versions"].default is inspect.Parameter.empty


def test_validate_hours_needs_the_version_of_every_record(world):
    with pytest.raises(TypeError):
        services.validate_hours(records=[world.record], versions={}, user=world.owner)
    with pytest.raises(TypeError):
        services.validate_hours(records=[world.record], versions={world.record.pk: None}, user=world.owner)
    assert HoursRecord.objects.get(pk=world.record.pk).status == HoursStatus.DECLARED


def _project_sources():
    root = Path(settings.BASE_DIR)
    for package in (*PROJECT_PACKAGES, "demo", "bench"):
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")


def test_only_the_listed_system_writers_skip_the_version_check():
    """`UNCHECKED` outside beneficiaries/services.py only where listed: a new caller must name a version."""
    found = set()
    for relative, source in _project_sources():
        if relative == "beneficiaries/services.py":
            continue
        tree = ast.parse(source)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
                if name == "UNCHECKED":
                    found.add((relative, function.name))
    assert found == set(UNCHECKED_ALLOWED), f"Écritures d'heures sans contrôle de version non listées : {found}"


# 2. Enumeration of the routes that write hours ----------------------------------------------------------------------


def _is_project(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] in PROJECT_PACKAGES


def writers_reached(*entries) -> set[str]:
    """The hours writers (WRITERS) that the code of `entries` (functions, classes) may call, directly or through
    any project function, method or class it names: an over-approximation by the names each code object uses,
    resolved in its module (functions, classes, modules' attributes) and on its class (`self.method`)."""
    found: set[str] = set()
    seen: set[int] = set()

    def visit_code(code, module_globals, owner):
        if id(code) in seen:
            return
        seen.add(id(code))
        names = set(code.co_names)
        found.update(names & WRITERS)
        for name in names:
            target = module_globals.get(name)
            candidates = [target]
            if isinstance(target, types.ModuleType):
                candidates += [getattr(target, attribute, None) for attribute in names]
            if owner is not None:
                candidates.append(getattr(owner, name, None))
            for candidate in candidates:
                visit(candidate)
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                visit_code(constant, module_globals, owner)

    def visit(obj, owner=None):
        if obj is None or (not _is_project(obj) and not isinstance(obj, property)):
            return
        if isinstance(obj, property):
            obj = obj.fget
        if isinstance(obj, staticmethod | classmethod):
            obj = obj.__func__
        obj = inspect.unwrap(obj) if callable(obj) else obj
        if inspect.isclass(obj):
            if id(obj) in seen:
                return
            seen.add(id(obj))
            for klass in obj.__mro__:
                if _is_project(klass):
                    for value in vars(klass).values():
                        visit(value, owner=obj)
            for attribute in ("serializer_class", "filterset_class", "form_class"):
                visit(getattr(obj, attribute, None))
        elif inspect.isfunction(obj) or inspect.ismethod(obj):
            function = getattr(obj, "__func__", obj)
            visit_code(function.__code__, function.__globals__, owner)

    for entry in entries:
        visit(entry)
    return found


def _patterns(patterns=None, namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}", entry.callback


def _view_entries(callback) -> list:
    """What a request to this URL pattern may run, for its write methods: a function view, a class view, or the
    handlers of a DRF viewset's write methods (and its serializer)."""
    cls = getattr(callback, "cls", None)
    actions = getattr(callback, "actions", None)
    if cls is not None and actions:
        handlers = [getattr(cls, handler) for method, handler in actions.items() if method != "get"]
        return [*handlers, cls.serializer_class] if handlers else []
    if cls is not None:  # an APIView
        return [cls]
    view_class = getattr(callback, "view_class", None)
    return [view_class] if view_class is not None else [inspect.unwrap(callback)]


def routes_writing_hours() -> dict[str, set[str]]:
    routes = {}
    for name, callback in _patterns():
        if name.startswith("admin:"):
            continue  # the Django admin shows hours records read-only (test_admin_cannot_write_hours)
        reached = writers_reached(*_view_entries(callback))
        if reached:
            routes[name] = reached
    return routes


def test_the_enumeration_finds_the_known_writers():
    """The inspection itself: it sees through a module attribute (imports.process), a method on self
    (serializer._declare) and a class view's methods, and leaves a read-only view alone."""
    from api.hours import HoursRecordSerializer
    from beneficiaries import import_views, views_hours, views_placements

    assert "declare_month" in writers_reached(import_views.confirm)
    assert "declare_hours" in writers_reached(HoursRecordSerializer)
    assert {"declare_month", "validate_hours", "reject_hours"} <= writers_reached(views_hours.hours_grid)
    assert writers_reached(views_placements.placement_detail) == set()


def test_every_route_writing_hours_has_its_stale_version_proof():
    routes = routes_writing_hours()
    covered = set(SCENARIOS_BY_ROUTE) | set(WRITES_NOTHING)
    missing = sorted(set(routes) - covered)
    assert not missing, f"Routes qui écrivent des heures sans preuve de contrôle de version : {missing}"
    stale = sorted(covered - set(routes))
    assert not stale, f"Routes listées qui n'écrivent plus d'heures : {stale}"
    print(f"\nVersions des heures : {len(routes)} routes qui écrivent des heures, {len(SCENARIOS)} scénarios périmés.")


# 3. Proof, route by route -------------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return build_world()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state():
    """Everything a write of hours changes: the records (values, status, version) and their history."""
    records = sorted(
        HoursRecord.objects.values_list(
            "pk", "placement_id", "month", "hours", "training_hours", "status", "version", "rejection_reason"
        )
    )
    return records, HoursChange.objects.count()


def colleague_declares(world, month, hours):
    """A colleague saves the month through the grid's service, knowing the current version."""
    record = HoursRecord.objects.filter(placement=world.placement, month=month).first()
    services.declare_hours(
        entry=services.HoursEntry(
            placement=world.placement,
            month=month,
            hours=Decimal(hours),
            expected_version=record.version if record else 0,
        ),
        user=world.admin,
    )


def grid_form(client, month="2025-03") -> dict:
    from html.parser import HTMLParser

    data = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "search"):
                data[attrs["name"]] = attrs.get("value") or ""
            if tag == "input" and attrs.get("type") == "checkbox" and attrs.get("name") == "review":
                data.setdefault("_checkboxes", []).append(attrs["value"])

    response = client.get(f"/heures/?month={month}")
    assert response.status_code == 200
    Inputs().feed(response.text)
    return data


def grid_save(world):
    owner = client_of(world.owner)
    page = grid_form(owner)
    colleague_declares(world, MARCH, "80")
    page.update({f"p{world.placement.pk}-hours": "45", "action": "save"})
    return lambda: owner.post("/heures/?month=2025-03", page), CONFLICT


def grid_no_activity(world):
    owner = client_of(world.owner)
    page = grid_form(owner, "2025-04")  # no record in April: the page shows version 0
    colleague_declares(world, APRIL, "35")
    page["action"] = f"none:{world.placement.pk}"
    return lambda: owner.post("/heures/?month=2025-04", page), CONFLICT


def grid_reject_after_validation(world):
    owner = client_of(world.owner)
    ticked = grid_form(owner)["_checkboxes"]  # declared, shown with its version
    services.validate_hours(records=[world.record], versions={world.record.pk: world.record.version}, user=world.admin)
    data = {"action": "reject", "review": ticked, "reject_reason": "Feuille non signée"}
    return lambda: owner.post("/heures/?month=2025-03", data), REVIEW_CONFLICT


def grid_review(action):
    def scenario(world):
        owner = client_of(world.owner)
        ticked = grid_form(owner)["_checkboxes"]  # 100 h shown
        colleague_declares(world, MARCH, "219")
        data = {"action": action, "review": ticked, "reject_reason": "Feuille non signée"}
        return lambda: owner.post("/heures/?month=2025-03", data), REVIEW_CONFLICT

    scenario.__name__ = f"grid_{action}"
    return scenario


def upload(client, rows):
    header = "reference_marche;numero_lot;siret_titulaire;nom;prenom;date_naissance;mois;heures;heures_formation"
    file = io.BytesIO(("\r\n".join([header, *rows]) + "\r\n").encode())
    file.name = "releve.csv"
    response = client.post("/imports/heures/", {"file": file})
    assert response.status_code == 200 and "Confirmer" in response.text, response.text[:2000]
    return response


def import_row(world, month, hours):
    return f"2025-DIJ-01;1;{world.company.siret};Dupont;Marie;01/02/1990;{month};{hours};0"


def import_create(world):
    owner = client_of(world.owner)
    preview = upload(owner, [import_row(world, "04/2025", "12")])
    assert "nouveau" in preview.text
    colleague_declares(world, APRIL, "35")
    return lambda: owner.post("/imports/heures/confirmer/"), CONFLICT


def import_update(world):
    owner = client_of(world.owner)
    preview = upload(owner, [import_row(world, "03/2025", "12")])
    assert "100 → 12" in preview.text
    colleague_declares(world, MARCH, "80")
    return lambda: owner.post("/imports/heures/confirmer/"), CONFLICT


def history_update(world):
    """The history import (issue 20): the preview shows March 100 → 12, a colleague saves 80, then confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries.history_fixture import of_placement, to_csv_files
    from organisations.models import Organisation

    Organisation.objects.filter(pk=world.buyer.pk).update(siret="21210231300013")  # found by its SIRET
    world.placement.lot.market.buyer.siret = "21210231300013"
    admin = client_of(world.admin)
    files = [
        SimpleUploadedFile(name, data)
        for name, data in to_csv_files(of_placement(world.placement, [(MARCH, "12", "déclaré")]))
    ]
    preview = admin.post("/imports/historique/", {"files": files})
    assert "100 → 12" in preview.text, preview.text[:3000]
    colleague_declares(world, MARCH, "80")
    return lambda: admin.post("/imports/historique/confirmer/"), CONFLICT


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def api_create(world):
    client = api_client(world.owner)
    assert client.get(f"{V1}/hours/?month_from=2025-04-01&month_to=2025-04-01").json()["results"] == []
    colleague_declares(world, APRIL, "35")
    body = {"placement": world.placement.pk, "month": "2025-04-01", "hours": "12"}
    return lambda: client.post(f"{V1}/hours/", body, format="json"), CONFLICT


def api_update(method, body):
    def scenario(world):
        client = api_client(world.owner)
        seen = client.get(f"{V1}/hours/{world.record.pk}/").json()
        colleague_declares(world, MARCH, "80")
        data = {**body(world), "version": seen["version"]}
        return lambda: getattr(client, method)(f"{V1}/hours/{world.record.pk}/", data, format="json"), CONFLICT

    scenario.__name__ = f"api_{method}"
    return scenario


def api_review(action):
    def scenario(world):
        client = api_client(world.owner)
        seen = client.get(f"{V1}/hours/{world.record.pk}/").json()
        colleague_declares(world, MARCH, "219")
        data = {"version": seen["version"], "reason": "Feuille non signée"}
        return lambda: client.post(f"{V1}/hours/{world.record.pk}/{action}/", data, format="json"), REVIEW_CONFLICT

    scenario.__name__ = f"api_{action}"
    return scenario


SCENARIOS_BY_ROUTE = {
    "hours:grid": [
        grid_save,
        grid_no_activity,
        grid_review("validate"),
        grid_review("reject"),
        grid_reject_after_validation,
    ],
    "imports:confirm": [import_create, import_update],
    "imports:history_confirm": [history_update],
    "api:hoursrecord-list": [api_create],
    "api:hoursrecord-detail": [
        api_update("patch", lambda world: {"hours": "45"}),
        # The probe's case: a PUT claiming version 0 over a record that exists.
        api_update("put", lambda world: {"placement": world.placement.pk, "month": "2025-03-01", "hours": "45"}),
    ],
    "api:hoursrecord-validate-record": [api_review("validate")],
    "api:hoursrecord-reject-record": [api_review("reject")],
}
SCENARIOS = [(route, scenario) for route, scenarios in SCENARIOS_BY_ROUTE.items() for scenario in scenarios]


@pytest.mark.parametrize(("route", "scenario"), SCENARIOS, ids=[f"{r}-{s.__name__}" for r, s in SCENARIOS])
def test_a_stale_version_is_refused_and_nothing_is_written(world, route, scenario):
    send, message = scenario(world)
    before = state()
    response = send()
    assert response.status_code in (409, 422), (response.status_code, response.content[:2000])
    text = response.content.decode().replace("&#x27;", "'")
    assert message in text
    assert state() == before


def test_put_with_version_zero_over_a_newer_record_is_a_conflict(world):
    """The probe's PUT: `version: 0` over a record at version 2 overwrote it."""
    colleague_declares(world, MARCH, "80")
    before = state()
    body = {"placement": world.placement.pk, "month": "2025-03-01", "hours": "45", "version": 0}
    response = api_client(world.owner).put(f"{V1}/hours/{world.record.pk}/", body, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": services.CONFLICT_MESSAGE}
    assert state() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "", {"hours": "45"}),
        ("put", "", {"placement": None, "month": "2025-03-01", "hours": "45"}),
        ("post", "validate/", {}),
        ("post", "reject/", {"reason": "Feuille non signée"}),
    ],
)
def test_a_write_without_version_is_a_400_on_the_version_field(world, method, path, body):
    if "placement" in body:
        body = {**body, "placement": world.placement.pk}
    before = state()
    response = getattr(api_client(world.owner), method)(f"{V1}/hours/{world.record.pk}/{path}", body, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    assert state() == before


def test_with_the_version_seen_each_route_writes(world):
    """The same routes write when nobody changed the record in between (the check is not a blanket refusal)."""
    client = api_client(world.owner)
    seen = client.get(f"{V1}/hours/{world.record.pk}/").json()
    response = client.patch(
        f"{V1}/hours/{world.record.pk}/", {"hours": "45", "version": seen["version"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["hours"] == "45.00"
    response = client.post(f"{V1}/hours/{world.record.pk}/validate/", {"version": response.json()["version"]})
    assert response.status_code == 200 and response.json()["status"] == HoursStatus.VALIDATED


def test_validate_then_reject_with_the_same_version_the_second_is_refused(world):
    """Validate and reject of one record "at once" (both with the version read) used to both answer 200."""
    client = api_client(world.owner)
    version = client.get(f"{V1}/hours/{world.record.pk}/").json()["version"]
    assert (
        client.post(f"{V1}/hours/{world.record.pk}/reject/", {"version": version, "reason": "Doublon"}).status_code
        == 200
    )
    response = client.post(f"{V1}/hours/{world.record.pk}/validate/", {"version": version})
    assert response.status_code == 409
    assert HoursRecord.objects.get(pk=world.record.pk).status == HoursStatus.REJECTED


def test_grid_validates_only_the_value_the_validator_saw(world):
    """45 h on screen, 219 h saved by a colleague since: validating the page refuses, the 219 h stay declared."""
    colleague_declares(world, MARCH, "45")
    owner = client_of(world.owner)
    ticked = grid_form(owner)["_checkboxes"]
    colleague_declares(world, MARCH, "219")
    response = owner.post("/heures/?month=2025-03", {"action": "validate", "review": ticked})
    assert response.status_code == 422
    record = HoursRecord.objects.get(pk=world.record.pk)
    assert (record.hours, record.status) == (Decimal("219"), HoursStatus.DECLARED)
    # Reloaded, the page shows 219 h and its checkbox now validates them.
    ticked = grid_form(owner)["_checkboxes"]
    assert owner.post("/heures/?month=2025-03", {"action": "validate", "review": ticked}).status_code == 302
    assert HoursRecord.objects.get(pk=world.record.pk).status == HoursStatus.VALIDATED


def test_grid_page_older_than_a_rejection_cannot_validate(world):
    owner, colleague = client_of(world.owner), client_of(world.admin)
    ticked = grid_form(owner)["_checkboxes"]
    rejected = colleague.post(
        "/heures/?month=2025-03",
        {"action": "reject", "review": grid_form(colleague)["_checkboxes"], "reject_reason": "Doublon"},
    )
    assert rejected.status_code == 302
    response = owner.post("/heures/?month=2025-03", {"action": "validate", "review": ticked})
    assert response.status_code == 422
    assert HoursRecord.objects.get(pk=world.record.pk).status == HoursStatus.REJECTED


def test_grid_post_both_validating_and_rejecting_is_refused_whole(world):
    owner = client_of(world.owner)
    ticked = grid_form(owner)["_checkboxes"]
    before = state()
    data = {"action": ["validate", "reject"], "review": ticked, "reject_reason": "Doublon"}
    response = owner.post("/heures/?month=2025-03", data)
    assert response.status_code == 422
    assert "ne peut pas à la fois valider et rejeter" in response.content.decode().replace("&#x27;", "'")
    assert state() == before


@pytest.mark.parametrize("value", ["abc", "12", "12:x", "12:1:3", ":1"])
def test_grid_unreadable_review_values_are_refused(world, value):
    before = state()
    response = client_of(world.owner).post("/heures/?month=2025-03", {"action": "validate", "review": [value]})
    assert response.status_code == 422
    assert state() == before


def test_import_preview_writes_nothing(world):
    """imports:upload reaches declare_month, in a transaction rolled back: its preview never writes."""
    before = state()
    upload(client_of(world.owner), [import_row(world, "04/2025", "12"), import_row(world, "03/2025", "7")])
    assert state() == before


def test_import_confirmed_without_change_in_between_writes(world):
    owner = client_of(world.owner)
    upload(owner, [import_row(world, "04/2025", "12"), import_row(world, "03/2025", "7")])
    assert owner.post("/imports/heures/confirmer/").status_code == 200
    hours = dict(HoursRecord.objects.filter(placement=world.placement).values_list("month", "hours"))
    assert hours == {MARCH: Decimal("7"), APRIL: Decimal("12")}


def test_admin_cannot_write_hours(admin_client, world):
    """The Django admin shows hours records but never writes them: no version check is possible there."""
    before = state()
    record = world.record
    url = f"/admin/beneficiaries/hoursrecord/{record.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"placement": record.placement_id, "month": "01/03/2025", "hours": "45"})
    assert response.status_code == 403
    assert admin_client.post("/admin/beneficiaries/hoursrecord/add/", {}).status_code == 403
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_validate_and_reject_at_the_same_moment_one_wins_under_the_row_lock(monkeypatch):
    """Two reviewers, two real connections, the same version seen: one is applied, the other is told (on
    PostgreSQL it waits on the row lock, then sees the new version); never both."""
    import threading
    import time

    from django.core.exceptions import ValidationError
    from django.db import OperationalError, connection

    world = build_world()
    record = world.record
    seen = {record.pk: record.version}
    track = services.audit_services.track_hours

    def slow_track(**kwargs):
        time.sleep(0.3)  # the first reviewer holds the lock a moment
        return track(**kwargs)

    monkeypatch.setattr(services.audit_services, "track_hours", slow_track)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def review(action, user):
        try:
            start.wait(timeout=10)
            if action == "validate":
                services.validate_hours(records=[record], versions=seen, user=user)
            else:
                services.reject_hours(records=[record], versions=seen, user=user, reason="Doublon")
            outcomes[action] = "done"
        except ValidationError as error:
            outcomes[action] = error.messages
        except Exception as error:
            outcomes[action] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(action, user))
        for action, user in (("validate", world.owner), ("reject", world.admin))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done = [action for action, outcome in outcomes.items() if outcome == "done"]
    refused = [outcome for outcome in outcomes.values() if outcome != "done"]
    assert len(done) == 1 and len(refused) == 1, outcomes
    if connection.vendor == "sqlite" and not isinstance(refused[0], list):
        assert isinstance(refused[0], OperationalError) and "locked" in str(refused[0]), outcomes
    else:
        assert refused == [[services.REVIEW_CONFLICT_MESSAGE]], outcomes
    record.refresh_from_db()
    assert record.status == (HoursStatus.VALIDATED if done == ["validate"] else HoursStatus.REJECTED)
    assert record.version == seen[record.pk] + 1


def test_review_is_all_or_nothing_when_one_record_is_stale(world):
    """Two ticked records, one changed since the page: neither is validated, the stale one is named."""
    april = services.declare_hours(
        entry=services.HoursEntry(placement=world.placement, month=APRIL, hours=Decimal("20"), expected_version=0),
        user=world.owner,
    ).record
    seen = {world.record.pk: world.record.version, april.pk: april.version}
    colleague_declares(world, MARCH, "219")
    before = state()
    with pytest.raises(services.HoursConflict) as refused:
        services.validate_hours(records=[world.record, april], versions=seen, user=world.owner)
    assert refused.value.record_ids == {world.record.pk}
    assert refused.value.messages == [services.REVIEW_CONFLICT_MESSAGE]
    assert state() == before
    with pytest.raises(services.HoursConflict):
        services.reject_hours(records=[world.record, april], versions=seen, user=world.owner, reason="Doublon")
    assert state() == before
