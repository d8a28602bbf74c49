"""Choices of the audit trail, shared with the domain services below it (no model, no import of the app)."""

from django.db import models


class AccessAction(models.TextChoices):
    VIEWED = "viewed", "Consultation"
    EXPORTED = "exported", "Export"
    CREATED = "created", "Création"
    CHANGED = "changed", "Modification"
    ANONYMISED = "anonymised", "Anonymisation"


class Channel(models.TextChoices):
    WEB = "web", "Application"
    API = "api", "API"
    COMMAND = "command", "Commande"
