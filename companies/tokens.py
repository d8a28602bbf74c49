"""Invitation links of company contacts: Django's password-reset token machinery with its own salt and validity.

A link is single-use (its hash covers the password, which the invitation sets, and the last login), expires after
settings.COMPANY_INVITATION_TIMEOUT seconds, and is signed with SECRET_KEY: a changed character breaks it. A refused
link says why, in French, without telling whether an address has an account.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

INVALID = (
    "Ce lien d'invitation n'est pas valable. Vérifiez que vous l'avez copié en entier, ou demandez une nouvelle "
    "invitation à la structure qui vous a invité·e."
)
USED = (
    "Ce lien d'invitation a déjà servi : votre mot de passe est choisi. Connectez-vous avec votre adresse e-mail, "
    "ou utilisez « Mot de passe oublié »."
)
EXPIRED = (
    "Ce lien d'invitation a expiré (il était valable {days} jours). Demandez une nouvelle invitation à la structure "
    "qui vous a invité·e."
)


def validity_days() -> int:
    return settings.COMPANY_INVITATION_TIMEOUT // 86400


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "clausier.companies.InvitationTokenGenerator"

    def refusal(self, user, token: str) -> str:
        """ "" when the link is good; else the French reason (invalid, already used, expired)."""
        if user is None or not token:
            return INVALID
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return INVALID
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        if not signed:
            # The hash covers the password: once the invitation has set it, the link no longer matches.
            return USED if user.has_usable_password() else INVALID
        if self._num_seconds(self._now()) - timestamp > settings.COMPANY_INVITATION_TIMEOUT:
            return EXPIRED.format(days=validity_days())
        return ""

    def check_token(self, user, token):
        return not self.refusal(user, token)


invitation_tokens = InvitationTokenGenerator()


def encode_uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def decode_uid(uidb64: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
