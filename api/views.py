"""The account page where users create and revoke their personal API tokens."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.models import ApiToken
from api.services import create_token, revoke_token
from organisations.scoping import scope_of

NEW_KEY_SESSION_KEY = "clausier_new_api_token"


@require_http_methods(["GET", "POST"])
def token_list(request):
    errors = []
    if request.method == "POST":
        try:
            token, key = create_token(user=request.user, name=request.POST.get("name", ""))
        except ValidationError as error:
            errors = error.messages
        else:
            # Shown once, on the next page, then forgotten (only its digest is stored).
            request.session[NEW_KEY_SESSION_KEY] = {"id": token.pk, "key": key}
            return redirect("api_tokens:tokens")
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None)
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": tokens,
            "new_key": new_key,
            "errors": errors,
            "name": request.POST.get("name", ""),
            # A company account's token opens the company operations only (api/companies.py): the page says so.
            "company_only": scope_of(request.user).is_company_only,
        },
        status=400 if errors else 200,
    )


@require_POST
def token_revoke(request, token_id):
    if revoke_token(user=request.user, token_id=token_id):
        messages.success(request, "Le jeton est révoqué : il ne permet plus d'accéder à l'API.")
    else:
        messages.error(request, "Ce jeton n'existe pas ou a déjà été révoqué.")
    return redirect("api_tokens:tokens")
