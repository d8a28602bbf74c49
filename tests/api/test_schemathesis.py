"""Property-based run of the whole API against its own OpenAPI schema (schemathesis): no server error and no
response that breaks the schema, authenticated as a facilitator through a personal token.

Both phases run for every operation: the "coverage" phase (boundary values, missing and wrong-typed
parameters, values just outside each constraint) and the random "fuzzing" phase. A test that only ran one of
them would say so: each operation asserts that it received cases of both."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.services import create_token
from tests.api.conftest import build_world

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


# Django's WSGI application, not config.wsgi: that module also freezes the process's objects out of the garbage
# collector's reach, a server's tuning this test process must not inherit.
application = get_wsgi_application()

with override_settings(ALLOWED_HOSTS=["*"]):  # the WSGI calls come as "localhost"
    # The boundary-value "coverage" phase runs as Hypothesis' explicit examples (about 60 cases per operation),
    # then a few random cases per operation: about 3 minutes for the whole API on 2 cores.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": True}}})
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calling the WSGI application directly fires request_started/finished, whose close_old_connections
    would close the test's connection inside its transaction on PostgreSQL (Django's test client
    disconnects them the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(db, settings):
    settings.ALLOWED_HOSTS = ["*"]
    world = build_world()
    _token, key = create_token(user=world.admin, name="schemathesis")
    return {"Authorization": f"Token {key}"}


@pytest.fixture
def company_headers(db, settings):
    """A company contact of the lot of the world (held by « BTP Bourgogne »), with its token."""
    from companies.services import accept_invitation, invite_contact

    settings.ALLOWED_HOSTS = ["*"]
    world = build_world()
    invitation = invite_contact(company=world.company, lots=[world.lot], email="paie@btp.fr", invited_by=world.owner)
    accept_invitation(user=invitation.user, password="un-mot-de-passe-solide-2026")
    _token, key = create_token(user=invitation.user, name="schemathesis")
    return {"Authorization": f"Token {key}"}, world.lot.pk


@pytest.fixture
def phases_seen():
    """The phases whose cases reached this operation: both must have run."""
    seen: dict[str, int] = {}
    yield seen
    assert seen.get(TestPhase.COVERAGE, 0) > 0, f"aucun cas de la phase « coverage » : {seen}"
    assert seen.get(TestPhase.FUZZING, 0) > 0, f"aucun cas aléatoire : {seen}"


# PUT shares its serializer and rules with PATCH: leave it out to keep the run short.
@schema.exclude(method="PUT").parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token_headers, phases_seen):
    phases_seen[case.meta.phase.name] = phases_seen.get(case.meta.phase.name, 0) + 1
    response = case.call(headers=token_headers)
    case.validate_response(response, checks=CHECKS, headers=token_headers)


@pytest.fixture
def company_answers():
    """The company's GET operations must have answered 200 at least once (not only 404s on random ids)."""
    seen = {"get": 0, "ok": 0}
    yield seen
    assert not seen["get"] or seen["ok"], f"aucune réponse 200 : {seen}"


# The company API (api/companies.py) once more, as the company contact it is for (the facilitator above gets 403).
@schema.include(path_regex="^/api/v1/company/").parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_company_api_conforms_to_its_schema(case, company_headers, phases_seen, company_answers):
    headers, lot_id = company_headers
    count = phases_seen[case.meta.phase.name] = phases_seen.get(case.meta.phase.name, 0) + 1
    # A random lot id is a 404 (tests/api/test_company_api.py): aim most cases at the contact's own lot, and every other
    # one at a month of its contract, so that the answers of its lot and month are checked against the schema too.
    if "id" in (case.path_parameters or {}) and count % 4:
        case.path_parameters["id"] = lot_id
        if "month" in case.path_parameters and count % 2:
            case.path_parameters["month"] = "2025-03"
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if case.operation.method.upper() == case.method == "GET":
        company_answers["get"] += 1
        company_answers["ok"] += response.status_code == 200
