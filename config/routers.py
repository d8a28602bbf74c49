"""Send the read-only report and dashboard queries to a reporting replica, when one is configured.

`REPORTING_DATABASE_URL` (config/settings.py) adds a "reporting" database alias, typically a PostgreSQL
streaming replica. The reporting pages, the API's yearly report and the export command wrap their query phase
in `reporting_database()`; inside it, every read goes to that alias. Everything else (sessions, writes, the
other pages, migrations) stays on "default". Without the alias, the flag changes nothing.

    @reporting_database()
    def dashboard(request): ...

    with reporting_database():
        report = queries.yearly_report(...)

The flag is a ContextVar, so concurrent requests served by threads (or async tasks) never see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPORTING_ALIAS = "reporting"
# Read on the primary even inside the flag: a replica's lag must never lose a login or serve a stale cache entry.
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_cache"})

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def reporting_database() -> Iterator[None]:
    """Within this block (or the decorated function), reads go to the reporting replica if there is one."""
    from django.conf import settings

    from config.database import report_statement_timeout

    token = _reading_reports.set(True)
    try:
        with report_statement_timeout(read_alias(), settings.REPORT_STATEMENT_TIMEOUT_MS):
            yield
    finally:
        _reading_reports.reset(token)


def reporting_alias_configured() -> bool:
    return REPORTING_ALIAS in connections.settings


def read_alias() -> str:
    """The alias the reads of the current context go to (for raw SQL: `connections[read_alias()]`)."""
    if _reading_reports.get() and reporting_alias_configured():
        return REPORTING_ALIAS
    return DEFAULT_DB_ALIAS


class ReportingRouter:
    """Reads inside `reporting_database()` go to "reporting"; writes and migrations always to "default"."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        alias = read_alias()
        return alias if alias == REPORTING_ALIAS else None

    def db_for_write(self, model, **hints):
        # Objects read from the replica are still saved on the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data (one replicates the other).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by replication; never migrate it directly.
        return db == DEFAULT_DB_ALIAS
