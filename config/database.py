"""A database that refuses writes (read-only replica promoted late, disk full, maintenance) or cannot be reached.

- `unavailable_message(error)`: the French message of an error that means "the database is busy or unavailable"
  (answered 503 by config.middleware and config.errors), None for any other error (a bug stays a 500).
- `best_effort(what, write)`: for the bookkeeping writes made while serving a read (the access journal of a
  consultation, the last use of an API token): their failure is logged, and the read is served. Never for the
  user's own writes, whose failure must reach them.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InternalError, OperationalError, connections, transaction

logger = logging.getLogger("clausier.security")

BUSY_MESSAGE = (
    "La base de données est occupée par un autre enregistrement. Rien n'a été modifié : "
    "patientez quelques secondes puis recommencez."
)
UNAVAILABLE_MESSAGE = (
    "La base de données est momentanément indisponible (maintenance ou incident). Rien n'a été modifié : "
    "réessayez dans quelques minutes ; si cela dure, prévenez l'administrateur·rice de Clausier."
)

# SQLite reports everything as OperationalError, bugs included ("no such column"): only these messages mean
# the database itself is at fault.
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
SQLITE_UNAVAILABLE = ("readonly database", "unable to open database", "disk i/o error", "database or disk is full")
TIMEOUT_MESSAGE = (
    "Cette opération a demandé trop de temps à la base de données et a été interrompue. Rien n'a été modifié : "
    "réessayez, ou réduisez la période ou le périmètre demandé."
)
# PostgreSQL's statement_timeout (57014, query_canceled): a web request's query ran past its limit.
POSTGRES_TIMEOUT = "57014"
# PostgreSQL (SQLSTATE): busy for lock and serialisation conflicts; every other OperationalError is a lost
# connection, a shutdown, too many connections, a full disk…; 25006: a read-only transaction or server.
POSTGRES_BUSY = {"40001", "40P01", "55P03"}
POSTGRES_READ_ONLY = "25006"


def unavailable_message(error: BaseException) -> str | None:
    if not isinstance(error, (OperationalError, InternalError)):
        return None
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    text = str(error).lower()
    if sqlstate is None and error.__cause__ is not None and type(error.__cause__).__module__.startswith("sqlite3"):
        if any(part in text for part in SQLITE_BUSY):
            return BUSY_MESSAGE
        return UNAVAILABLE_MESSAGE if any(part in text for part in SQLITE_UNAVAILABLE) else None
    if sqlstate in POSTGRES_BUSY:
        return BUSY_MESSAGE
    if sqlstate == POSTGRES_TIMEOUT:
        return TIMEOUT_MESSAGE
    if sqlstate == POSTGRES_READ_ONLY or isinstance(error, OperationalError):
        if any(part in text for part in SQLITE_BUSY):  # raised by hand, or by a backend without a cause
            return BUSY_MESSAGE
        return UNAVAILABLE_MESSAGE
    return None


def best_effort[T](what: str, write: Callable[[], T]) -> T | None:
    """Run a bookkeeping write in its own savepoint and return its result; if the database refuses it (or even
    the savepoint), log it with `what` and return None."""
    try:
        with transaction.atomic():
            return write()
    except DatabaseError:
        logger.exception("Écriture abandonnée, la base l'a refusée : %s", what)
        return None


# The statement timeout of the current web request (ms), None outside one (commands, workers, shell).
_web_timeout: ContextVar[int | None] = ContextVar("web_statement_timeout", default=None)


def _set_timeout(alias: str, milliseconds: int | None) -> None:
    """A session setting, sent on the driver's own cursor: not one of the request's queries (no savepoint, not
    counted by the query-count tests); a refusal (a transaction already failed) is logged, never raised."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    statement = "RESET statement_timeout" if milliseconds is None else f"SET statement_timeout = {int(milliseconds)}"
    try:
        connection.ensure_connection()
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError:
        logger.exception("Écriture abandonnée, la base l'a refusée : %s", statement)


@contextmanager
def web_statement_timeout(milliseconds: int) -> Iterator[None]:
    """Within a web request on PostgreSQL, no statement runs longer than `milliseconds` (0: no limit): a runaway
    query is cancelled (a French 503, see `unavailable_message`) instead of holding a worker and a connection.
    Commands and background work never pass here and keep the server's setting.

    The limit is set just before the request's first query (an execute wrapper), so a request that reads nothing
    (the API schema, a static page) never touches the database, and reset after its last one."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not milliseconds or connection.vendor != "postgresql":
        yield
        return
    state = {"set": False}

    def set_before_first_query(execute, sql, params, many, context):
        if not state["set"]:
            state["set"] = True
            _set_timeout(DEFAULT_DB_ALIAS, milliseconds)
        return execute(sql, params, many, context)

    token = _web_timeout.set(milliseconds)
    try:
        with connection.execute_wrapper(set_before_first_query):
            yield
    finally:
        _web_timeout.reset(token)
        if state["set"]:
            _set_timeout(DEFAULT_DB_ALIAS, None)


@contextmanager
def report_statement_timeout(alias: str, milliseconds: int) -> Iterator[None]:
    """Inside a web request, a report's queries on `alias` get the longer report limit, then the request's limit
    again. Outside a web request nothing changes (a command exporting a report has no limit)."""
    web = _web_timeout.get()
    if web is None or not milliseconds:
        yield
        return
    _set_timeout(alias, milliseconds)
    try:
        yield
    finally:
        _set_timeout(alias, web if alias == DEFAULT_DB_ALIAS else None)
