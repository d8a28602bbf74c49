"""The one way Clausier sends an e-mail: `send_templated(to, template, context, path=...)`.

A message is French, in plain text and HTML, rendered from templates/emails/<template>.txt and .html (both
extending the shared base) with its subject from templates/emails/<template>_subject.txt. The sender, the
reply-to address and the base of the links come from settings (DEFAULT_FROM_EMAIL, EMAIL_REPLY_TO, SITE_URL);
every message links to its page (`path`) and to the page where one changes one's notification settings.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

# Where a recipient changes what Clausier sends them: the account page until the notification settings page of
# issue 16 exists.
SETTINGS_URL_NAME = "password_change"


def absolute_url(path: str) -> str:
    """`path` ("/compte/...") as a full address on SITE_URL; a full address is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def send_templated(
    to: str | list[str],
    template: str,
    context: dict,
    *,
    path: str,
    cc: list[str] | None = None,
    kind: str | None = None,
) -> int:
    """Render and send one message; returns the number of messages sent (1). Errors (SMTP refused, server
    unreachable) are raised, so that a task calling this is retried. `kind` (notifications.preferences.KINDS):
    accepted here, acted upon by helper "remind"'s version (unsubscribe link, preferences)."""
    recipients = [to] if isinstance(to, str) else list(to)
    context = {
        **context,
        "site_url": settings.SITE_URL,
        "page_url": absolute_url(path),
        "settings_url": absolute_url(reverse(SETTINGS_URL_NAME)),
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
    )
    message.attach_alternative(html, "text/html")
    return message.send()
