"""Project-wide safety nets: a database constraint violation (or a locked SQLite) never becomes a 500, no answer
holding personal data lands in a cache, and the login throttle counts an address whatever its case.
"""

import logging

from django.db import IntegrityError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_vary_headers

logger = logging.getLogger("clausier.security")

INTEGRITY_MESSAGE = (
    "L'enregistrement a été refusé : il entre en conflit avec des données déjà enregistrées "
    "(un doublon, ou une modification faite par quelqu'un d'autre entre-temps). Rien n'a été modifié : "
    "rechargez la page pour voir les données à jour, puis recommencez."
)

BUSY_MESSAGE = (
    "La base de données est occupée par un autre enregistrement. Rien n'a été modifié : "
    "patientez quelques secondes puis recommencez."
)


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
        add_never_cache_headers(response)
        patch_vary_headers(response, ("Cookie",))
        return response


class IntegrityErrorMiddleware:
    """Turn an IntegrityError that no form or service translated into a French 409 answer (and SQLite's
    "database is locked" into a French 503).

    Forms and services translate the violations they expect into field messages; this catches the others
    (a race between two users, a constraint added later). The page is rendered without the request's context
    processors: the database connection may be in a failed transaction, and the page must not query it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, IntegrityError):
            logger.warning("Contrainte violée sur %s %s : %s", request.method, request.path, exception)
            return self.refusal(request, INTEGRITY_MESSAGE, 409)
        if isinstance(exception, OperationalError) and "locked" in str(exception):
            # SQLite only: another writer held the database longer than the timeout.
            logger.warning("Base verrouillée sur %s %s : %s", request.method, request.path, exception)
            return self.refusal(request, BUSY_MESSAGE, 503)
        return None

    @staticmethod
    def refusal(request, message: str, status: int) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=status)
        return HttpResponse(render_to_string("409.html", {"message": message}), status=status)


def login_username(request, credentials=None) -> str:
    """The address a login attempt is counted against (django-axes): trimmed and in lower case, as stored."""
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = getattr(request, "POST", {}).get("username", "") if request is not None else ""
    return str(value or "").strip().lower()
