"""The project's error views (handler400, 403, 404, 500 in config/urls.py).

Pages keep Django's views and the French templates; under /api/ every error is JSON with a French `detail`, as
DRF answers its own. A 500 caused by a busy or unavailable database (config.database) is a French 503 instead,
whichever layer raised it (a middleware's write included).
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from config.database import unavailable_message

API_DETAILS = {
    400: "Requête invalide : Clausier ne peut pas la traiter (corps trop volumineux, hôte non autorisé ou "
    "données incomplètes).",
    403: "Vous n'avez pas la permission d'effectuer cette action.",
    404: "Ressource introuvable : elle n'existe pas, ou elle n'est pas accessible avec votre compte.",
    500: "Une erreur est survenue sur le serveur ; l'incident est enregistré. Si vous étiez en train d'enregistrer, "
    "vérifiez que la donnée figure bien dans Clausier avant de recommencer.",
}
RETRY_AFTER_SECONDS = 30


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def refusal(request, message: str, status: int) -> HttpResponse:
    """A French refusal rendered without the request's context (the database may be unusable): JSON under /api/,
    else the standalone page of that status."""
    if is_api(request):
        response = JsonResponse({"detail": message}, status=status)
    else:
        template = "503.html" if status == 503 else "409.html"
        response = HttpResponse(render_to_string(template, {"message": message}), status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request, exception):
    if is_api(request):
        return JsonResponse({"detail": API_DETAILS[400]}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return JsonResponse({"detail": str(exception) or API_DETAILS[403]}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return JsonResponse({"detail": API_DETAILS[404]}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Called by Django while it handles the uncaught exception, which sys.exc_info() still holds."""
    message = unavailable_message(sys.exc_info()[1])
    if message:
        return refusal(request, message, 503)
    if is_api(request):
        return JsonResponse({"detail": API_DETAILS[500]}, status=500)
    return defaults.server_error(request)
