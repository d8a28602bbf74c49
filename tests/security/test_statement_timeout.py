"""Database guard rail: on PostgreSQL, no statement of a web request runs past WEB_STATEMENT_TIMEOUT_MS (reports
past REPORT_STATEMENT_TIMEOUT_MS); a query cancelled for it is a French 503 (JSON under /api/), and commands keep
the server's setting (no limit). SQLite has no statement timeout: there the guard sends nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from config.database import TIMEOUT_MESSAGE

# Autocommit, as in production: inside a test's transaction, the cancelled statement would abort it for the next.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.security.urls")]


@pytest.fixture
def logged_in(client, owner, settings):
    settings.WEB_STATEMENT_TIMEOUT_MS = 300
    settings.REPORT_STATEMENT_TIMEOUT_MS = 5000
    client.force_login(owner)
    client.raise_request_exception = False
    return client


def server_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_runaway_query_of_a_page_is_cancelled_with_a_french_503(logged_in):
    if connection.vendor != "postgresql":
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get("/test/lent/1000/").text == "sans limite (SQLite)"
        assert not [q for q in queries if "statement_timeout" in q["sql"]]
        return
    response = logged_in.get("/test/lent/2000/")
    assert response.status_code == 503
    assert escape(TIMEOUT_MESSAGE) in response.text
    assert "canceling statement" not in response.text
    api = logged_in.get("/api/test/lent/2000/")
    assert api.status_code == 503 and api.json()["detail"] == TIMEOUT_MESSAGE
    # A quick query of the same request kind runs, under the limit.
    assert logged_in.get("/test/lent/10/").text == "300ms"


def test_a_report_gets_the_longer_limit_then_the_page_limit_again(logged_in):
    if connection.vendor != "postgresql":
        assert logged_in.get("/test/bilan-lent/10/").text == "sans limite (SQLite)"
        return
    assert logged_in.get("/test/bilan-lent/600/").text == "5s"  # 600 ms: beyond a page's 300 ms, within 5 s
    assert logged_in.get("/test/lent/10/").text == "300ms"


def test_commands_and_the_shell_keep_no_limit(logged_in):
    from tests import conftest

    if connection.vendor == "postgresql":
        # The connection's own setting: the server's (no limit) in production; in the test suite, the guard every
        # test connection starts with (tests/conftest.py), never a web request's limit.
        own = server_timeout()
        assert own == f"{conftest.TEST_STATEMENT_TIMEOUT_MS // 60_000}min"
    logged_in.get("/test/lent/10/")
    if connection.vendor == "postgresql":
        assert server_timeout() == own  # reset at the end of the request, not left at 300 ms
