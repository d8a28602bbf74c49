"""Plain choices of the company portal, importable from any layer."""

from django.db import models


class Capacity(models.TextChoices):
    """Why a company reaches a lot (DOMAIN.md §11): it holds it, or it employs people on it for the holder."""

    HOLDER = "holder", "Titulaire du lot"
    EMPLOYER = "employer", "Employeur sur le lot (sous-traitant, intérim, GEIQ, SIAE)"
