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


class CompanyAccessAction(models.TextChoices):
    """Events of a company contact's access to a lot (companies.services)."""

    INVITED = "invited", "Invitation envoyée"
    GRANTED = "granted", "Lot ajouté à un compte existant"
    ACCEPTED = "accepted", "Invitation acceptée"
    REVOKED = "revoked", "Accès retiré"
