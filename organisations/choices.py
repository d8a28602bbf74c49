"""Kinds of organisations and roles of their members: plain choices, importable from any layer."""

from django.db import models


class OrganisationKind(models.TextChoices):
    FACILITATION = "facilitation", "Structure de facilitation"
    BUYER = "buyer", "Acheteur"
    COMPANY = "company", "Entreprise"
    INSERTION = "insertion", "Structure d'insertion"
    COORDINATION = "coordination", "Coordination régionale"


class BuyerType(models.TextChoices):
    STATE = "state", "État"
    REGION = "region", "Région"
    DEPARTMENT = "department", "Département"
    MUNICIPALITY = "municipality", "Commune ou intercommunalité"
    SOCIAL_LANDLORD = "social_landlord", "Bailleur social"
    HOSPITAL = "hospital", "Établissement hospitalier"
    OTHER_PUBLIC = "other_public", "Autre organisme public"
    PRIVATE = "private", "Acheteur privé"


class InsertionType(models.TextChoices):
    EI = "ei", "Entreprise d'insertion (EI)"
    ETTI = "etti", "Entreprise de travail temporaire d'insertion (ETTI)"
    AI = "ai", "Association intermédiaire (AI)"
    ACI = "aci", "Atelier et chantier d'insertion (ACI)"
    GEIQ = "geiq", "Groupement d'employeurs pour l'insertion et la qualification (GEIQ)"
    EA = "ea", "Entreprise adaptée (EA)"
    ESAT = "esat", "Établissement et service d'aide par le travail (ESAT)"


class Role(models.TextChoices):
    ADMIN = "admin", "Administrateur·rice"
    MEMBER = "member", "Membre"
    READER = "reader", "Lecteur·rice"
