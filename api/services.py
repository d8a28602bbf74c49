"""Create and revoke personal API tokens."""

import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from api.models import ApiToken, hash_key

MAX_TOKENS_PER_USER = 10

logger = logging.getLogger("clausier.security")


@transaction.atomic
def create_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Return the new token and its key, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Donnez un nom au jeton (par exemple le logiciel qui l'utilisera).")
    if len(name) > 100:
        raise ValidationError("Le nom du jeton ne peut pas dépasser 100 caractères.")
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            f"Vous avez déjà {MAX_TOKENS_PER_USER} jetons : révoquez-en un avant d'en créer un autre."
        )
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_key(key))
    return token, key


@transaction.atomic
def revoke_token(*, user, token_id: int) -> bool:
    """Delete one of the user's tokens; False when the user has no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


@transaction.atomic
def revoke_all_tokens(*, user, reason: str) -> int:
    """Delete every token of the user; the number deleted.

    Called by every route that changes a password (change form, reset link, admin, `changepassword`) and when
    django-axes locks the account out: a token obtained with the old password, or by whoever was guessing it,
    stops working at once.
    """
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    if deleted:
        logger.warning("%d jeton(s) d'API révoqué(s) pour l'utilisateur n° %s : %s", deleted, user.pk, reason)
    return deleted
