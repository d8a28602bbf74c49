"""Project-wide safety nets: a database constraint violation never becomes a 500, and the login throttle
counts an address whatever its case.
"""

import logging

from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("clausier.security")

INTEGRITY_MESSAGE = (
    "L'enregistrement a été refusé : il entre en conflit avec des données déjà enregistrées "
    "(un doublon, ou une modification faite par quelqu'un d'autre entre-temps). Rien n'a été modifié : "
    "rechargez la page pour voir les données à jour, puis recommencez."
)


class IntegrityErrorMiddleware:
    """Turn an IntegrityError that no form or service translated into a French 409 answer.

    Forms and services translate the violations they expect into field messages; this catches the others
    (a race between two users, a constraint added later). The page is rendered without the request's context
    processors: the database connection may be in a failed transaction, and the page must not query it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IntegrityError):
            return None
        logger.warning("Contrainte de base de données violée sur %s %s : %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": INTEGRITY_MESSAGE}, status=409)
        return HttpResponse(render_to_string("409.html", {"message": INTEGRITY_MESSAGE}), status=409)


def login_username(request, credentials=None) -> str:
    """The address a login attempt is counted against (django-axes): trimmed and in lower case, as stored."""
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = getattr(request, "POST", {}).get("username", "") if request is not None else ""
    return str(value or "").strip().lower()
