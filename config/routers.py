"""Send the read-only report and dashboard queries to a reporting replica, when one is configured and fit.

`REPORTING_DATABASE_URL` (config/settings.py) adds a "reporting" database alias, typically a PostgreSQL
streaming replica. The reporting pages, the API's yearly report and the exports run their query phase under
`reporting_database()`; inside it, reads go to that alias. Everything else (sessions, writes, the other pages,
migrations) stays on "default". Without the alias, the flag changes nothing.

    @reporting_database()
    def dashboard(request): ...

    report = reporting_database()(queries.yearly_report)(...)   # or, without the retry: with reporting_database():

The replica fails safe: a block reads on the primary instead when
- the replica is unreachable or lags more than REPORTING_MAX_LAG_SECONDS (config.replica, checked at most every
  REPORTING_HEALTH_CACHE_SECONDS, a WARNING logged once per change);
- the current user has written in the last REPORTING_READ_YOUR_WRITES_SECONDS (read-your-writes: any successful
  non-GET request, recorded by config.middleware.ReadYourWritesMiddleware in the shared cache, per user);
- used as a decorator (or called as above), a read that fails on the replica (OperationalError: it died between
  two checks) sets it aside and runs the function again on the primary.
Users, sessions, memberships, company accesses, API tokens and permissions are always read on the primary,
inside the block too: a replica's lag must never log anybody out nor hide a membership just granted.

The flag is a ContextVar, so concurrent requests served by threads (or async tasks) never see each other's.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from config.replica import REPORTING_ALIAS, mark_unhealthy, replica_healthy

logger = logging.getLogger("clausier.replica")

# Read on the primary even inside the flag: who may see what, and the login state.
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_cache", "auth", "contenttypes", "admin", "axes"})
PRIMARY_ONLY_MODELS = frozenset(
    {"organisations.user", "organisations.membership", "companies.companyaccess", "api.apitoken"}
)
WROTE_KEY = "clausier:replica:wrote:{}"

# The alias the current reporting block reads on; None outside a block.
_reading_reports: ContextVar[str | None] = ContextVar("reading_reports", default=None)
# The request being served (set by config.middleware.ReadYourWritesMiddleware), for read-your-writes.
current_request: ContextVar[object | None] = ContextVar("current_request", default=None)


def reporting_alias_configured() -> bool:
    return REPORTING_ALIAS in connections.settings


def remember_write(user_id) -> None:
    """The user has just written: their reports are read on the primary for REPORTING_READ_YOUR_WRITES_SECONDS."""
    from django.conf import settings
    from django.core.cache import cache

    seconds = settings.REPORTING_READ_YOUR_WRITES_SECONDS
    try:
        cache.set(WROTE_KEY.format(user_id), time.time(), seconds + 1)
    except Exception:  # the cache down must not fail the write already made; logged
        logger.exception("Lecture de ses propres écritures : marque non enregistrée pour l'utilisateur %s", user_id)


def wrote_recently(user_id) -> bool:
    from django.conf import settings
    from django.core.cache import cache

    try:
        written = cache.get(WROTE_KEY.format(user_id))
    except Exception:  # cannot tell: the primary is the safe side
        logger.exception("Lecture de ses propres écritures : marque illisible pour l'utilisateur %s", user_id)
        return True
    return written is not None and time.time() - written < settings.REPORTING_READ_YOUR_WRITES_SECONDS


def _current_user_wrote_recently() -> bool:
    request = current_request.get()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return wrote_recently(user.pk)


def choose_alias() -> str:
    """Where a new reporting block reads: the enclosing block's choice, else the replica when fit."""
    enclosing = _reading_reports.get()
    if enclosing is not None:
        return enclosing
    if not reporting_alias_configured() or _current_user_wrote_recently() or not replica_healthy():
        return DEFAULT_DB_ALIAS
    return REPORTING_ALIAS


@contextmanager
def _reading(alias: str) -> Iterator[None]:
    from django.conf import settings

    from config.database import report_statement_timeout

    token = _reading_reports.set(alias)
    try:
        with report_statement_timeout(alias, settings.REPORT_STATEMENT_TIMEOUT_MS):
            yield
    finally:
        _reading_reports.reset(token)


def _set_replica_aside(error: OperationalError) -> None:
    """A read of a block on the replica failed: set it aside until the next check. The error may also have been the
    primary's (the block reads some models there): then the run again on the primary fails too, and answers 503."""
    mark_unhealthy(error)
    connections[REPORTING_ALIAS].close()


class reporting_database:  # lower case: used like the context manager function it replaced
    """Within this block (or the decorated function), reads go to the reporting replica if there is one fit to
    serve them. As a decorator, a failure on the replica runs the function again on the primary."""

    def __enter__(self) -> None:
        self._block = _reading(choose_alias())
        self._block.__enter__()

    def __exit__(self, *exc_info):
        return self._block.__exit__(*exc_info)

    def __call__(self, func):
        @functools.wraps(func)
        def on_reporting(*args, **kwargs):
            alias = choose_alias()
            try:
                with _reading(alias):
                    return func(*args, **kwargs)
            except OperationalError as error:
                if alias != REPORTING_ALIAS:
                    raise
                _set_replica_aside(error)
            with _reading(DEFAULT_DB_ALIAS):
                return func(*args, **kwargs)

        return on_reporting


def read_alias() -> str:
    """The alias the reads of the current context go to (for raw SQL: `connections[read_alias()]`)."""
    alias = _reading_reports.get()
    if alias == REPORTING_ALIAS and reporting_alias_configured():
        return REPORTING_ALIAS
    return DEFAULT_DB_ALIAS


class ReportingRouter:
    """Reads inside `reporting_database()` go to "reporting" (when fit); writes and migrations always to "default"."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS or model._meta.label_lower in PRIMARY_ONLY_MODELS:
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
