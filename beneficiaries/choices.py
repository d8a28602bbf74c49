"""Enumerations of the insertion domain (DOMAIN.md §5–§7), shared by clauses and beneficiaries."""

from django.db import models


class Modality(models.TextChoices):
    # Direct hire by the contractor.
    HIRE_CDI = "hire_cdi", "Embauche directe en CDI"
    HIRE_CDD = "hire_cdd", "Embauche directe en CDD"
    HIRE_APPRENTICESHIP = "hire_apprenticeship", "Contrat d'apprentissage"
    HIRE_PROFESSIONALISATION = "hire_professionalisation", "Contrat de professionnalisation"
    HIRE_OTHER = "hire_other", "Autre embauche directe"
    # Provision of staff.
    ETTI_MISSION = "etti_mission", "Mission d'intérim via une ETTI"
    AI_PROVISION = "ai_provision", "Mise à disposition par une AI"
    GEIQ_PROVISION = "geiq_provision", "Mise à disposition par un GEIQ"
    TEMP_AGENCY = "temp_agency", "Intérim classique"
    # Subcontracting or co-contracting.
    SIAE_SUBCONTRACT = "siae_subcontract", "Sous-traitance ou cotraitance avec une SIAE"
    EA_ESAT_SUBCONTRACT = "ea_esat_subcontract", "Sous-traitance ou cotraitance avec une EA ou un ESAT"
    # Market-level mechanisms.
    RESERVED_MARKET = "reserved_market", "Marché réservé"
    INSERTION_MARKET = "insertion_market", "Marché d'insertion et de qualification"


class Criterion(models.TextChoices):
    LONG_TERM_JOB_SEEKER = "long_term_job_seeker", "Demandeur·se d'emploi de longue durée (12 mois et plus)"
    VERY_LONG_TERM_JOB_SEEKER = (
        "very_long_term_job_seeker",
        "Demandeur·se d'emploi de très longue durée (24 mois et plus)",
    )
    RSA = "rsa", "Allocataire du RSA"
    ASS = "ass", "Allocataire de l'ASS"
    AAH = "aah", "Allocataire de l'AAH"
    INVALIDITY = "invalidity", "Bénéficiaire d'une pension d'invalidité"
    RQTH = "rqth", "Reconnaissance de la qualité de travailleur handicapé (RQTH)"
    YOUTH_LOW_QUALIFICATION = (
        "youth_low_qualification",
        "Jeune de moins de 26 ans peu qualifié ou sorti du système scolaire depuis 6 mois",
    )
    SENIOR_JOB_SEEKER = "senior_job_seeker", "Demandeur·se d'emploi de 50 ans et plus"
    QPV_RESIDENT = "qpv_resident", "Habitant·e d'un quartier prioritaire (QPV)"
    SIAE_GEIQ_EMPLOYEE = "siae_geiq_employee", "Salarié·e d'une SIAE ou d'un GEIQ"
    EPIDE_E2C = "epide_e2c", "EPIDE ou école de la deuxième chance"
    JUSTICE = "justice", "Personne placée sous main de justice"
    DEROGATION = "derogation", "Dérogation sur avis motivé d'un prescripteur"


# Disability-related criteria are sensitive (DOMAIN.md §9): bare flags, restricted visibility.
SENSITIVE_CRITERIA = frozenset({Criterion.AAH, Criterion.INVALIDITY, Criterion.RQTH})


class EvidenceType(models.TextChoices):
    FRANCE_TRAVAIL_CERTIFICATE = "france_travail_certificate", "Attestation France Travail"
    CAF_CERTIFICATE = "caf_certificate", "Attestation CAF ou MSA"
    MDPH_DECISION = "mdph_decision", "Notification MDPH"
    PENSION_CERTIFICATE = "pension_certificate", "Attestation de pension"
    ID_AND_ADDRESS = "id_and_address", "Pièce d'identité et justificatif de domicile"
    PRESCRIBER_OPINION = "prescriber_opinion", "Avis motivé du prescripteur"
    SCHOOL_CERTIFICATE = "school_certificate", "Certificat de scolarité ou d'établissement"
    EMPLOYER_CERTIFICATE = "employer_certificate", "Attestation de l'employeur"
    JUSTICE_CERTIFICATE = "justice_certificate", "Attestation des services de la justice"
    SWORN_STATEMENT = "sworn_statement", "Déclaration sur l'honneur"
    OTHER = "other", "Autre justificatif"


class PrescriberType(models.TextChoices):
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    MISSION_LOCALE = "mission_locale", "Mission locale"
    CAP_EMPLOI = "cap_emploi", "Cap emploi"
    PLIE = "plie", "PLIE"
    SIAE = "siae", "SIAE"
    DEPARTMENT = "department", "Département"
    CCAS = "ccas", "CCAS"
    MDPH = "mdph", "MDPH"
    JUSTICE = "justice", "Services de la justice"
    OTHER = "other", "Autre"


class QualificationLevel(models.TextChoices):
    BELOW_3 = "below_3", "Infra niveau 3"
    LEVEL_3 = "level_3", "Niveau 3 (CAP, BEP)"
    LEVEL_4 = "level_4", "Niveau 4 (bac)"
    LEVEL_5_PLUS = "level_5_plus", "Niveau 5 et plus"


class Sex(models.TextChoices):
    FEMALE = "F", "Femme"
    MALE = "M", "Homme"


class QpvSource(models.TextChoices):
    """How a person's QPV (or the absence of one) was set."""

    ENTERED = "entered", "saisi"
    COMPUTED = "computed", "calculé depuis l'adresse"


class HoursStatus(models.TextChoices):
    DECLARED = "declared", "Déclarées"
    VALIDATED = "validated", "Validées"
    REJECTED = "rejected", "Rejetées"


class HoursSource(models.TextChoices):
    GRID = "grid", "Saisie mensuelle"
    IMPORT = "import", "Import de relevé"
    API = "api", "API"
    ADMIN = "admin", "Administration"
    DEMO = "demo", "Données de démonstration"
    COMPANY = "company", "Déclaration entreprise"


class OutcomeStage(models.TextChoices):
    AT_END = "at_end", "À la fin du contrat"
    AFTER_6_MONTHS = "after_6_months", "Six mois après"


class OutcomeResult(models.TextChoices):
    DURABLE_CDI = "durable_cdi", "Emploi durable : CDI"
    DURABLE_CDD = "durable_cdd", "Emploi durable : CDD de 6 mois ou plus"
    DURABLE_BUSINESS = "durable_business", "Emploi durable : création d'entreprise"
    DURABLE_TEMP = "durable_temp", "Emploi durable : mission d'intérim de 6 mois ou plus"
    TRAINING = "training", "Formation qualifiante"
    TRANSITIONAL_SHORT_CDD = "transitional_short_cdd", "Emploi de transition : CDD de moins de 6 mois"
    TRANSITIONAL_TEMP = "transitional_temp", "Emploi de transition : intérim"
    TRANSITIONAL_SUBSIDISED = "transitional_subsidised", "Emploi de transition : contrat aidé"
    TRANSITIONAL_SIAE = "transitional_siae", "Emploi de transition : poste en SIAE"
    JOB_SEEKING = "job_seeking", "En recherche d'emploi"
    DROPPED_OUT = "dropped_out", "Abandon"
    UNKNOWN = "unknown", "Situation inconnue"


# Durable employment, the national definition (DOMAIN.md §8): CDI, CDD or temp mission of 6 months or more, business
# creation.
DURABLE_OUTCOMES = frozenset(
    {OutcomeResult.DURABLE_CDI, OutcomeResult.DURABLE_CDD, OutcomeResult.DURABLE_TEMP, OutcomeResult.DURABLE_BUSINESS}
)
