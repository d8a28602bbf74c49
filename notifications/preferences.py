"""Notification settings of a user (issue 16 point 6).

Every kind of message is on by default; a user turns a kind off (or, for a digest, chooses weekly or monthly) on
the settings page (`notifications:settings`), or turns it off from the signed link at the bottom of every message
of that kind, without logging in (`unsubscribe_token` / `read_unsubscribe_token`). Each change is logged
(NotificationEvent: who, which kind, when, how). The senders ask `allowed(user, kind)` before sending, and
`notifications.mail.send_templated(..., kind=...)` asks it for its recipient.
"""

from datetime import date

from django.core import signing
from django.db import transaction
from django.utils import timezone

from notifications.models import Frequency, NotificationEvent, NotificationSetting

KINDS = {
    "company_reminder": "Rappels de déclaration mensuelle",
    "declaration_events": "Suivi des déclarations (transmise, correction demandée, validée)",
    "at_risk_digest": "Lots devenus à risque (hebdomadaire)",
    "due_dates_digest": "Échéances à venir (hebdomadaire)",
}


def label_of(kind: str) -> str:
    """A kind's name on the settings page, where a digest's frequency is a choice of its own."""
    return KINDS.get(kind, kind).removesuffix(" (hebdomadaire)")


# Kinds sent as a weekly digest, for which a user may choose a monthly one instead.
DIGESTS = frozenset({"at_risk_digest", "due_dates_digest"})
# A monthly digest goes out with the weekly run that falls in the first days of the month (a weekly job runs once
# in any 7 consecutive days).
MONTHLY_DAYS = 7

UNSUBSCRIBE_SALT = "clausier.notifications.unsubscribe"
# How long the link of a message stays good: long enough for an old message, short enough to limit a leaked one.
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 180


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind: {kind}")


def setting_of(user, kind: str) -> NotificationSetting:
    """The stored setting, or an unsaved default (on; weekly for a digest)."""
    _check_kind(kind)
    found = NotificationSetting.objects.filter(user=user, kind=kind).first()
    default_frequency = Frequency.WEEKLY if kind in DIGESTS else ""
    return found or NotificationSetting(user=user, kind=kind, enabled=True, frequency=default_frequency)


def settings_of(user) -> list[NotificationSetting]:
    """One setting per kind, in the order of KINDS (one query)."""
    stored = {setting.kind: setting for setting in NotificationSetting.objects.filter(user=user)}
    return [
        stored.get(kind)
        or NotificationSetting(
            user=user, kind=kind, enabled=True, frequency=Frequency.WEEKLY if kind in DIGESTS else ""
        )
        for kind in KINDS
    ]


def allowed(user, kind: str, *, today: date | None = None) -> bool:
    """Whether `user` still wants the messages of `kind`: not an inactive account, not a kind turned off, and for a
    digest set to monthly, only in the first MONTHLY_DAYS days of the month."""
    _check_kind(kind)
    if user is None or not user.is_active:
        return False
    setting = setting_of(user, kind)
    if not setting.enabled:
        return False
    if kind in DIGESTS and setting.frequency == Frequency.MONTHLY:
        today = today or timezone.localdate()
        return today.day <= MONTHLY_DAYS
    return True


@transaction.atomic
def change(*, user, kind: str, enabled: bool, frequency: str = "", via: str) -> bool:
    """Set one kind on or off (and a digest's frequency), logging what changed; returns whether anything did."""
    _check_kind(kind)
    current = setting_of(user, kind)
    frequency = (frequency or current.frequency) if kind in DIGESTS else ""
    events = []
    if current.enabled != enabled:
        action = NotificationEvent.Action.SUBSCRIBED if enabled else NotificationEvent.Action.UNSUBSCRIBED
        events.append((action, ""))
    if kind in DIGESTS and frequency != current.frequency:
        events.append((NotificationEvent.Action.FREQUENCY, Frequency(frequency).label.lower()))
    if not events:
        return False
    NotificationSetting.objects.update_or_create(
        user=user, kind=kind, defaults={"enabled": enabled, "frequency": frequency}
    )
    for action, detail in events:
        NotificationEvent.objects.create(user=user, email=user.email, kind=kind, action=action, via=via, detail=detail)
    return True


def unsubscribe(*, user, kind: str, via: str) -> bool:
    """Turn `kind` off for `user` (the signed link or the one-click header); False when it already was."""
    return change(user=user, kind=kind, enabled=False, via=via)


def unsubscribe_token(user, kind: str) -> str:
    """A signed, timestamped token naming the user and the kind: whoever holds it may turn that kind off for that
    user, nothing else."""
    _check_kind(kind)
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=False)


class BadToken(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


EXPIRED = (
    "Ce lien de désabonnement a expiré. Connectez-vous à Clausier pour choisir les messages que vous recevez, "
    "sur la page « Mes notifications »."
)
INVALID = (
    "Ce lien de désabonnement n'est pas valable : il a peut-être été coupé ou modifié. Vérifiez que vous l'avez "
    "copié en entier, ou connectez-vous à Clausier pour choisir les messages que vous recevez."
)


def read_unsubscribe_token(token: str):
    """(user, kind) of a good token; BadToken with the French reason otherwise (tampered, expired, unknown)."""
    from django.contrib.auth import get_user_model

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken(EXPIRED) from None
    except signing.BadSignature:
        raise BadToken(INVALID) from None
    kind = data.get("k") if isinstance(data, dict) else None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first() if kind else None
    if kind not in KINDS or user is None:
        raise BadToken(INVALID)
    return user, kind
