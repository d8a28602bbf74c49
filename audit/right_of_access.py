"""Right of access (RGPD art. 15): everything Clausier holds on one person, as plain French data.

One function builds the data; the HTML page and the JSON download both render it, so they never differ.
"""

from datetime import date, datetime

from django.utils import timezone

from audit.models import AccessLog, HoursChange
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from config.formatting import french_date, french_figure, french_month


def _date(value: date | None) -> str:
    return french_date(value) if value else ""


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _who(user) -> str:
    return user.email if user else ""


def person_data(beneficiary: Beneficiary) -> dict:
    """Identity, criteria, placements with their hours (and history) and outcomes, and the access journal."""
    person = Beneficiary.objects.select_related("structure", "commune", "qpv").get(pk=beneficiary.pk)
    criteria = BeneficiaryCriterion.objects.filter(beneficiary=person).select_related("validated_by")
    placements = list(
        Placement.objects.filter(beneficiary=person).select_related("lot__market__buyer", "employer", "qpv_at_start")
    )
    records = HoursRecord.objects.filter(placement__beneficiary=person).order_by("placement", "month")
    records_by_placement: dict[int, list] = {}
    for record in records.select_related("declared_by", "reviewed_by"):
        records_by_placement.setdefault(record.placement_id, []).append(record)
    changes_by_record: dict[int, list] = {}
    for change in HoursChange.objects.filter(record__placement__beneficiary=person).order_by("at", "pk"):
        changes_by_record.setdefault(change.record_id, []).append(change)
    outcomes_by_placement: dict[int, list] = {}
    for outcome in Outcome.objects.filter(placement__beneficiary=person).order_by("stage"):
        outcomes_by_placement.setdefault(outcome.placement_id, []).append(outcome)
    journal = AccessLog.objects.filter(beneficiary=person).order_by("at", "pk")

    return {
        "document": "Données détenues sur une personne (droit d'accès, article 15 du RGPD)",
        "édité le": _moment(timezone.now()),
        "responsable du suivi": person.structure.name,
        "identité": {
            "numéro": person.pk,
            "nom": person.last_name,
            "prénom": person.first_name,
            "sexe": person.get_sex_display(),
            "date de naissance": _date(person.birth_date),
            "adresse": person.address,
            "commune de résidence": str(person.commune) if person.commune else "",
            "quartier prioritaire (QPV)": str(person.qpv) if person.qpv else "",
            "type de prescripteur": person.get_prescriber_type_display(),
            "prescripteur": person.prescriber_name,
            "niveau de qualification": person.get_qualification_level_display(),
            "demandeur·se d'emploi depuis": _date(person.job_seeker_since),
            "observations": person.notes,
            "enregistré·e le": _moment(person.created_at),
            "modifié·e le": _moment(person.updated_at),
            "anonymisé·e le": _moment(person.anonymised_at),
        },
        "critères d'éligibilité": [
            {
                "critère": criterion.get_criterion_display(),
                "validé le": _date(criterion.validated_on),
                "validé par": _who(criterion.validated_by),
                "justificatif": criterion.get_evidence_type_display(),
                "motif de la dérogation": criterion.derogation_reason,
            }
            for criterion in criteria
        ],
        "contrats et missions": [
            _placement_data(p, records_by_placement, changes_by_record, outcomes_by_placement) for p in placements
        ],
        "journal des accès et modifications": [
            {
                "le": _moment(entry.at),
                "par": entry.user_email,
                "action": entry.get_action_display(),
                "par le biais de": entry.get_channel_display(),
                "détail": entry.detail,
            }
            for entry in journal
        ],
    }


def _placement_data(placement, records_by_placement, changes_by_record, outcomes_by_placement) -> dict:
    publics = [
        label
        for flag, label in (
            ("is_woman", "femme"),
            ("is_youth", "jeune de moins de 26 ans"),
            ("is_senior", "senior de 50 ans et plus"),
            ("is_qpv_resident", "habitant·e d'un QPV"),
            ("is_rqth", "RQTH"),
            ("is_long_term_job_seeker", "demandeur·se d'emploi de longue durée"),
            ("is_rsa", "allocataire du RSA"),
        )
        if getattr(placement, flag)
    ]
    return {
        "numéro": placement.pk,
        "marché": str(placement.lot.market),
        "acheteur": placement.lot.market.buyer.name,
        "lot": str(placement.lot),
        "employeur": placement.employer.name,
        "modalité": placement.get_modality_display(),
        "début": _date(placement.start_date),
        "fin": _date(placement.end_date),
        "poste": placement.job_title,
        "âge au début": placement.age_at_start,
        "publics retenus au début": publics,
        "heures": [
            {
                "mois": french_month(record.month),
                "heures d'insertion": french_figure(record.hours),
                "heures de formation": french_figure(record.training_hours),
                "statut": record.get_status_display(),
                "déclaré par": _who(record.declared_by),
                "déclaré le": _moment(record.declared_at),
                "validé ou rejeté par": _who(record.reviewed_by),
                "motif du rejet": record.rejection_reason,
                "historique": [
                    {
                        "le": _moment(change.at),
                        "par": change.user_email,
                        "avant": ""
                        if change.is_creation
                        else f"{french_figure(change.hours_before)} h, formation "
                        f"{french_figure(change.training_hours_before)} h, {change.status_before_label.lower()}",
                        "après": f"{french_figure(change.hours_after)} h, formation "
                        f"{french_figure(change.training_hours_after)} h, {change.status_after_label.lower()}",
                    }
                    for change in changes_by_record.get(record.pk, [])
                ],
            }
            for record in records_by_placement.get(placement.pk, [])
        ],
        "sorties": [
            {
                "moment": outcome.get_stage_display(),
                "situation": outcome.get_result_display(),
                "constatée le": _date(outcome.observed_on),
                "observations": outcome.notes,
            }
            for outcome in outcomes_by_placement.get(placement.pk, [])
        ],
    }


def as_nodes(data: dict) -> list[dict]:
    """The same data as nested nodes for the HTML page (label, and text, children or entries)."""
    nodes = []
    for label, value in data.items():
        if isinstance(value, dict):
            nodes.append({"label": label, "kind": "group", "children": as_nodes(value)})
        elif isinstance(value, list) and all(isinstance(item, dict) for item in value):
            nodes.append({"label": label, "kind": "list", "entries": [as_nodes(item) for item in value]})
        elif isinstance(value, list):
            nodes.append({"label": label, "kind": "text", "text": ", ".join(str(item) for item in value)})
        else:
            nodes.append({"label": label, "kind": "text", "text": "" if value is None else str(value)})
    return nodes
