"""Plain choices of the company portal, importable from any layer."""

from django.db import models


class Capacity(models.TextChoices):
    """Why a company reaches a lot (DOMAIN.md §11): it holds it, or it employs people on it for the holder."""

    HOLDER = "holder", "Titulaire du lot"
    EMPLOYER = "employer", "Employeur sur le lot (sous-traitant, intérim, GEIQ, SIAE)"


class DeclarationStatus(models.TextChoices):
    """Where a company's monthly declaration of a lot stands (issue 15, point 3)."""

    TO_DECLARE = "to_declare", "À déclarer"
    SUBMITTED = "submitted", "Transmise"
    CORRECTION_REQUESTED = "correction", "Correction demandée"
    RESUBMITTED = "resubmitted", "Retransmise"
    VALIDATED = "validated", "Validée"
    CLOSED = "closed", "Clôturée"


class DeclarationAction(models.TextChoices):
    """One step of a declaration's timeline: a change of status, or the company saving its rows."""

    SAVED = "saved", "Heures enregistrées"
    SUBMITTED = "submitted", "Déclaration transmise"
    CORRECTION_REQUESTED = "correction", "Correction demandée"
    RESUBMITTED = "resubmitted", "Déclaration retransmise"
    VALIDATED = "validated", "Déclaration validée"
    CLOSED = "closed", "Déclaration clôturée"
    REOPENED = "reopened", "Déclaration rouverte"


class ProposalStatus(models.TextChoices):
    """A new person a company proposes for a lot, as the facilitator decides (issue 15, point 2)."""

    PROPOSED = "proposed", "Proposée"
    ACCEPTED = "accepted", "Acceptée"
    REFUSED = "refused", "Refusée"
