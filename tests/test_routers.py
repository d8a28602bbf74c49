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


# --- Settings: the replica alias, the shared cache, sessions -----------------------------------------------------


def settings_in_subprocess(**env) -> str:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({'databases': sorted(settings.DATABASES), 'reporting': settings.DATABASES.get('reporting'),"
        " 'cache': settings.CACHES['default']['BACKEND'], 'session': settings.SESSION_ENGINE}, default=str))"
    )
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
