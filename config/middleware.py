"""Project-wide safety nets: a database constraint violation (or a locked SQLite) never becomes a 500, no answer
holding personal data lands in a cache, and the login throttle counts an address whatever its case.
"""

import logging

from django.conf import settings
from django.db import IntegrityError
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from config import routers
from config.database import unavailable_message, web_statement_timeout
from config.errors import refusal

logger = logging.getLogger("clausier.security")

INTEGRITY_MESSAGE = (
    "L'enregistrement a été refusé : il entre en conflit avec des données déjà enregistrées "
    "(un doublon, ou une modification faite par quelqu'un d'autre entre-temps). Rien n'a été modifié : "
    "rechargez la page pour voir les données à jour, puis recommencez."
)


class StatementTimeoutMiddleware:
    """Every web request on PostgreSQL runs its statements under WEB_STATEMENT_TIMEOUT_MS (reports under
    REPORT_STATEMENT_TIMEOUT_MS, see config.routers.reporting_database); see config.database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with web_statement_timeout(settings.WEB_STATEMENT_TIMEOUT_MS):
            return self.get_response(request)


class ReadYourWritesMiddleware:
    """Read-your-writes with a reporting replica (config.routers): a successful write (a non-GET request answered
    below 400) by a signed-in user sends their reports to the primary for REPORTING_READ_YOUR_WRITES_SECONDS, so
    their dashboard shows what they just saved while the replica catches up. The mark is kept per user in the
    shared cache (every host and every browser of theirs, API tokens included: DRF sets the request's user). Without
    a replica, it does nothing."""

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = routers.current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            routers.current_request.reset(token)
        wrote = request.method not in self.SAFE_METHODS and response.status_code < 400
        if wrote and routers.reporting_alias_configured():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                routers.remember_write(user.pk)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` (with Django's no-cache, must-revalidate, max-age=0) and `Vary: Cookie`
    on every answer of the application: pages, API answers, exports and PDF hold personal data, and must not stay
    in a browser's or a proxy's cache once the session ends.

    Placed after whitenoise, which answers the static files itself (fingerprinted names, long cache); the login
    and other public pages are not cached either, which costs nothing (they are small and already never_cache).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Cache-Control", "").startswith("public"):
            return response  # the public pages of published figures (reporting.public_views): the same for all
        add_never_cache_headers(response)
        patch_vary_headers(response, ("Cookie",))
        return response


class IntegrityErrorMiddleware:
    """Turn an IntegrityError that no form or service translated into a French 409 answer, and a busy or
    unavailable database (config.database: SQLite locked or read-only, PostgreSQL read-only or unreachable) into a
    French 503; JSON under /api/.

    Forms and services translate the violations they expect into field messages; this catches the others
    (a race between two users, a constraint added later). The page is rendered without the request's context
    processors: the database connection may be in a failed transaction, and the page must not query it. The
    same errors raised by a middleware, outside any view, reach config.errors.server_error, which answers alike.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, IntegrityError):
            logger.warning("Contrainte violée sur %s %s : %s", request.method, request.path, exception)
            return refusal(request, INTEGRITY_MESSAGE, 409)
        message = unavailable_message(exception)
        if message:
            logger.error("Base occupée ou indisponible sur %s %s : %s", request.method, request.path, exception)
            return refusal(request, message, 503)
        return None


def login_username(request, credentials=None) -> str:
    """The address a login attempt is counted against (django-axes): trimmed and in lower case, as stored."""
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = getattr(request, "POST", {}).get("username", "") if request is not None else ""
    return str(value or "").strip().lower()
