"""Deployment check of the e-mails' links (`manage.py check --deploy`): every message the worker sends carries links
on SITE_URL, computed outside any request; a deployment that forgot to set it would send links to 127.0.0.1."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 (a list of hosts, not a bind address)


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme == "https" and parts.hostname and parts.hostname not in LOCAL_HOSTS:
        return []
    return [
        Warning(
            f"SITE_URL vaut « {settings.SITE_URL} » : les liens des courriels (invitations, rappels, "
            "récapitulatifs, désabonnement) mèneraient à une adresse locale ou non chiffrée.",
            hint="Réglez SITE_URL sur l'adresse publique en https, par exemple https://clausier.exemple.fr.",
            id="notifications.W001",
        )
    ]
