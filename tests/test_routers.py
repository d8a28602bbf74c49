"""Several application hosts: the reporting replica router (config/routers.py), the shared cache and sessions.

The "reporting" alias is added for a test only, as a second connection to the test database of "default" (what
`TEST["MIRROR"]` does when REPORTING_DATABASE_URL is set). Its queries are captured apart from default's, so each
test sees where every query ran. The data must be committed for the second connection to see it: the
integration tests use a transactional database.
"""

import copy
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.routers import REPORTING_ALIAS, ReportingRouter, read_alias, reporting_database
from config.settings import cache_from_url
from markets.models import Market
from organisations.models import Organisation
from tests.reporting.conftest import build_world

BASE_DIR = Path(__file__).resolve().parent.parent
REPORT_TABLE = "reporting_placementyear"


@pytest.fixture
def reporting_alias(transactional_db):
    """A "reporting" alias pointing at the test database, for the duration of one test."""
    assert REPORTING_ALIAS not in connections.settings
    replica = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPORTING_ALIAS] = replica
    try:
        # Open it now: Django's test case refuses to open, later, a connection it did not know at set-up.
        connections[REPORTING_ALIAS].connect()
        yield connections[REPORTING_ALIAS]
    finally:
        connections[REPORTING_ALIAS].close()
        del connections[REPORTING_ALIAS]
        del connections.settings[REPORTING_ALIAS]


def run_capturing(action):
    """Run `action()`, returning its result and the SQL of default and of reporting."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        CaptureQueriesContext(connections[REPORTING_ALIAS]) as on_reporting,
    ):
        result = action()
    return result, [q["sql"] for q in on_default], [q["sql"] for q in on_reporting]


def touching(sqls, table=REPORT_TABLE):
    return [sql for sql in sqls if table in sql]


# --- The router on its own ---------------------------------------------------------------------------------------


def test_without_a_reporting_alias_every_read_stays_on_default():
    router = ReportingRouter()
    assert REPORTING_ALIAS not in connections.settings
    assert router.db_for_read(Market) is None
    with reporting_database():
        assert router.db_for_read(Market) is None
        assert read_alias() == DEFAULT_DB_ALIAS


def test_writes_and_migrations_always_go_to_default():
    router = ReportingRouter()
    with reporting_database():
        assert router.db_for_write(Market) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "markets") is True
    assert router.allow_migrate(REPORTING_ALIAS, "markets") is False
    assert router.allow_relation(Market(), Organisation()) is True


def test_reads_go_to_reporting_inside_the_flag_only(reporting_alias):
    router = ReportingRouter()
    assert router.db_for_read(Market) is None
    with reporting_database():
        assert router.db_for_read(Market) == REPORTING_ALIAS
        assert read_alias() == REPORTING_ALIAS
        # Sessions and the cache table are read on the primary: a replica's lag must not log anybody out.
        assert router.db_for_read(Session) is None
        assert router.db_for_read(BaseDatabaseCache("clausier_cache", {}).cache_model_class) is None
    assert router.db_for_read(Market) is None


def test_the_flag_is_reset_after_an_error_and_works_as_a_decorator(reporting_alias):
    with pytest.raises(RuntimeError), reporting_database():
        raise RuntimeError("report failed")
    assert read_alias() == DEFAULT_DB_ALIAS

    @reporting_database()
    def decorated():
        return read_alias()

    assert decorated() == REPORTING_ALIAS
    assert read_alias() == DEFAULT_DB_ALIAS


def test_inside_the_flag_writes_hit_default_and_reads_the_replica(reporting_alias):
    def action():
        with reporting_database():
            Organisation.objects.create(name="Ville de Beaune", kind="buyer", buyer_type="municipality")
            return Organisation.objects.filter(name="Ville de Beaune").count()

    count, on_default, on_reporting = run_capturing(action)
    assert count == 1  # the mirror sees the committed row
    assert any(sql.startswith("INSERT") for sql in on_default)
    assert not any(sql.startswith("INSERT") for sql in on_reporting)
    assert touching(on_reporting, "organisations_organisation")


# --- The pages, the API and the command --------------------------------------------------------------------------


def report_pages(world):
    return [
        ("city_admin", reverse("reporting:dashboard"), {"year": 2025}),
        ("city_admin", reverse("reporting:dashboard_export", args=["csv"]), {"year": 2025}),
        ("facilitator_member", reverse("reporting:market_bilan", args=[world["market1"].pk]), {}),
        ("coordinator", reverse("reporting:yearly_report"), {"year": 2025}),
        ("coordinator", reverse("reporting:yearly_report_export", args=["json"]), {"year": 2025}),
        ("coordinator", reverse("api:yearly-report"), {"year": 2025}),
    ]


def fetch(client, user, url, params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, url
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def test_report_and_dashboard_queries_run_on_the_reporting_alias(client, reporting_alias):
    world = build_world()
    for role, url, params in report_pages(world):
        _response, on_default, on_reporting = run_capturing(lambda: fetch(client, world[role], url, params))  # noqa: B023
        assert touching(on_reporting), url
        assert not touching(on_default), url


def test_report_figures_are_the_same_on_the_replica(client, reporting_alias):
    world = build_world()
    client.force_login(world["coordinator"])
    url = reverse("api:yearly-report")
    with_replica = client.get(url, {"year": 2025}).json()
    del connections.settings[REPORTING_ALIAS]  # as if REPORTING_DATABASE_URL were not set
    try:
        _response, on_default, _ = run_capturing(lambda: client.get(url, {"year": 2025}))
        without_replica = client.get(url, {"year": 2025}).json()
    finally:
        connections.settings[REPORTING_ALIAS] = connections[REPORTING_ALIAS].settings_dict
    assert touching(on_default)
    assert with_replica == without_replica
    assert with_replica["summary"]["hours"] == "250.00"  # 100 + (50 + 20 of training) + 80 in 2025


def test_other_pages_and_the_api_lists_stay_on_default(client, reporting_alias):
    world = build_world()
    for role, url in [
        ("facilitator_member", reverse("markets:market_list")),
        ("facilitator_member", reverse("hours:grid")),
        ("facilitator_member", reverse("api:hoursrecord-list")),
    ]:
        _response, on_default, on_reporting = run_capturing(
            lambda: fetch(client, world[role], url, {})  # noqa: B023
        )
        assert on_default, url
        assert on_reporting == [], url


def test_export_command_reads_the_replica(reporting_alias, tmp_path):
    build_world()
    output = tmp_path / "bilan.json"
    _result, on_default, on_reporting = run_capturing(
        lambda: call_command(
            "export_report", "--year", "2025", "--format", "json", "--output", str(output), stdout=io.StringIO()
        )
    )
    assert touching(on_reporting)
    assert not touching(on_default)
    assert output.stat().st_size > 0


def test_without_the_setting_reports_run_on_default(client, db):
    assert REPORTING_ALIAS not in connections.settings
    world = build_world()
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default:
        fetch(client, world["coordinator"], reverse("reporting:yearly_report"), {"year": 2025})
    assert touching([q["sql"] for q in on_default])


# --- Failing safe: health, read-your-writes, primary-only models (mocked health, any database) -----------------


@pytest.fixture
def replica_state(settings):
    """A fresh replica health state for the test, and again after it."""
    from config import replica

    replica.reset()
    yield replica
    replica.reset()


def test_an_unfit_replica_sends_the_reads_to_the_primary(reporting_alias, replica_state, monkeypatch):
    router = ReportingRouter()
    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "retard de réplication 42.0 s, au-delà de 5 s")
    with reporting_database():
        assert read_alias() == DEFAULT_DB_ALIAS
        assert router.db_for_read(Market) is None
    replica_state.reset()
    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "")
    with reporting_database():
        assert router.db_for_read(Market) == REPORTING_ALIAS


def test_the_health_check_is_cached_and_logged_once_per_change(
    reporting_alias, replica_state, monkeypatch, caplog, settings
):
    answers = iter(["", "retard de réplication 9,0 s, au-delà de 5 s", "injoignable (connection refused)", ""])
    calls = []

    def lag_reason():
        calls.append(1)
        return next(answers)

    monkeypatch.setattr(replica_state, "_lag_reason", lag_reason)
    settings.REPORTING_HEALTH_CACHE_SECONDS = 60
    caplog.set_level("WARNING", logger="clausier.replica")
    assert [replica_state.replica_healthy() for _ in range(3)] == [True, True, True]
    assert len(calls) == 1  # cached
    settings.REPORTING_HEALTH_CACHE_SECONDS = 0
    assert [replica_state.replica_healthy() for _ in range(3)] == [False, False, True]
    assert len(calls) == 4
    warnings = [record.getMessage() for record in caplog.records if record.name == "clausier.replica"]
    assert len(warnings) == 2, warnings  # set aside once (lagging, then unreachable: same state), back once
    assert "retard de réplication 9,0 s" in warnings[0]
    assert "de nouveau utilisée" in warnings[1]


def test_users_sessions_memberships_and_accesses_are_read_on_the_primary(reporting_alias, replica_state, monkeypatch):
    from django.contrib.auth.models import Permission

    from api.models import ApiToken
    from companies.models import CompanyAccess
    from organisations.models import Membership, User

    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "")
    router = ReportingRouter()
    with reporting_database():
        assert router.db_for_read(Organisation) == REPORTING_ALIAS
        for model in (User, Membership, CompanyAccess, ApiToken, Permission, Session):
            assert router.db_for_read(model) is None, model


def test_a_successful_write_sends_the_writer_to_the_primary_for_a_while(
    reporting_alias, replica_state, monkeypatch, settings, rf
):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from config.middleware import ReadYourWritesMiddleware
    from config.routers import choose_alias
    from tests.organisations.factories import UserFactory

    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "")
    settings.CACHES = {"default": cache_from_url("locmem://ryw")}
    settings.REPORTING_READ_YOUR_WRITES_SECONDS = 10
    writer, other = UserFactory(), UserFactory()
    seen = {}

    def serve(method, user, status):
        def view(request):
            seen[request.user.pk] = choose_alias()
            return HttpResponse(status=status)

        request = getattr(rf, method)("/tableau-de-bord/")
        request.user = user
        return ReadYourWritesMiddleware(view)(request)

    serve("get", writer, 200)
    assert seen[writer.pk] == REPORTING_ALIAS
    serve("post", writer, 400)  # a refused write changes nothing
    serve("get", writer, 200)
    assert seen[writer.pk] == REPORTING_ALIAS
    serve("post", writer, 302)
    serve("get", writer, 200)
    assert seen[writer.pk] == DEFAULT_DB_ALIAS
    serve("get", other, 200)  # only the writer
    assert seen[other.pk] == REPORTING_ALIAS
    serve("post", AnonymousUser(), 200)  # nobody to remember
    # After the window, back to the replica.
    clock = __import__("time").time() + 11
    monkeypatch.setattr("config.routers.time.time", lambda: clock)
    serve("get", writer, 200)
    assert seen[writer.pk] == REPORTING_ALIAS


def test_a_read_failing_on_the_replica_is_served_by_the_primary(
    client, reporting_alias, replica_state, monkeypatch, caplog
):
    """The replica passed its last check (cached) but fails now: the API answers from the primary, in JSON, with
    the same figures, and the replica is set aside (one warning)."""
    world = build_world()
    client.force_login(world["coordinator"])
    url = reverse("api:yearly-report")
    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "")
    expected = client.get(url, {"year": 2025}).json()
    assert expected["summary"]["hours"] == "250.00"

    def broken(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    from django.db import OperationalError

    caplog.set_level("WARNING", logger="clausier.replica")
    with reporting_alias.execute_wrapper(broken):
        response, on_default, _ = run_capturing(lambda: client.get(url, {"year": 2025}))
    assert response.status_code == 200
    assert response.json() == expected
    assert touching(on_default)
    assert any("écartée" in record.getMessage() for record in caplog.records)
    assert replica_state.replica_healthy() is False  # until the next check


def test_a_page_failing_on_the_replica_is_served_by_the_primary(client, reporting_alias, replica_state, monkeypatch):
    from django.db import OperationalError

    world = build_world()
    monkeypatch.setattr(replica_state, "_lag_reason", lambda: "")

    def broken(execute, sql, params, many, context):
        raise OperationalError("could not receive data from server")

    for role, url, params in report_pages(world):
        replica_state.reset()
        if reporting_alias.connection is None:
            # The failed read closed it (PostgreSQL); the test case only lets connections it opened reconnect.
            reporting_alias.connect()
        with reporting_alias.execute_wrapper(broken):
            response = fetch(client, world[role], url, params)
        assert response.status_code == 200, url


# --- Settings: the replica alias, the shared cache, sessions -----------------------------------------------------


def settings_in_subprocess(**env) -> str:
    return python_in_subprocess(
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({'databases': sorted(settings.DATABASES), 'reporting': settings.DATABASES.get('reporting'),"
        " 'cache': settings.CACHES['default']['BACKEND'], 'session': settings.SESSION_ENGINE}, default=str))",
        **env,
    )


def python_in_subprocess(code: str, **env) -> str:
    """What `code` prints, run by this interpreter with the project's settings, without the replica and shared-cache
    variables of this process (plus `env`)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REPORTING_DATABASE_URL", "CACHE_URL", "REDIS_URL"}
    }
    environ.setdefault("SECRET_KEY", "clausier-test-only-secret-key-not-for-production")
    environ |= {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_reporting_database_url_adds_a_mirrored_alias():
    import json

    plain = json.loads(settings_in_subprocess())
    assert plain["databases"] == ["default"]
    replica = json.loads(
        settings_in_subprocess(REPORTING_DATABASE_URL="postgres://lecteur:secret@replica.interne:5432/clausier")
    )
    assert replica["databases"] == ["default", "reporting"]
    assert replica["reporting"]["HOST"] == "replica.interne"
    assert replica["reporting"]["NAME"] == "clausier"
    assert replica["reporting"]["TEST"]["MIRROR"] == "default"


def test_cache_and_sessions_are_shared_by_default_and_redis_when_asked():
    import json

    plain = json.loads(settings_in_subprocess())
    assert plain["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert plain["session"] == "django.contrib.sessions.backends.db"
    redis = json.loads(settings_in_subprocess(REDIS_URL="redis://cache.interne:6379/0"))
    assert redis["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["session"] == "django.contrib.sessions.backends.cached_db"


def test_cache_url_forms():
    assert cache_from_url("db://clausier_cache")["LOCATION"] == "clausier_cache"
    assert cache_from_url("rediss://cache:6380/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "rediss://cache:6380/1",
    }
    assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    assert cache_from_url("dummy://")["BACKEND"].endswith("DummyCache")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="CACHE_URL non reconnue"):
        cache_from_url("memcached://cache:11211")


def test_the_database_cache_table_exists_in_the_test_database(db, settings):
    settings.CACHES = {"default": cache_from_url("db://clausier_cache")}
    cache.set("clausier-test", {"heures": 35}, 30)
    assert cache.get("clausier-test") == {"heures": 35}
