"""`Authorization: Token <clé>` with a personal token (api.models.ApiToken)."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api.models import ApiToken, hash_key
from config.database import best_effort

LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise AuthenticationFailed("Jeton invalide ou révoqué.")
        if not token.user.is_active:
            raise AuthenticationFailed("Ce compte est désactivé.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            # Bookkeeping of a request that may only read: a database refusing writes must not refuse the request.
            best_effort(
                f"dernière utilisation du jeton n° {token.pk}",
                lambda: ApiToken.objects.filter(pk=token.pk).update(last_used_at=now),
            )
        return token.user, token
