"""E-mails of company accounts: the invitation link (a new contact chooses its password) and the notification of
lots added to an existing account. Sent by the worker (notifications.tasks.send_company_invitation, templates
templates/emails/company_*), queued through the `notify` hook."""

from config.hooks import notify


def send_invitation(request, invitation) -> None:
    """Queue the e-mail of `invitation` (companies.services.Invitation); the links use settings.SITE_URL."""
    notify.company_invitation(invitation)
