"""The reporting replica fails safe, on a real PostgreSQL streaming replica (config.routers, config.replica).

Healthy, the report pages, an export and the API read on the standby (`pg_is_in_recovery()` on the connection
used); stopped, or paused while the primary writes, they read on the primary and show the same figures as the
primary; a writer sees their own write at once (read-your-writes) while the standby still shows the old total.
"""

import json
import re
import time
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse

from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from config.replica import REPORTING_ALIAS
from tests.replica.conftest import replica_sql, start_replica, stop_replica, wait_for_replica
from tests.reporting.conftest import build_world

pytestmark = pytest.mark.replica

REPORT_TABLE = "reporting_placementyear"


def pages(world):
    """(role, url, params): two pages, a synchronous export and the API, all over the yearly figures."""
    return [
        ("coordinator", reverse("reporting:yearly_report"), {"year": 2025}),
        ("city_admin", reverse("reporting:dashboard"), {"year": 2025}),
        ("coordinator", reverse("reporting:yearly_report_export", args=["json"]), {"year": 2025}),
        ("coordinator", reverse("api:yearly-report"), {"year": 2025}),
    ]


def without_stamps(data):
    """The export's JSON without its time stamp, which changes at each answer."""
    if isinstance(data, dict):
        return {key: without_stamps(value) for key, value in data.items() if key not in {"genere_le", "generated_at"}}
    if isinstance(data, list):
        return [without_stamps(value) for value in data]
    return data


def figures(response) -> object:
    """What must not change between the primary and the replica: the JSON (API, export) without its time stamp,
    the page without its CSRF token."""
    assert response.status_code == 200, (response.status_code, response.content[:300])
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/json"):
        return without_stamps(json.loads(content))
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"', "", content.decode())


@contextmanager
def report_queries():
    """The report-table queries run on each alias (an execute wrapper: it never opens a connection itself)."""
    seen = {DEFAULT_DB_ALIAS: [], REPORTING_ALIAS: []}

    def recorder(alias):
        def record(execute, sql, params, many, context):
            if REPORT_TABLE in sql:
                seen[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    with (
        connections[DEFAULT_DB_ALIAS].execute_wrapper(recorder(DEFAULT_DB_ALIAS)),
        connections[REPORTING_ALIAS].execute_wrapper(recorder(REPORTING_ALIAS)),
    ):
        yield seen


def read_all(client, world):
    """Fetch every page; return {url: figures} and the report-table queries on each alias."""
    results = {}
    with report_queries() as seen:
        for role, url, params in pages(world):
            client.force_login(world[role])
            results[url] = figures(client.get(url, params))
    return results, seen[DEFAULT_DB_ALIAS], seen[REPORTING_ALIAS]


def on_primary(client, world, monkeypatch):
    """The same pages read on the primary alone (as without REPORTING_DATABASE_URL)."""
    with monkeypatch.context() as patch:
        patch.setattr("config.routers.reporting_alias_configured", lambda: False)
        results, on_default, on_replica = read_all(client, world)
    assert on_default and not on_replica
    return results


def api_hours(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("api:yearly-report"), {"year": 2025}).json()["summary"]["hours"]


def test_healthy_replica_serves_the_reports_with_the_primary_s_figures(client, replica, monkeypatch):
    world = build_world()
    expected = on_primary(client, world, monkeypatch)
    wait_for_replica()
    results, on_default, on_replica = read_all(client, world)
    assert on_replica and not on_default  # every report query on the standby…
    assert replica_sql("SELECT pg_is_in_recovery()") is True  # …which is a standby indeed
    assert results == expected


def test_an_idle_primary_is_no_lag(client, replica, settings):
    """No write for longer than the lag allowed: the standby is up to date, still used (the age of its last replayed
    transaction is not a lag when there is nothing to replay)."""
    world = build_world()
    wait_for_replica()
    settings.REPORTING_MAX_LAG_SECONDS = 0.5
    time.sleep(1)
    _results, on_default, on_replica = read_all(client, world)
    assert on_replica and not on_default


def test_stopped_replica_falls_back_to_the_primary(client, replica, monkeypatch, caplog, settings):
    world = build_world()
    expected = on_primary(client, world, monkeypatch)
    wait_for_replica()
    caplog.set_level("WARNING", logger="clausier.replica")
    stop_replica()
    try:
        started = time.monotonic()
        results, on_default, on_replica = read_all(client, world)
        elapsed = time.monotonic() - started
        assert on_default and not on_replica
        assert results == expected
        assert elapsed < 10, elapsed  # refused at once, not waited on
        warnings = [r.getMessage() for r in caplog.records if r.name == "clausier.replica"]
        assert len(warnings) == 1 and "injoignable" in warnings[0], warnings  # once, not per request

        # Stopped between two checks (the state cached as healthy): the read fails on the standby and is served
        # again by the primary, in JSON under /api/.
        from config import replica as health

        health.reset()
        settings.REPORTING_HEALTH_CACHE_SECONDS = 60
        monkeypatch.setattr(health, "_lag_reason", lambda: "")
        assert health.replica_healthy() is True
        client.force_login(world["coordinator"])
        response = client.get(reverse("api:yearly-report"), {"year": 2025})
        assert response.status_code == 200
        assert response.json() == expected[reverse("api:yearly-report")]
        assert health.replica_healthy() is False
    finally:
        start_replica()
    wait_for_replica()


def test_paused_replay_read_your_writes_then_lag_fallback(client, replica, settings, caplog):
    world = build_world()
    writer, reader = world["facilitator_member"], world["coordinator"]
    wait_for_replica()  # the world replayed first: else « before » reads a standby that has not seen it yet
    before_writer, before_reader = api_hours(client, writer), api_hours(client, reader)
    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        # The writer validates 40 declared hours through the API (a POST answered 200).
        record = HoursRecord.objects.get(status=HoursStatus.DECLARED, hours=40)
        client.force_login(writer)
        url = reverse("api:hoursrecord-validate-record", args=[record.pk])
        response = client.post(url, {"version": record.version}, content_type="application/json")
        assert response.status_code == 200, response.content
        assert replica_sql("SELECT pg_is_wal_replay_paused()") is True

        # Read-your-writes: the writer reads the primary and sees the new total; the reader (lag still allowed:
        # 60 s) reads the paused standby, which has not replayed it yet.
        after_writer = api_hours(client, writer)
        assert float(after_writer) == float(before_writer) + 40
        assert api_hours(client, reader) == before_reader

        # Lag beyond the setting: everybody reads the primary, with one warning.
        caplog.set_level("WARNING", logger="clausier.replica")
        settings.REPORTING_MAX_LAG_SECONDS = 1
        deadline = time.monotonic() + 10
        while replica_sql("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())") <= 1.2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with report_queries() as seen:
            assert float(api_hours(client, reader)) == float(before_reader) + 40
        assert seen[DEFAULT_DB_ALIAS] and not seen[REPORTING_ALIAS]
        warnings = [r.getMessage() for r in caplog.records if r.name == "clausier.replica"]
        assert len(warnings) == 1 and "retard de réplication" in warnings[0], warnings
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")
    # Caught up again: back on the standby, with the new figures.
    wait_for_replica()
    settings.REPORTING_READ_YOUR_WRITES_SECONDS = 0
    with report_queries() as seen:
        assert float(api_hours(client, writer)) == float(before_writer) + 40
    assert seen[REPORTING_ALIAS] and not seen[DEFAULT_DB_ALIAS]
