"""Throttling of logins (django-axes, per account and per client address) and of password-reset requests
(Django cache, per client address and per e-mail address). Settings: AXES_FAILURE_LIMIT, AXES_IP_FAILURE_LIMIT,
AXES_COOLOFF_MINUTES, PASSWORD_RESET_LIMIT_PER_ADDRESS, PASSWORD_RESET_LIMIT_PER_IP,
PASSWORD_RESET_WINDOW_MINUTES, TRUSTED_PROXY_COUNT (docs/securite.md).
"""

import hashlib
import logging

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Sum

logger = logging.getLogger("clausier.security")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies that each append the address
    they received from to X-Forwarded-For, the one the outermost trusted proxy saw (a client cannot forge it:
    whatever it sends itself stays on the left of the header)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class ClausierAxesHandler(AxesDatabaseHandler):
    """django-axes's database handler with two limits instead of one (AXES_LOCKOUT_PARAMETERS is
    ["username", "ip_address"]: axes counts the failures of the address typed and those of the client address):

    - an account is locked after AXES_FAILURE_LIMIT failures on its e-mail address, from anywhere;
    - a client address is locked after AXES_IP_FAILURE_LIMIT failures, whatever the addresses typed (password
      spraying). The limit is higher so that an office behind one proxy is not locked by one person's typos.

    A successful login clears its account's counter only, not the client address's: one valid account must not
    let a sprayer start again. When an account gets locked, its API tokens are revoked.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_account, per_ip = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = get_failure_limit(request, credentials)
        request.clausier_locked_by_ip = per_account < account_limit and per_ip >= settings.AXES_IP_FAILURE_LIMIT
        return account_limit if request.clausier_locked_by_ip else per_account

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        locked = request is not None and getattr(request, "axes_locked_out", False)
        if locked and not getattr(request, "clausier_locked_by_ip", False):
            self._revoke_tokens_of(get_client_username(request, credentials))

    def reset_user_attempts(self, request, credentials=None) -> int:
        deleted, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return deleted

    @staticmethod
    def _revoke_tokens_of(username: str) -> None:
        from api.services import revoke_all_tokens  # the web layer's service; axes loads this handler lazily

        user = get_user_model()._default_manager.filter(email__iexact=username).first() if username else None
        if user is not None:
            revoke_all_tokens(user=user, reason="compte bloqué après des échecs de connexion répétés")


TOO_MANY_RESETS = (
    "Trop de demandes de réinitialisation ont été faites depuis ce poste ou pour cette adresse. "
    "Par sécurité, aucune nouvelle demande n'est acceptée pendant {minutes} minutes : si un message vous a déjà "
    "été envoyé, utilisez le lien qu'il contient (pensez à vérifier les courriers indésirables)."
)


def _key(kind: str, value: str) -> str:
    return "clausier-reset-" + kind + "-" + hashlib.sha256(value.encode()).hexdigest()


def _count(key: str) -> int:
    """Add one to a counter of the cache that expires PASSWORD_RESET_WINDOW_MINUTES after its first use."""
    timeout = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def password_reset_allowed(request, email: str) -> bool:
    """Count one reset request of this client and this e-mail address; False once either is over its limit.

    Counted before the address is looked up, for existing and unknown addresses alike, so the refusal says
    nothing about whether an account exists.
    """
    per_ip = _count(_key("ip", client_ip(request) or ""))
    per_address = _count(_key("email", email.strip().lower()))
    allowed = (
        per_ip <= settings.PASSWORD_RESET_LIMIT_PER_IP and per_address <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    )
    if not allowed:
        logger.warning(
            "Demande de réinitialisation refusée (trop de demandes) depuis %s : %d depuis ce poste, %d pour cette "
            "adresse",
            client_ip(request),
            per_ip,
            per_address,
        )
    return allowed
