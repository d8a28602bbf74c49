"""Is the reporting replica fit to serve reads? Checked cheaply, cached a few seconds, logged once per change.

`replica_healthy()` answers for the "reporting" alias (config.routers): False when the replica cannot be reached
(a short `connect_timeout`, set in config/settings.py) or when it lags more than REPORTING_MAX_LAG_SECONDS behind
the primary. The answer is kept REPORTING_HEALTH_CACHE_SECONDS in the process, so a page pays the check (one query
on each side) at most once every few seconds; `mark_unhealthy()` records a failure seen while reading (the replica
died between two checks). Each change of state is logged once, as a WARNING of the "clausier.replica" logger.

Lag, with care for an idle primary: the primary's current WAL position is read first, then the replica's replay
position. A replica that has replayed up to that position is up to date (lag 0), however old its last replayed
transaction. One behind it is stale since, at most, its last replayed transaction: `now() -
pg_last_xact_replay_timestamp()` on the replica is the (pessimistic) lag. A server not in recovery (the alias
points at a primary) has no lag.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from config.formatting import french_figure, french_number

logger = logging.getLogger("clausier.replica")

REPORTING_ALIAS = "reporting"


@dataclass
class Health:
    healthy: bool
    reason: str  # French, for the log: why the replica is set aside ("" when healthy)
    checked_at: float  # time.monotonic()


_lock = threading.Lock()
_state: Health | None = None


def _lag_reason() -> str:
    """ "" if the replica may serve reads, else why not (raises DatabaseError when it cannot be reached)."""
    replica = connections[REPORTING_ALIAS]
    if replica.vendor != "postgresql":  # a test mirror of the default database: never behind
        return ""
    primary = connections[DEFAULT_DB_ALIAS]
    primary_lsn = None
    if primary.vendor == "postgresql":
        with primary.cursor() as cursor:
            cursor.execute("SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END")
            primary_lsn = cursor.fetchone()[0]
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), "
            "COALESCE(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) > 0, false), "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            [primary_lsn],
        )
        in_recovery, behind, seconds = cursor.fetchone()
    if not in_recovery or not behind:
        return ""
    limit = settings.REPORTING_MAX_LAG_SECONDS
    if seconds is None or float(seconds) > limit:
        lag = "inconnu" if seconds is None else f"{french_number(float(seconds), 1)} s"
        return f"retard de réplication {lag}, au-delà de {french_figure(limit)} s"
    return ""


def _probe() -> Health:
    try:
        reason = _lag_reason()
    except DatabaseError as error:
        connections[REPORTING_ALIAS].close()  # a broken connection is opened afresh at the next check
        reason = f"injoignable ({str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__})"
    return Health(healthy=not reason, reason=reason, checked_at=time.monotonic())


def _record(health: Health) -> None:
    global _state
    previous = _state
    _state = health
    if previous is None or previous.healthy != health.healthy:
        if health.healthy:
            if previous is not None:
                logger.warning("Réplique de lecture de nouveau utilisée pour les bilans et tableaux de bord.")
        else:
            logger.warning(
                "Réplique de lecture écartée (%s) : les bilans et tableaux de bord sont lus sur la base principale.",
                health.reason,
            )


def replica_healthy() -> bool:
    """True if reads may go to the replica; checked at most every REPORTING_HEALTH_CACHE_SECONDS per process."""
    state = _state
    if state is not None and time.monotonic() - state.checked_at < settings.REPORTING_HEALTH_CACHE_SECONDS:
        return state.healthy
    with _lock:
        state = _state
        if state is not None and time.monotonic() - state.checked_at < settings.REPORTING_HEALTH_CACHE_SECONDS:
            return state.healthy
        health = _probe()
        _record(health)
        return health.healthy


def mark_unhealthy(error: BaseException) -> None:
    """A read on the replica failed: set it aside until the next check."""
    with _lock:
        _record(
            Health(healthy=False, reason=f"erreur en lecture ({type(error).__name__})", checked_at=time.monotonic())
        )


def reset() -> None:
    """Forget the cached state (tests)."""
    global _state
    with _lock:
        _state = None
