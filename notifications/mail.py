"""The one way Clausier sends an e-mail: `send_templated(to, template, context, path=...)`.

A message is French, in plain text and HTML, rendered from templates/emails/<template>.txt and .html (both
extending the shared base) with its subject from templates/emails/<template>_subject.txt. The sender, the
reply-to address and the base of the links come from settings (DEFAULT_FROM_EMAIL, EMAIL_REPLY_TO, SITE_URL);
every message links to its page (`path`) and to the page where one changes one's notification settings.

A message of a kind the recipient may turn off (`kind=`, one of notifications.preferences.KINDS) goes to one
person only: nothing is sent when that person turned the kind off (preferences.allowed), and the message carries
a signed link that turns it off without logging in, also as the List-Unsubscribe and List-Unsubscribe-Post
headers (RFC 8058) that mail clients show as a one-click « Se désabonner ».
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import preferences

# Where a recipient changes what Clausier sends them (reached from the account menu too).
SETTINGS_URL_NAME = "notifications:settings"


def absolute_url(path: str) -> str:
    """`path` ("/compte/...") as a full address on SITE_URL; a full address is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def _recipient_user(to):
    from django.contrib.auth import get_user_model

    if isinstance(to, get_user_model()):
        return to
    addresses = [to] if isinstance(to, str) else list(to)
    if len(addresses) != 1:
        raise ValueError("A message of a notification kind goes to one recipient.")
    address = addresses[0]
    if not isinstance(address, str):
        return address
    return get_user_model().objects.filter(email__iexact=address.strip()).first()


def send_templated(
    to,
    template: str,
    context: dict,
    *,
    path: str,
    cc: list[str] | None = None,
    kind: str | None = None,
) -> int:
    """Render and send one message; returns the number of messages sent (1, or 0 when the recipient turned `kind`
    off). `to` is an address, a list of addresses or a user. Errors (SMTP refused, server unreachable) are raised,
    so that a task calling this is retried."""
    headers = {}
    unsubscribe_url = ""
    if kind is not None:
        user = _recipient_user(to)
        if user is not None:
            if not preferences.allowed(user, kind):
                return 0
            to = user.email
            unsubscribe_url = absolute_url(
                reverse("notifications:unsubscribe", kwargs={"token": preferences.unsubscribe_token(user, kind)})
            )
            headers = {
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
    elif not isinstance(to, (str, list, tuple)):
        to = to.email
    recipients = [to] if isinstance(to, str) else list(to)
    context = {
        **context,
        "site_url": settings.SITE_URL,
        "page_url": absolute_url(path),
        "settings_url": absolute_url(reverse(SETTINGS_URL_NAME)),
        "unsubscribe_url": unsubscribe_url,
        "kind_label": preferences.KINDS.get(kind, "") if kind else "",
    }
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        cc=cc or [],
        reply_to=settings.EMAIL_REPLY_TO or None,
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message.send()
