"""Writes on people, their criteria, placements, hours records and outcomes (DOMAIN.md §5–§7).

The only writers of these models: the web forms, the API, the admin (beneficiaries only; the others are read-only
there), imports and commands parse their input and call these functions. Every function takes keyword-only
arguments, runs in a transaction and refuses with a French `ValidationError` keyed by field, with a code
(`{"end_date": [ValidationError(..., code="ends_before_start")]}`), so callers place it without reading its text.
Side effects happen here, once: the reporting summary (`config.hooks.summary`), the hours history and the
access journal of a change made by a user (`config.hooks.audit`).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.choices import AccessAction, Channel
from beneficiaries import bulk, calculations
from beneficiaries.choices import (
    Criterion,
    EvidenceType,
    HoursSource,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    QpvSource,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from config.formatting import french_date, french_figure, french_month
from config.hooks import audit as audit_services
from config.hooks import declarations as declaration_locks
from config.hooks import summary
from organisations.models import InsertionType, OrganisationKind
from territories.geocoding import geocode, geocoding_enabled
from territories.models import Qpv

# Modalities that require an insertion structure of a given type as employer (DOMAIN.md §5).
REQUIRED_INSERTION_TYPES: dict[str, tuple[str, ...]] = {
    Modality.AI_PROVISION: (InsertionType.AI,),
    Modality.ETTI_MISSION: (InsertionType.ETTI,),
    Modality.GEIQ_PROVISION: (InsertionType.GEIQ,),
    Modality.EA_ESAT_SUBCONTRACT: (InsertionType.EA, InsertionType.ESAT),
    Modality.SIAE_SUBCONTRACT: (InsertionType.EI, InsertionType.ETTI, InsertionType.AI, InsertionType.ACI),
}

NO_CLAUSE_MESSAGE = "Ce lot ne porte pas de clause sociale : les heures n'y seraient pas comptées."
CONFLICT_MESSAGE = (
    "Ce relevé a été modifié par quelqu'un d'autre entre-temps : rechargez la page pour voir la dernière "
    "saisie avant de la corriger."
)
REJECTION_REASON_MISSING = "Indiquez le motif du rejet."


class Refusal(str):
    """A French refusal of one row of hours, carrying a code that callers test instead of matching its text,
    and the field at fault when there is one (None: the row as a whole)."""

    code: str
    field: str | None

    def __new__(cls, message: str, code: str, field: str | None = None):
        refusal = super().__new__(cls, message)
        refusal.code = code
        refusal.field = field
        return refusal


def _future_month_refusal(month: date) -> Refusal:
    return Refusal(
        f"Le mois {format_month(month)} n'est pas encore commencé : on ne peut pas saisir d'heures pour un mois futur.",
        "future_month",
        "month",
    )


CONFLICT_REFUSAL = Refusal(CONFLICT_MESSAGE, "conflict")
REVIEW_CONFLICT_MESSAGE = (
    "Un relevé coché a été modifié, validé ou rejeté par quelqu'un d'autre depuis que vous l'avez affiché : "
    "rechargez la page pour voir sa dernière saisie. Aucun relevé n'a été validé ni rejeté."
)
# Rows per query when a batch reads (ids in one IN list) and writes (one INSERT, one UPDATE, one history insert).
BATCH_SIZE = 5000
WRITE_BATCH_SIZE = 2000
PERSON_CHANGE_REFUSED = (
    "Seule une personne suivie par la même structure que la personne actuelle peut reprendre ce contrat."
)
PLACEMENT_FIELDS = frozenset({"beneficiary", "lot", "employer", "modality", "start_date", "end_date", "job_title"})


# Formatting of figures quoted in messages ("1 234,5", "01/03/2025", "03/2025").


format_number = french_figure
format_date = french_date
format_month = french_month


def _clause_of(lot):
    try:
        return lot.clause
    except ObjectDoesNotExist:
        return None


# People.


def _journal(*, user, beneficiary, action: str, channel: str, detail: str = "") -> None:
    """Write a change made by `user` in the person's access journal. A system write (fixtures, seeders, imports
    run by a command: no user) has no author to journal."""
    if user is not None:
        audit_services.log_access(user=user, beneficiary=beneficiary, action=action, channel=channel, detail=detail)


# Fields of a person that the web form, the API and the admin write (structure, identity, residence, path).
BENEFICIARY_FIELDS = frozenset(
    {
        "structure",
        "last_name",
        "first_name",
        "sex",
        "birth_date",
        "address",
        "commune",
        "qpv",
        "latitude",
        "longitude",
        "prescriber_type",
        "prescriber_name",
        "qualification_level",
        "job_seeker_since",
        "notes",
    }
)


def _check_fields(names, allowed: frozenset) -> None:
    unknown = set(names) - allowed
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _clean_and_save(instance, *, exclude=None) -> None:
    """Every rule of the model (field values, cross-field `clean`, constraints), then the save: a refusal is a
    ValidationError keyed by field, with the model's codes."""
    instance.full_clean(exclude=exclude)
    _save_or_refuse(instance)


def _save_or_refuse(instance) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:  # a concurrent write won the race for a unique value
        raise ValidationError(
            "L'enregistrement n'a pas pu être fait : ses données sont incohérentes.", code="integrity"
        ) from error


# Residence: the address, its location and the QPV computed from it.
LOCATION_FIELDS = frozenset({"address", "commune", "qpv", "latitude", "longitude"})
LOCATED_OUTSIDE_COMMUNE = (
    "D'après ces coordonnées, l'adresse est dans le quartier prioritaire « {qpv} », qui n'est pas sur la commune "
    "choisie : vérifiez l'adresse, ses coordonnées ou la commune."
)


def _with_geocoded_location(fields: dict, *, previous: Beneficiary | None) -> dict:
    """When geocoding is on (settings.GEOCODER_URL) and the address or commune changes without coordinates
    typed with it, the address's location from the geocoder. Runs before the transaction (a network call must
    not hold a row lock); a failure is logged and the person is saved as typed (territories.geocoding)."""
    if not geocoding_enabled():
        return fields

    def value(name):
        return fields[name] if name in fields else getattr(previous, name, None)

    typed = any(name in fields and fields[name] != getattr(previous, name, None) for name in ("latitude", "longitude"))
    moved = previous is None or value("address") != previous.address or value("commune") != previous.commune
    if typed or not moved or not value("address"):
        return fields
    commune = value("commune")
    location = geocode(value("address"), citycode=commune.pk if commune else None)
    if location is None:
        return fields
    return {**fields, "latitude": location.latitude, "longitude": location.longitude}


def _place_residence(beneficiary: Beneficiary, *, changed: Iterable[str]) -> None:
    """With coordinates, the QPV is the one whose official outline holds them (or none), `qpv_source` says
    « calculé depuis l'adresse »; without, the QPV picked in the list stands, « saisi ». A commune left empty is
    the computed QPV's when it lies on one commune only."""
    changed = set(changed)
    located = beneficiary.latitude is not None and beneficiary.longitude is not None
    if located and Qpv.objects.filter(outline__isnull=False).exists():
        qpv = Qpv.objects.covering(longitude=float(beneficiary.longitude), latitude=float(beneficiary.latitude))
        entered_unchecked = qpv is None and beneficiary.qpv_id is not None and beneficiary.qpv.outline is None
        if not entered_unchecked:  # a QPV without outline (not in the official list) cannot be checked: kept
            if qpv is not None and beneficiary.commune_id is None:
                communes = list(qpv.communes.all()[:2])
                if len(communes) == 1:
                    beneficiary.commune = communes[0]
            if qpv is not None and not qpv.communes.filter(pk=beneficiary.commune_id).exists():
                raise ValidationError(
                    {"latitude": ValidationError(LOCATED_OUTSIDE_COMMUNE.format(qpv=qpv), code="qpv_outside_commune")}
                )
            beneficiary.qpv = qpv
            beneficiary.qpv_source = QpvSource.COMPUTED
            return
    if beneficiary.qpv_source == QpvSource.COMPUTED or "qpv" in changed or beneficiary.pk is None:
        beneficiary.qpv_source = QpvSource.ENTERED if beneficiary.qpv_id else ""


def create_beneficiary(*, structure, user=None, channel: str = Channel.WEB, **fields) -> Beneficiary:
    """Register a person followed by `structure` (the QPV must lie in the commune: Beneficiary.clean; with
    coordinates, it is computed from them)."""
    fields = _new_person_fields(fields)
    with transaction.atomic():
        beneficiary = _checked_new_person(structure, fields)
        _save_or_refuse(beneficiary)
        _journal(user=user, beneficiary=beneficiary, action=AccessAction.CREATED, channel=channel)
    return beneficiary


def _new_person_fields(fields: dict) -> dict:
    _check_fields(fields, BENEFICIARY_FIELDS - {"structure"})
    return _with_geocoded_location(fields, previous=None)


def _checked_new_person(structure, fields: dict) -> Beneficiary:
    """The person to create, its residence placed and every rule of the model checked (not saved): the one check
    of `create_beneficiary` and `create_beneficiaries`."""
    beneficiary = Beneficiary(structure=structure, **fields)
    _place_residence(beneficiary, changed=fields)
    beneficiary.full_clean()
    return beneficiary


def update_beneficiary(*, beneficiary: Beneficiary, user=None, channel: str = Channel.WEB, **changes) -> Beneficiary:
    """Change a person's identity, residence or path. Placements keep the publics frozen at their start
    (DOMAIN.md §6); the summary copies only the qualification level (the ESF bands) and the structure that follows
    the person (its perimeter), refreshed when either changes."""
    _check_fields(changes, BENEFICIARY_FIELDS)
    changes = _with_geocoded_location(changes, previous=beneficiary)
    with transaction.atomic():
        return _update_beneficiary(beneficiary=beneficiary, user=user, channel=channel, changes=changes)


def _update_beneficiary(*, beneficiary: Beneficiary, user, channel: str, changes: dict) -> Beneficiary:
    beneficiary = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    changed = [name for name, value in changes.items() if getattr(beneficiary, name) != value]
    if not changed:
        return beneficiary
    for name in changed:
        setattr(beneficiary, name, changes[name])
    if LOCATION_FIELDS.intersection(changed):
        qpv_before = beneficiary.qpv_id if "qpv" not in changed else None
        _place_residence(beneficiary, changed=changed)
        if "qpv" not in changed and beneficiary.qpv_id != qpv_before:
            changed.append("qpv")
    _criteria_consistency_errors(beneficiary, changed).raise_if_any()
    _clean_and_save(beneficiary)
    if {"qualification_level", "structure"} & set(changed):  # copied by the summary (ESF bands, perimeter)
        summary.refresh(beneficiary.placements.values_list("pk", flat=True))
    _journal(
        user=user,
        beneficiary=beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail="Identité ou situation modifiée : " + ", ".join(sorted(changed)),
    )
    return beneficiary


def _criteria_consistency_errors(beneficiary: Beneficiary, changed: Iterable[str]) -> "Errors":
    """A change of residence or birth date must keep the person's criteria true: the QPV criterion needs a QPV,
    an age-based criterion its age bound (at its validation and at the start of the placements it serves)."""
    errors = Errors()
    if "qpv" not in changed and "birth_date" not in changed:
        return errors
    held = list(beneficiary.criteria.all())
    if (
        "qpv" in changed
        and beneficiary.qpv_id is None
        and any(criterion.criterion == Criterion.QPV_RESIDENT for criterion in held)
    ):
        errors.add("qpv", QPV_REMOVED_WITH_CRITERION, "qpv_criterion")
    if "birth_date" in changed:
        placements = list(beneficiary.placements.all())
        for criterion in held:
            for refusal in _age_criterion_refusals(
                criterion=criterion.criterion,
                birth_date=beneficiary.birth_date,
                validated_on=criterion.validated_on,
                placements=placements,
            ):
                errors.add(
                    "birth_date",
                    f"Avec cette date de naissance, le critère « {criterion.get_criterion_display()} » ne tient "
                    f"plus. {refusal}",
                    "age",
                )
    return errors


# Placements.


class Errors:
    """Refusals gathered field by field, raised at once as one ValidationError({field: [...]}) with codes."""

    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = defaultdict(list)

    def add(self, field: str | None, message: str, code: str) -> None:
        self.by_field[field or NON_FIELD_ERRORS].append(ValidationError(message, code=code))

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(dict(self.by_field))


def _criteria_of(beneficiary) -> dict[str, date]:
    """The person's criteria: code -> validation date."""
    return dict(beneficiary.criteria.values_list("criterion", "validated_on"))


def _placement_errors(
    *, beneficiary, lot, employer, modality, start_date, end_date, checks: set[str], criteria=None
) -> Errors:
    """French reasons why a placement with these values is refused, by field. `checks` picks the rule groups;
    `criteria` (code -> validation date) are the person's, read from the database when not given."""
    errors = Errors()
    if "eligibility" in checks and criteria is None:
        criteria = _criteria_of(beneficiary)
    clause = _clause_of(lot)
    if clause is None:
        errors.add("lot", NO_CLAUSE_MESSAGE, "no_clause")
        return errors
    if "dates" in checks and start_date and end_date and end_date < start_date:
        errors.add("end_date", "La fin du contrat ne peut pas précéder son début.", "ends_before_start")
    if "employer" in checks:
        if modality not in Modality.values:
            errors.add("modality", "Modalité inconnue.", "unknown_modality")
        elif employer.kind not in (OrganisationKind.COMPANY, OrganisationKind.INSERTION):
            errors.add(
                "employer", "L'employeur doit être une entreprise ou une structure d'insertion.", "employer_kind"
            )
        else:
            if clause.allowed_modalities and modality not in clause.allowed_modalities:
                allowed = ", ".join(clause.allowed_modalities_labels)
                errors.add(
                    "modality",
                    f"La modalité « {Modality(modality).label} » n'est pas admise par la clause de ce lot "
                    f"(modalités admises : {allowed}).",
                    "modality_not_allowed",
                )
            required = REQUIRED_INSERTION_TYPES.get(modality)
            if required and not (employer.kind == OrganisationKind.INSERTION and employer.insertion_type in required):
                types = " ou ".join(InsertionType(code).label for code in required)
                errors.add(
                    "employer",
                    f"La modalité « {Modality(modality).label} » suppose un employeur de type {types}.",
                    "employer_type",
                )
    if "eligibility" in checks and end_date >= timezone.localdate():
        # The age-based criteria the person holds must hold at the start of a running or future placement
        # (DOMAIN.md §6; an ended placement keeps the publics frozen at its start).
        for code in sorted(code for code, on in criteria.items() if code in AGE_BOUNDS and on <= start_date):
            subject = f"Le critère « {Criterion(code).label} »"
            refusal = _age_refusal(code, beneficiary.birth_date, start_date, "début du contrat", subject)
            if refusal:
                errors.add("start_date", refusal, "age")
    if "eligibility" in checks:
        if clause.eligible_criteria:
            validated = {code for code, on in criteria.items() if on <= start_date}
            # An age-based criterion counts only when its bound holds at the start (DOMAIN.md §6).
            held = {code for code in validated if _age_holds(code, beneficiary.birth_date, start_date)}
            if not held & set(clause.eligible_criteria):
                publics = ", ".join(clause.eligible_criteria_labels)
                message = (
                    f"Cette personne ne remplit, au {format_date(start_date)}, aucun des critères d'éligibilité "
                    f"de la clause (publics éligibles : {publics})."
                )
                for code in sorted((validated - held) & set(clause.eligible_criteria)):
                    subject = f"Le critère « {Criterion(code).label} »"
                    message += " " + _age_refusal(code, beneficiary.birth_date, start_date, "début du contrat", subject)
                errors.add("beneficiary", message, "not_eligible")
        if clause.reserved_to_qpv_residents and beneficiary.qpv_id is None:
            errors.add(
                "beneficiary",
                "Cette clause est réservée aux habitant·es d'un quartier prioritaire (QPV).",
                "not_qpv_resident",
            )
    return errors


def _freeze_publics(placement: Placement, criteria: dict[str, date] | None = None) -> None:
    beneficiary = placement.beneficiary
    publics = calculations.frozen_publics(
        start_date=placement.start_date,
        sex=beneficiary.sex,
        birth_date=beneficiary.birth_date,
        lives_in_qpv=beneficiary.qpv_id is not None,
        criteria_validated_on=_criteria_of(beneficiary) if criteria is None else criteria,
    )
    for name, value in vars(publics).items():
        setattr(placement, name, value)
    placement.qpv_at_start_id = beneficiary.qpv_id


def _save_placement(placement: Placement) -> None:
    try:
        with transaction.atomic():
            placement.save()
    except IntegrityError as error:
        raise ValidationError(
            "Le contrat n'a pas pu être enregistré : ses données sont incohérentes.", code="integrity"
        ) from error


@transaction.atomic
def start_placement(
    *,
    beneficiary,
    lot,
    employer,
    modality,
    start_date: date,
    end_date: date,
    job_title: str = "",
    user=None,
    channel: str = Channel.WEB,
) -> Placement:
    """Create a placement after checking the clause rules, with its publics frozen at the start date; written in
    the person's access journal (by `user`)."""
    placement = _checked_new_placement(
        criteria=_criteria_of(beneficiary),
        beneficiary=beneficiary,
        lot=lot,
        employer=employer,
        modality=modality,
        start_date=start_date,
        end_date=end_date,
        job_title=job_title,
    )
    _save_placement(placement)
    # A new placement has no validated hours yet: the summary has nothing to copy until a validation refreshes it.
    _journal(
        user=user,
        beneficiary=beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail=f"Contrat n° {placement.pk} créé",
    )
    return placement


def _checked_new_placement(*, criteria: dict[str, date], job_title: str = "", **fields) -> Placement:
    """The placement to create, checked against the clause rules and its publics frozen (not saved): the one check
    of `start_placement` and `start_placements`. `criteria`: the person's (code -> validation date)."""
    _placement_errors(**fields, checks={"dates", "employer", "eligibility"}, criteria=criteria).raise_if_any()
    placement = Placement(**fields, job_title=job_title)
    _freeze_publics(placement, criteria)
    return placement


def check_person_change(*, placement: Placement, beneficiary: Beneficiary) -> None:
    """A contract changes person only within the structure that follows its current person: another structure
    (the market's, say) never takes the contract, its hours and its history away from it."""
    if beneficiary.pk != placement.beneficiary_id and beneficiary.structure_id != placement.beneficiary.structure_id:
        raise ValidationError({"beneficiary": ValidationError(PERSON_CHANGE_REFUSED, code="other_structure")})


@transaction.atomic
def update_placement(*, placement: Placement, user=None, channel: str = Channel.WEB, **changes) -> Placement:
    """Change a placement. Publics are frozen again only when the start date or the person changes; the change
    is written in the person's access journal, a change of person in the journal of both people (by `user`)."""
    _check_fields(changes, PLACEMENT_FIELDS)
    placement = Placement.objects.select_for_update().select_related("lot", "beneficiary").get(pk=placement.pk)
    changed = {name for name, value in changes.items() if getattr(placement, name) != value}
    if not changed:
        return placement
    previous_person = placement.beneficiary
    if "beneficiary" in changed:
        check_person_change(placement=placement, beneficiary=changes["beneficiary"])
    for name in changed:
        setattr(placement, name, changes[name])
    checks = set()
    if changed & {"start_date", "end_date"}:
        checks.add("dates")
    if changed & {"lot", "employer", "modality"}:
        checks.add("employer")
    if changed & {"lot", "beneficiary", "start_date"}:
        checks.add("eligibility")
    errors = _placement_errors(
        beneficiary=placement.beneficiary,
        lot=placement.lot,
        employer=placement.employer,
        modality=placement.modality,
        start_date=placement.start_date,
        end_date=placement.end_date,
        checks=checks if "lot" not in changed else checks | {"dates", "employer", "eligibility"},
    )
    if changed & {"start_date", "end_date"} and not errors:
        first, last = calculations.first_of_month(placement.start_date), calculations.first_of_month(placement.end_date)
        months = sorted(
            placement.hours_records.exclude(month__gte=first, month__lte=last).values_list("month", flat=True)
        )
        if months:
            listed = ", ".join(format_month(month) for month in months)
            errors.add(
                "start_date" if months[0] < first else "end_date",
                f"Des heures sont déjà déclarées hors de la nouvelle période du contrat ({listed}).",
                "hours_outside_period",
            )
    if changed & {"start_date", "end_date"} and not errors:
        for stage, observed_on in placement.outcomes.order_by("stage").values_list("stage", "observed_on"):
            label = OutcomeStage(stage).label.lower()
            if observed_on < placement.start_date:
                errors.add(
                    "start_date",
                    f"Une sortie ({label}) est constatée le {format_date(observed_on)} : le contrat ne peut pas "
                    "commencer après.",
                    "outcome_before_start",
                )
            elif stage == OutcomeStage.AFTER_6_MONTHS and observed_on < placement.end_date:
                errors.add(
                    "end_date",
                    f"La situation « six mois après » est constatée le {format_date(observed_on)} : le contrat ne "
                    "peut pas finir après.",
                    "outcome_before_end",
                )
    errors.raise_if_any()
    if changed & {"start_date", "beneficiary"}:
        _freeze_publics(placement)
    _save_placement(placement)
    summary.refresh([placement.pk])  # the summary copies the person, lot, modality and publics
    _journal(
        user=user,
        beneficiary=placement.beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail=f"Contrat n° {placement.pk} modifié",
    )
    if "beneficiary" in changed:
        for person, detail in (
            (
                previous_person,
                f"Contrat n° {placement.pk} retiré : attribué à la personne n° {placement.beneficiary_id}",
            ),
            (
                placement.beneficiary,
                f"Contrat n° {placement.pk} attribué (auparavant personne n° {previous_person.pk})",
            ),
        ):
            audit_services.log_access(
                user=user, beneficiary=person, action=AccessAction.CHANGED, channel=channel, detail=detail
            )
    return placement


# Outcomes and criteria.


@transaction.atomic
def record_outcome(
    *,
    placement: Placement,
    stage: str,
    result: str,
    observed_on: date,
    notes: str | None = None,
    user=None,
    channel: str = Channel.WEB,
) -> Outcome:
    """Create or update the outcome of a placement at one stage (end, six months later). `notes` None keeps the
    notes already written (whoever may not read them, e.g. the market's structure, never erases them)."""
    errors = Errors()
    if stage not in OutcomeStage.values:
        errors.add("stage", "Moment de sortie inconnu.", "unknown_stage")
    if result not in OutcomeResult.values:
        errors.add("result", "Situation de sortie inconnue.", "unknown_result")
    if observed_on < placement.start_date:
        errors.add(
            "observed_on",
            f"Une sortie ne peut pas être constatée avant le début du contrat ({format_date(placement.start_date)}).",
            "before_start",
        )
    elif stage == OutcomeStage.AFTER_6_MONTHS and observed_on < placement.end_date:
        errors.add(
            "observed_on",
            "La situation « six mois après » ne peut pas être constatée avant la fin du contrat "
            f"({format_date(placement.end_date)}).",
            "before_end",
        )
    elif observed_on > timezone.localdate():
        errors.add(
            "observed_on",
            "Une sortie ne peut pas être constatée dans le futur "
            f"(nous sommes le {format_date(timezone.localdate())}).",
            "future",
        )
    else:
        other_stage = OutcomeStage.AT_END if stage == OutcomeStage.AFTER_6_MONTHS else OutcomeStage.AFTER_6_MONTHS
        other = placement.outcomes.filter(stage=other_stage).values_list("observed_on", flat=True).first()
        if stage == OutcomeStage.AFTER_6_MONTHS and other is not None and observed_on < other:
            errors.add(
                "observed_on",
                "La situation « six mois après » ne peut pas être constatée avant la sortie en fin de contrat "
                f"({format_date(other)}).",
                "before_end_outcome",
            )
        elif stage == OutcomeStage.AT_END and other is not None and observed_on > other:
            errors.add(
                "observed_on",
                "La sortie en fin de contrat ne peut pas être constatée après la situation « six mois après » "
                f"({format_date(other)}).",
                "after_six_month_outcome",
            )
    errors.raise_if_any()
    try:
        with transaction.atomic():
            outcome, _ = Outcome.objects.update_or_create(
                placement=placement,
                stage=stage,
                defaults={"result": result, "observed_on": observed_on, **({} if notes is None else {"notes": notes})},
            )
    except IntegrityError as error:
        raise ValidationError(
            {"stage": ValidationError("Une sortie est déjà enregistrée pour ce contrat à ce moment.", code="unique")}
        ) from error
    _journal(
        user=user,
        beneficiary=placement.beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail=f"Sortie du contrat n° {placement.pk} enregistrée ({outcome.get_stage_display().lower()})",
    )
    return outcome


CRITERION_DUPLICATE = "Ce critère est déjà enregistré pour cette personne."
# Age-based criteria: (lowest age, first age refused, the bound as read).
AGE_BOUNDS: dict[str, tuple[int, int, str]] = {
    Criterion.YOUTH_LOW_QUALIFICATION: (0, calculations.YOUTH_AGE_LIMIT, "de moins de 26 ans"),
    Criterion.SENIOR_JOB_SEEKER: (calculations.SENIOR_AGE, 200, "de 50 ans et plus"),
}
QPV_CRITERION_WITHOUT_QPV = (
    "Ce critère suppose un quartier prioritaire de résidence : indiquez d'abord le QPV dans l'adresse de la personne."
)
QPV_REMOVED_WITH_CRITERION = (
    "Cette personne a le critère « Habitant·e d'un quartier prioritaire (QPV) » : indiquez son quartier "
    "prioritaire, ou retirez d'abord ce critère."
)


def _age_holds(criterion: str, birth_date: date | None, on: date) -> bool:
    """Does an age-based criterion hold on a date (DOMAIN §6: publics are taken at the placement start)? Other
    criteria, and a person without a birth date, always do."""
    if criterion not in AGE_BOUNDS or birth_date is None:
        return True
    low, high, _ = AGE_BOUNDS[criterion]
    return low <= calculations.age_at(birth_date, on) < high


def _age_refusal(
    criterion: str, birth_date: date | None, on: date, what: str, subject: str = "Ce critère"
) -> str | None:
    """The French refusal of an age-based criterion that does not hold on `on` ("date de validation", "début du
    contrat n° 12"), naming the age on that date; None when it holds."""
    if _age_holds(criterion, birth_date, on):
        return None
    age = calculations.age_at(birth_date, on)
    verb = "aura" if on > timezone.localdate() else "avait"
    return (
        f"{subject} est réservé aux personnes {AGE_BOUNDS[criterion][2]} : cette personne {verb} {age} ans "
        f"le {format_date(on)} ({what})."
    )


def _age_criterion_refusals(
    *, criterion: str, birth_date: date | None, validated_on: date, placements: Iterable[Placement]
) -> list[str]:
    """Why an age-based criterion cannot be held: its age bound must hold on its validation date and at the start
    of each running or future placement of the person that it serves (one starting on or after its validation;
    an ended placement keeps the publics frozen at its start)."""
    if criterion not in AGE_BOUNDS or birth_date is None:
        return []
    today = timezone.localdate()
    checks = [(validated_on, "date de validation")] + [
        (placement.start_date, f"début du contrat n° {placement.pk}")
        for placement in sorted(placements, key=lambda placement: (placement.start_date, placement.pk))
        if placement.start_date >= validated_on and placement.end_date >= today
    ]
    for on, what in checks:
        refusal = _age_refusal(criterion, birth_date, on, what)
        if refusal:
            return [refusal]
    return []


@transaction.atomic
def add_criterion(
    *,
    beneficiary: Beneficiary,
    criterion: str,
    validated_on: date,
    validated_by,
    evidence_type: str,
    derogation_reason: str = "",
    channel: str = Channel.WEB,
) -> BeneficiaryCriterion:
    """Record an eligibility criterion, validated by `validated_by` (who is also the author in the person's
    journal). Past placements keep the publics frozen at their start."""
    derogation_reason = derogation_reason.strip()
    _criterion_errors(
        beneficiary=beneficiary,
        criterion=criterion,
        validated_on=validated_on,
        evidence_type=evidence_type,
        derogation_reason=derogation_reason,
        held=set(beneficiary.criteria.values_list("criterion", flat=True)),
        placements=beneficiary.placements.all(),
    ).raise_if_any()
    try:
        with transaction.atomic():
            added = BeneficiaryCriterion.objects.create(
                beneficiary=beneficiary,
                criterion=criterion,
                validated_on=validated_on,
                validated_by=validated_by,
                evidence_type=evidence_type,
                derogation_reason=derogation_reason,
            )
    except IntegrityError as error:
        raise ValidationError({"criterion": ValidationError(CRITERION_DUPLICATE, code="unique")}) from error
    _journal(
        user=validated_by,
        beneficiary=beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail=_criterion_added(added),
    )
    return added


def _criterion_added(added: BeneficiaryCriterion) -> str:
    return f"Critère ajouté : {added.get_criterion_display()}"


def _criterion_errors(
    *, beneficiary, criterion, validated_on, evidence_type, derogation_reason, held, placements
) -> Errors:
    """Why a criterion cannot be added to the person (`held`: the codes it holds; `placements`: its own): the one
    check of `add_criterion` and `add_criteria`."""
    errors = Errors()
    if criterion not in Criterion.values:
        errors.add("criterion", "Critère d'éligibilité inconnu.", "unknown_criterion")
    if evidence_type not in EvidenceType.values:
        errors.add("evidence_type", "Type de justificatif inconnu.", "unknown_evidence")
    if validated_on > timezone.localdate():
        errors.add("validated_on", "La date de validation ne peut pas être dans le futur.", "future")
    if criterion == Criterion.DEROGATION and not derogation_reason:
        errors.add("derogation_reason", "Une dérogation doit être motivée.", "reason_missing")
    if criterion in held:
        errors.add("criterion", CRITERION_DUPLICATE, "unique")
    for refusal in _age_criterion_refusals(
        criterion=criterion,
        birth_date=beneficiary.birth_date,
        validated_on=validated_on,
        placements=placements,
    ):
        errors.add("criterion", refusal, "age")
    if criterion == Criterion.QPV_RESIDENT and beneficiary.qpv_id is None:
        errors.add("criterion", QPV_CRITERION_WITHOUT_QPV, "qpv_missing")
    return errors


@transaction.atomic
def remove_criterion(*, criterion: BeneficiaryCriterion, user=None, channel: str = Channel.WEB) -> None:
    """Remove a criterion. Placements already started keep the publics frozen at their start (DOMAIN.md §6):
    nothing the summary copies changes."""
    label = criterion.get_criterion_display()
    beneficiary = criterion.beneficiary
    BeneficiaryCriterion.objects.filter(pk=criterion.pk).delete()
    _journal(
        user=user,
        beneficiary=beneficiary,
        action=AccessAction.CHANGED,
        channel=channel,
        detail=f"Critère retiré : {label}",
    )


# Batches of people, criteria and placements (an import): the same checks as the single-row services above,
# through the same functions, then a few statements per batch; all-or-nothing.


class BatchRefused(ValidationError):
    """Rows of a batch refused: `row_errors` maps the index of each refused row to its ValidationError (keyed by
    field, with the codes and messages of the single-row service). Nothing of the batch is written."""

    def __init__(self, row_errors: dict[int, ValidationError]):
        self.row_errors = row_errors
        super().__init__(f"{len(row_errors)} ligne(s) refusée(s) : rien n'a été enregistré.", code="batch_refused")


def _checked_rows(rows: Sequence, check) -> list:
    """`check(row)` for every row; every refusal gathered and raised at once (BatchRefused)."""
    checked, refused = [], {}
    for index, row in enumerate(rows):
        try:
            checked.append(check(row))
        except ValidationError as error:
            refused[index] = error
    if refused:
        raise BatchRefused(refused)
    return checked


def _bulk_insert(model, instances: list) -> None:
    try:
        with transaction.atomic():
            model.objects.bulk_create(instances, batch_size=WRITE_BATCH_SIZE)
    except IntegrityError as error:
        raise ValidationError(
            "L'enregistrement n'a pas pu être fait : ses données sont incohérentes.", code="integrity"
        ) from error


def _journal_many(*, user, changes: list[tuple], action: str, channel: str) -> None:
    """`_journal` of many (person, detail) changes by one author, in one statement."""
    if user is not None and changes:
        audit_services.log_changes(user=user, changes=changes, action=action, channel=channel)


@transaction.atomic
def create_beneficiaries(
    *, structure, user=None, channel: str = Channel.WEB, rows: Sequence[Mapping]
) -> list[Beneficiary]:
    """`create_beneficiary` for each row (its fields), all or none: the same rules and refusals (BatchRefused names
    every refused row), the same journal entries."""
    rows = [_new_person_fields(dict(fields)) for fields in rows]
    people = _checked_rows(rows, lambda fields: _checked_new_person(structure, fields))
    _bulk_insert(Beneficiary, people)
    _journal_many(user=user, changes=[(person, "") for person in people], action=AccessAction.CREATED, channel=channel)
    return people


@transaction.atomic
def add_criteria(*, rows: Sequence[Mapping], channel: str = Channel.WEB) -> list[BeneficiaryCriterion]:
    """`add_criterion` for each row (beneficiary, criterion, validated_on, validated_by, evidence_type and
    optionally derogation_reason), all or none, in order: a criterion given twice for a person is refused on its
    second row as it would be on a second call."""
    people = {row["beneficiary"].pk for row in rows}
    held: dict[int, set[str]] = defaultdict(set)
    for person, code in BeneficiaryCriterion.objects.filter(beneficiary__in=people).values_list(
        "beneficiary", "criterion"
    ):
        held[person].add(code)
    placements: dict[int, list[Placement]] = defaultdict(list)
    for placement in Placement.objects.filter(beneficiary__in=people).order_by():
        placements[placement.beneficiary_id].append(placement)

    def check(row) -> BeneficiaryCriterion:
        beneficiary = row["beneficiary"]
        reason = row.get("derogation_reason", "").strip()
        _criterion_errors(
            beneficiary=beneficiary,
            criterion=row["criterion"],
            validated_on=row["validated_on"],
            evidence_type=row["evidence_type"],
            derogation_reason=reason,
            held=held[beneficiary.pk],
            placements=placements[beneficiary.pk],
        ).raise_if_any()
        held[beneficiary.pk].add(row["criterion"])
        return BeneficiaryCriterion(
            beneficiary=beneficiary,
            criterion=row["criterion"],
            validated_on=row["validated_on"],
            validated_by=row["validated_by"],
            evidence_type=row["evidence_type"],
            derogation_reason=reason,
        )

    added = _checked_rows(rows, check)
    _bulk_insert(BeneficiaryCriterion, added)
    by_author: dict = defaultdict(list)
    for criterion in added:
        by_author[criterion.validated_by].append((criterion.beneficiary, _criterion_added(criterion)))
    for author, changes in by_author.items():
        _journal_many(user=author, changes=changes, action=AccessAction.CHANGED, channel=channel)
    return added


@transaction.atomic
def start_placements(*, rows: Sequence[Mapping], user=None, channel: str = Channel.WEB) -> list[Placement]:
    """`start_placement` for each row (beneficiary, lot, employer, modality, start_date, end_date, optionally
    job_title), all or none: the same clause rules and refusals, the publics frozen by the same function, the same
    journal entries. Like `start_placement`, nothing for the summary to copy yet (no validated hours)."""
    criteria: dict[int, dict[str, date]] = defaultdict(dict)
    for person, code, on in BeneficiaryCriterion.objects.filter(
        beneficiary__in={row["beneficiary"].pk for row in rows}
    ).values_list("beneficiary", "criterion", "validated_on"):
        criteria[person][code] = on
    placements = _checked_rows(
        rows, lambda row: _checked_new_placement(criteria=criteria[row["beneficiary"].pk], **row)
    )
    _bulk_insert(Placement, placements)
    _journal_many(
        user=user,
        changes=[(placement.beneficiary, f"Contrat n° {placement.pk} créé") for placement in placements],
        action=AccessAction.CHANGED,
        channel=channel,
    )
    return placements


# Hours.


class VersionCheck(Enum):
    """The "no check" value of the versions a write of hours expects (see `UNCHECKED`)."""

    UNCHECKED = "unchecked"


# Every write of an hours record names the version its author saw (0: they saw no record), so that a change
# made by someone else in between is refused instead of overwritten. Only system writers that show nothing to
# anybody before writing (the command-line import, the import preview, test fixtures) pass UNCHECKED, explicitly;
# tests/security/test_hours_versions.py fails on any other caller.
UNCHECKED = VersionCheck.UNCHECKED


def _checked_version(value) -> "int | VersionCheck":
    if value is UNCHECKED or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise TypeError(
        f"Invalid expected version {value!r}: pass the version of the record the user saw (0 when they saw none), "
        "or services.UNCHECKED for a system write."
    )


class HoursConflict(ValidationError):
    """A write of hours refused because the record changed since its author saw it (HTTP 409 in the API)."""

    def __init__(self, message: str = CONFLICT_MESSAGE, *, record_ids: Iterable[int] = ()):
        self.record_ids = frozenset(record_ids)
        super().__init__(message, code="conflict")


@dataclass(frozen=True, kw_only=True)
class HoursEntry:
    """One row of a monthly grid or of an import.

    When `invoiced_amount_excl_vat` is given (SIAE subcontract declared as an amount), `hours` is ignored and
    computed from the amount. `expected_version` (required) is the version of the record the user saw, 0 when
    they saw no record; `UNCHECKED` only for a system write.
    """

    placement: Placement
    month: date
    hours: Decimal
    training_hours: Decimal = Decimal("0")
    invoiced_amount_excl_vat: Decimal | None = None
    expected_version: int | VersionCheck

    def __post_init__(self):
        _checked_version(self.expected_version)

    @property
    def checks_version(self) -> bool:
        return self.expected_version is not UNCHECKED

    @property
    def first_day(self) -> date:
        return calculations.first_of_month(self.month)

    @property
    def key(self) -> tuple[int, date]:
        return (self.placement.pk, self.first_day)


@dataclass(frozen=True)
class HoursValues:
    """What an existing record held before a write (shown as "avant → après" by the import preview)."""

    hours: Decimal
    training_hours: Decimal
    invoiced_amount_excl_vat: Decimal | None
    status: str

    @classmethod
    def of(cls, record: HoursRecord) -> "HoursValues":
        return cls(record.hours, record.training_hours, record.invoiced_amount_excl_vat, record.status)


@dataclass(frozen=True)
class DeclarationResult:
    record: HoursRecord
    created: bool
    changed: bool
    warnings: tuple[str, ...]
    version_before: int = 0  # the version the write found (0: no record), which a later write may expect
    previous: HoursValues | None = None  # the record's values before the write (None: no record)
    kept_validated: bool = False  # a validated record the entry would have changed, left as it was (keep_validated)


class HoursBatchError(ValidationError):
    """A batch of hours refused as a whole. `row_errors` maps the index of each faulty entry to its messages."""

    def __init__(self, row_errors: dict[int, list[str]]):
        self.row_errors = row_errors
        super().__init__(
            [f"Ligne {index + 1} : {message}" for index, messages in sorted(row_errors.items()) for message in messages]
        )


def _effective_hours(entry: HoursEntry, clause) -> tuple[Decimal, bool]:
    """(hours to store, converted from an amount?)."""
    if entry.invoiced_amount_excl_vat is None or clause is None:
        return Decimal(entry.hours), False
    return (
        calculations.convert_invoiced_amount(
            invoiced_excl_vat=Decimal(entry.invoiced_amount_excl_vat),
            labour_share=clause.labour_share,
            hourly_cost=clause.hourly_cost,
        ),
        True,
    )


# Bounds of what a figure may be before the rules look at it: the columns' own limits (5 and 12 digits).
MAX_TYPED_HOURS = Decimal("999.99")
MAX_INVOICED_AMOUNT = Decimal("9999999999.99")


def _within(value, bound: Decimal) -> bool:
    """A finite number whose size stays within ±bound (so that rounding it to cents cannot overflow)."""
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return False
    return value.is_finite() and abs(value) <= bound


def _too_precise(value: Decimal) -> bool:
    return Decimal(value) != Decimal(value).quantize(Decimal("0.01"))


def _ai_cap_errors(
    entry: HoursEntry,
    hours: Decimal,
    pending: Iterable[HoursEntry],
    stored: Iterable[tuple[int, date, Decimal]] | None = None,
) -> list[str]:
    """480 h over any 24 consecutive months for one person provided by one AI to one company (DOMAIN.md §5).

    `stored` holds (placement id, month, hours) of the records, not rejected, of the same provision (as loaded
    by `_ai_records` for a whole batch); None reads them here.
    """
    placement = entry.placement
    company_id = placement.lot.contractor_id
    window_start = calculations.add_months(entry.first_day, -(calculations.AI_CAP_WINDOW_MONTHS - 1))
    window_end = calculations.add_months(entry.first_day, calculations.AI_CAP_WINDOW_MONTHS - 1)
    if stored is None:
        stored = _ai_records([entry], window=(window_start, window_end)).get(_provision_of(placement), ())
    hours_by_key: dict[tuple[int, date], Decimal] = {
        (placement_id, month): value for placement_id, month, value in stored if window_start <= month <= window_end
    }
    for other in pending:
        other_placement = other.placement
        if (
            other_placement.modality == Modality.AI_PROVISION
            and other_placement.beneficiary_id == placement.beneficiary_id
            and other_placement.employer_id == placement.employer_id
            and other_placement.lot.contractor_id == company_id
        ):
            other_clause = _clause_of(other_placement.lot)
            hours_by_key[other.key] = _effective_hours(other, other_clause)[0]
    hours_by_key[entry.key] = hours
    by_month: dict[date, Decimal] = defaultdict(Decimal)
    for (_, month), value in hours_by_key.items():
        by_month[month] += value
    excess = calculations.ai_cap_excess(by_month, entry.first_day, by_month[entry.first_day])
    if excess > 0:
        return [
            f"Plafond de mise à disposition par une association intermédiaire dépassé de {format_number(excess)} h : "
            f"au plus {format_number(calculations.AI_CAP_HOURS)} h sur {calculations.AI_CAP_WINDOW_MONTHS} mois "
            "pour une même personne auprès d'une même entreprise."
        ]
    return []


def _provision_of(placement: Placement) -> tuple[int, int, int | None]:
    """(person, AI, company): the scope of the AI cap."""
    return (placement.beneficiary_id, placement.employer_id, placement.lot.contractor_id)


def _ai_records(
    entries: Sequence[HoursEntry], *, window: tuple[date, date] | None = None
) -> dict[tuple, list[tuple[int, date, Decimal]]]:
    """The records, not rejected, of the AI provisions of the entries, grouped by provision, in a few queries.

    Read over the months any entry's cap window reaches (or `window`); each entry's check keeps its own window.
    """
    entries = [entry for entry in entries if entry.placement.modality == Modality.AI_PROVISION]
    if not entries:
        return {}
    if window is None:
        months = [entry.first_day for entry in entries]
        window = (
            calculations.add_months(min(months), -(calculations.AI_CAP_WINDOW_MONTHS - 1)),
            calculations.add_months(max(months), calculations.AI_CAP_WINDOW_MONTHS - 1),
        )
    provisions = {_provision_of(entry.placement) for entry in entries}
    people = sorted({person for person, _, _ in provisions})
    grouped: dict[tuple, list[tuple[int, date, Decimal]]] = defaultdict(list)
    for start in range(0, len(people), BATCH_SIZE):
        rows = (
            HoursRecord.objects.filter(
                placement__beneficiary_id__in=people[start : start + BATCH_SIZE],
                placement__modality=Modality.AI_PROVISION,
                month__gte=window[0],
                month__lte=window[1],
            )
            .exclude(status=HoursStatus.REJECTED)
            .values_list(
                "placement__beneficiary_id",
                "placement__employer_id",
                "placement__lot__contractor_id",
                "placement_id",
                "month",
                "hours",
            )
        )
        for person, employer_id, company_id, placement_id, month, hours in rows:
            provision = (person, employer_id, company_id)
            if provision in provisions:
                grouped[provision].append((placement_id, month, hours))
    return grouped


def _stored_versions(entries: Sequence[HoursEntry]) -> dict[tuple[int, date], int]:
    """Version of the existing record of each entry that expects one, in a few queries."""
    checked = [entry for entry in entries if entry.checks_version]
    return {key: record.version for key, record in _records_of(checked).items()}


def _records_of(entries: Sequence[HoursEntry], *, lock: bool = False) -> dict[tuple[int, date], HoursRecord]:
    """The existing records of the entries keyed by (placement id, month), in one query per BATCH_SIZE placements.

    With `lock`, the rows read are locked (a few more may be: other months of the same placements).
    """
    if not entries:
        return {}
    keys = {entry.key for entry in entries}
    placement_ids = sorted({placement_id for placement_id, _ in keys})
    all_months = sorted({month for _, month in keys})
    records: dict[tuple[int, date], HoursRecord] = {}
    for start in range(0, len(placement_ids), BATCH_SIZE):
        queryset = HoursRecord.objects.filter(
            placement_id__in=placement_ids[start : start + BATCH_SIZE], month__in=all_months
        ).order_by("pk")
        if lock:
            queryset = queryset.select_for_update()
        for record in queryset:
            key = (record.placement_id, record.month)
            if key in keys:
                records[key] = record
    return records


def check_hours_entry(
    entry: HoursEntry,
    *,
    pending: Iterable[HoursEntry] | None = None,
    stored_versions: Mapping[tuple[int, date], int] | None = None,
    ai_records: Mapping[tuple, Sequence[tuple[int, date, Decimal]]] | None = None,
) -> list[str]:
    """French reasons why this entry cannot be recorded (empty when it can). Writes nothing.

    `pending` holds the other entries of the same batch, taken into account for the AI cap. A batch passes
    what it read once for all its entries: `stored_versions` (`_stored_versions`), `ai_records` (`_ai_records`);
    when absent they are read here.
    """
    placement = entry.placement
    lot = placement.lot
    clause = _clause_of(lot)
    month = entry.first_day
    errors: list[str] = []
    if clause is None:
        return [NO_CLAUSE_MESSAGE]
    if entry.checks_version:
        if stored_versions is None:
            stored_versions = _stored_versions([entry])
        if stored_versions.get(entry.key, 0) != entry.expected_version:
            return [CONFLICT_REFUSAL]
    if month > calculations.first_of_month(timezone.localdate()):
        return [_future_month_refusal(month)]
    if not (
        calculations.first_of_month(placement.start_date) <= month <= calculations.first_of_month(placement.end_date)
    ):
        errors.append(
            f"Le mois {format_month(month)} est hors de la période du contrat "
            f"(du {format_date(placement.start_date)} au {format_date(placement.end_date)})."
        )
    if not clause.counts_outside_period and not (
        calculations.first_of_month(lot.start_date) <= month <= calculations.first_of_month(lot.end_date)
    ):
        errors.append(
            f"Le mois {format_month(month)} est hors de la période d'exécution du lot "
            f"(du {format_date(lot.start_date)} au {format_date(lot.end_date)}) : "
            "la clause ne compte pas les heures hors période."
        )
    amount = entry.invoiced_amount_excl_vat
    if amount is None and entry.hours is None:
        errors.append("Indiquez le nombre d'heures.")
        return errors
    # Absurd figures (1E+26, 200 digits) are refused before any arithmetic, which would overflow.
    if amount is not None and not _within(amount, MAX_INVOICED_AMOUNT):
        errors.append(
            f"Le montant facturé est hors des limites (au plus {format_number(MAX_INVOICED_AMOUNT)} € pour un mois)."
        )
        return errors
    if not _within(entry.hours or 0, MAX_TYPED_HOURS) or not _within(entry.training_hours or 0, MAX_TYPED_HOURS):
        errors.append(
            f"Les heures saisies sont hors des limites : au plus {format_number(calculations.MONTHLY_CEILING_HOURS)} h "
            "par mois pour un contrat."
        )
        return errors
    if amount is not None:
        if placement.modality != Modality.SIAE_SUBCONTRACT:
            errors.append("Un montant facturé ne se déclare que pour une sous-traitance ou cotraitance avec une SIAE.")
            return errors
        if amount < 0:
            errors.append("Le montant facturé ne peut pas être négatif.")
            return errors
        if _too_precise(amount):
            errors.append("Le montant facturé se saisit au centime près.")
            return errors
    hours, converted = _effective_hours(entry, clause)
    training = Decimal(entry.training_hours or 0)
    if hours < 0:
        errors.append("Les heures ne peuvent pas être négatives.")
    if training < 0:
        errors.append("Les heures de formation ne peuvent pas être négatives.")
    if _too_precise(hours) or _too_precise(training):
        errors.append("Les heures se saisissent avec au plus deux décimales.")
    if errors:
        return errors
    total = hours + training
    if not calculations.check_monthly_ceiling(hours, training).allowed:
        detail = f"{format_number(total)} h"
        if training:
            detail += f" (dont {format_number(training)} h de formation)"
        if converted:
            detail = f"{format_number(amount)} € facturés, soit {format_number(hours)} h : " + detail
        errors.append(
            f"{detail} dépasse le maximum légal de {format_number(calculations.MONTHLY_CEILING_HOURS)} h "
            "par mois pour un contrat."
        )
        return errors
    if placement.modality == Modality.AI_PROVISION:
        others = [other for other in (pending or ()) if other.key != entry.key]
        stored = None if ai_records is None else ai_records.get(_provision_of(placement), ())
        errors.extend(_ai_cap_errors(entry, hours, others, stored))
    return errors


def _warnings(entry: HoursEntry, hours: Decimal) -> tuple[str, ...]:
    warnings = []
    training = Decimal(entry.training_hours or 0)
    if calculations.check_monthly_ceiling(hours, training).above_full_time:
        warnings.append(
            f"{format_number(hours + training)} h dépasse un temps plein "
            f"({format_number(calculations.FULL_TIME_MONTHLY_HOURS)} h par mois) : vérifiez ce relevé."
        )
    clause = _clause_of(entry.placement.lot)
    if training > 0 and clause is not None and not clause.counts_training_hours:
        warnings.append("Les heures de formation sont enregistrées mais ne comptent pas pour la clause de ce lot.")
    return tuple(warnings)


def _lock(entries: Sequence[HoursEntry]) -> dict[tuple[int, date], HoursRecord]:
    """Lock the existing records of the batch, and the people provided by an AI (their cap spans placements).

    Returns the records locked, keyed by (placement id, month): the batch computes its writes from them.
    """
    if not entries:
        return {}
    people = sorted(
        {entry.placement.beneficiary_id for entry in entries if entry.placement.modality == Modality.AI_PROVISION}
    )
    if people:
        list(Beneficiary.objects.select_for_update().filter(pk__in=people).order_by("pk").values_list("pk"))
    return _records_of(entries, lock=True)


@dataclass
class _Write:
    """What the batch does for one entry: the record (new, changed or left), its state before, its warnings."""

    index: int
    record: HoursRecord
    before: "audit_services.HoursState | None"
    created: bool
    changed: bool
    warnings: tuple[str, ...]
    version_before: int = 0
    previous: HoursValues | None = None
    kept_validated: bool = False


def _plan(
    index: int, entry: HoursEntry, record: HoursRecord | None, *, user, source: str, now, keep_validated: bool = False
) -> _Write:
    """The new state of the entry's record, computed in memory (nothing written). With `keep_validated`, a
    validated record the entry would change is left as it is (`kept_validated`), its version still checked."""
    clause = _clause_of(entry.placement.lot)
    hours, converted = _effective_hours(entry, clause)
    training = Decimal(entry.training_hours or 0)
    amount = entry.invoiced_amount_excl_vat if converted else None
    warnings = _warnings(entry, hours)
    if entry.checks_version and (record.version if record else 0) != entry.expected_version:
        # Checked again on the locked rows: a record created by someone else since the check was not locked then.
        raise HoursBatchError({index: [CONFLICT_REFUSAL]})
    if record is None:
        record = HoursRecord(
            placement=entry.placement,
            month=entry.first_day,
            hours=hours,
            training_hours=training,
            invoiced_amount_excl_vat=amount,
            is_converted=converted,
            status=HoursStatus.DECLARED,
            source=source,
            declared_by=user,
        )
        return _Write(index, record, None, created=True, changed=True, warnings=warnings)
    if (
        record.hours == hours
        and record.training_hours == training
        and record.invoiced_amount_excl_vat == amount
        and record.is_converted == converted
    ):
        return _Write(
            index,
            record,
            None,
            created=False,
            changed=False,
            warnings=warnings,
            version_before=record.version,
            previous=HoursValues.of(record),
        )
    if keep_validated and record.status == HoursStatus.VALIDATED:
        return _Write(
            index,
            record,
            None,
            created=False,
            changed=False,
            warnings=(),
            version_before=record.version,
            previous=HoursValues.of(record),
            kept_validated=True,
        )
    previous = HoursValues.of(record)
    before = audit_services.HoursState.of(record)
    record.placement = entry.placement  # already loaded: the audit reads the person from it
    record.hours = hours
    record.training_hours = training
    record.invoiced_amount_excl_vat = amount
    record.is_converted = converted
    record.status = HoursStatus.DECLARED
    record.source = source
    record.declared_by = user
    record.declared_at = now
    record.reviewed_by = None
    record.reviewed_at = None
    record.rejection_reason = ""
    version_before = record.version
    record.version += 1
    return _Write(
        index,
        record,
        before,
        created=False,
        changed=True,
        warnings=warnings,
        version_before=version_before,
        previous=previous,
    )


# The values a changed record takes whatever its row (see `_plan`); the others are set row by row.
UPDATED_PER_ROW = ("hours", "training_hours", "invoiced_amount_excl_vat", "is_converted")


def _update(records: Sequence[HoursRecord], *, user, source: str, now) -> None:
    """One UPDATE for the changed records: each row's own values, and those common to all."""
    bulk.update(
        HoursRecord,
        UPDATED_PER_ROW,
        [(record.pk, *(getattr(record, name) for name in UPDATED_PER_ROW)) for record in records],
        common={
            "status": HoursStatus.DECLARED,
            "source": source,
            "declared_by": getattr(user, "pk", None),
            "declared_at": connection.ops.adapt_datetimefield_value(now),
            "reviewed_by": None,
            "reviewed_at": None,
            "rejection_reason": "",
        },
        increment=["version"],
    )


def _write_chunk(writes: Sequence[_Write], *, user, source: str, now) -> None:
    """Insert the new records and update the changed ones of a chunk, in one statement each."""
    new = [write.record for write in writes if write.created]
    changed = [write.record for write in writes if write.changed and not write.created]
    if new:
        HoursRecord.objects.bulk_create(new)
    if changed:
        _update(changed, user=user, source=source, now=now)


def _find_refused_row(writes: Sequence[_Write], *, user, source: str, now) -> HoursBatchError:
    """A chunk was refused by the database: write it again row by row to tell which row (rare, slow path)."""
    for write in writes:
        try:
            with transaction.atomic():
                _write_chunk([write], user=user, source=source, now=now)
        except IntegrityError:
            if write.created:
                # Someone created the same record between our check and our insert.
                return HoursBatchError({write.index: [CONFLICT_REFUSAL]})
            return HoursBatchError(
                {write.index: ["Le relevé n'a pas pu être enregistré : ses valeurs sont hors des limites."]}
            )
    return HoursBatchError({writes[0].index: [CONFLICT_REFUSAL]})


def _write(writes: Sequence[_Write], *, user, source: str, now) -> None:
    """Write the planned changes in chunks of WRITE_BATCH_SIZE rows, then their history in one insert per chunk."""
    to_write = [write for write in writes if write.changed]
    for start in range(0, len(to_write), WRITE_BATCH_SIZE):
        chunk = to_write[start : start + WRITE_BATCH_SIZE]
        try:
            with transaction.atomic():
                _write_chunk(chunk, user=user, source=source, now=now)
        except IntegrityError as error:
            for write in chunk:
                if write.created:
                    write.record.pk = None
                    write.record._state.adding = True
            raise _find_refused_row(chunk, user=user, source=source, now=now) from error
        audit_services.record_hours_changes(
            changes=[(write.record, write.before) for write in chunk], user=user, at=now
        )


def _batch_errors(
    entries: Sequence[HoursEntry], *, stored_versions: Mapping[tuple[int, date], int]
) -> dict[int, list[str]]:
    """The refusals of every faulty entry of a batch, by index, the AI cap counting the other entries; the
    stored data the checks need is read once for the whole batch."""
    row_errors = _duplicate_rows(entries)
    # Only the entries of the same AI provision (person, AI, company) matter to an entry's cap: grouping them
    # once keeps a 50,000-row import linear instead of quadratic.
    provisions: dict[tuple, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if entry.placement.modality == Modality.AI_PROVISION:
            provisions[_provision_of(entry.placement)].append(index)
    ai_records = _ai_records(entries)
    for index, entry in enumerate(entries):
        if index in row_errors:
            continue
        group = provisions.get(_provision_of(entry.placement), ())
        others = [entries[other] for other in group if other != index]
        errors = check_hours_entry(entry, pending=others, stored_versions=stored_versions, ai_records=ai_records)
        if errors:
            row_errors[index] = errors
    return row_errors


def check_hours_entries(entries: Sequence[HoursEntry]) -> dict[int, list[str]]:
    """`check_hours_entry` for a batch, in a fixed few queries: the refusals of each faulty entry, by index.
    Writes nothing (and locks nothing: `declare_month` checks again under lock)."""
    entries = list(entries)
    return _batch_errors(entries, stored_versions=_stored_versions(entries))


def _locked_months(entries: Sequence[HoursEntry]) -> dict[tuple[int, date], str]:
    """The refusal, by entry key, of a write into a month a company transmitted or the facilitator validated or
    closed (companies.declarations.lock_months, reached through config.hooks.declarations). Locks those
    declarations first: call it before locking the records, as the declaration workflow does."""
    months = {(entry.placement.lot_id, entry.placement.employer_id, entry.first_day) for entry in entries}
    locked = declaration_locks.lock_months(months)
    if not locked:
        return {}
    return {
        entry.key: locked[key]
        for entry in entries
        if (key := (entry.placement.lot_id, entry.placement.employer_id, entry.first_day)) in locked
    }


def record_warnings(records: Sequence[HoursRecord]) -> dict[int, list[str]]:
    """What the hours rules say today of stored records, by record id: the refusals a write of the same figures would
    get (monthly ceiling, AI cap, outside the placement's or the lot's period) and the warnings it would carry (above
    full time, training hours the clause does not count). The same checks as a write (check_hours_entries,
    `_warnings`), in a fixed few queries; writes nothing. For a reviewer: a record may have become faulty since it
    was written (another placement of the same AI provision, dates changed)."""
    records = list(records)
    entries = [
        HoursEntry(
            placement=record.placement,
            month=record.month,
            hours=record.hours,
            training_hours=record.training_hours,
            invoiced_amount_excl_vat=record.invoiced_amount_excl_vat if record.is_converted else None,
            expected_version=UNCHECKED,
        )
        for record in records
    ]
    refusals = check_hours_entries(entries)
    found: dict[int, list[str]] = {}
    for index, (record, entry) in enumerate(zip(records, entries, strict=True)):
        messages = [str(message) for message in refusals.get(index, [])]
        messages += _warnings(entry, record.hours)
        if messages:
            found[record.pk] = messages
    return found


def _declare(entries: list[HoursEntry], *, user, source: str, keep_validated: bool = False) -> list[DeclarationResult]:
    """Check then write a batch, all or nothing, in a number of queries that does not grow with its rows
    (one per BATCH_SIZE or WRITE_BATCH_SIZE rows). HoursBatchError lists the faulty rows; a row that would change
    a record of a month locked by its company's declaration is one of them."""
    locked_months = _locked_months(entries)
    records = _lock(entries)
    # Reports read the summary, which counts validated records only: a write sets its record back to
    # "declared", so only the placements of records validated until now change there.
    was_validated = {key for key, record in records.items() if record.status == HoursStatus.VALIDATED}
    # The records were just read under lock: their versions are the ones to check.
    row_errors = _batch_errors(entries, stored_versions={key: record.version for key, record in records.items()})
    if row_errors:
        raise HoursBatchError(row_errors)
    now = timezone.now()
    writes = [
        _plan(index, entry, records.get(entry.key), user=user, source=source, now=now, keep_validated=keep_validated)
        for index, entry in enumerate(entries)
    ]
    refused = {
        write.index: [Refusal(locked_months[entries[write.index].key], "declaration_locked")]
        for write in writes
        if write.changed and entries[write.index].key in locked_months
    }
    if refused:
        raise HoursBatchError(refused)
    _write(writes, user=user, source=source, now=now)
    summary.refresh(
        write.record.placement_id
        for write in writes
        if write.changed and (write.record.placement_id, write.record.month) in was_validated
    )
    return [
        DeclarationResult(
            record=write.record,
            created=write.created,
            changed=write.changed,
            warnings=write.warnings,
            version_before=write.version_before,
            previous=write.previous,
            kept_validated=write.kept_validated,
        )
        for write in writes
    ]


@transaction.atomic
def declare_hours(*, entry: HoursEntry, user, source: str = HoursSource.GRID) -> DeclarationResult:
    """Create or update the hours record of one placement and month. A stale `entry.expected_version` raises
    HoursConflict (a ValidationError), any other refusal a ValidationError."""
    try:
        return _declare([entry], user=user, source=source)[0]
    except HoursBatchError as error:
        if any(getattr(refusal, "code", None) == "conflict" for refusal in error.row_errors[0]):
            raise HoursConflict() from error
        by_field: dict[str, list[ValidationError]] = defaultdict(list)
        for refusal in error.row_errors[0]:
            field = getattr(refusal, "field", None) or NON_FIELD_ERRORS
            by_field[field].append(ValidationError(str(refusal), code=getattr(refusal, "code", None)))
        raise ValidationError(dict(by_field)) from error


def _duplicate_rows(entries: Sequence[HoursEntry]) -> dict[int, list[str]]:
    first_row: dict[tuple[int, date], int] = {}
    errors: dict[int, list[str]] = {}
    for index, entry in enumerate(entries):
        if entry.key in first_row:
            errors[index] = [
                f"Ce contrat et ce mois ({format_month(entry.first_day)}) figurent déjà "
                f"à la ligne {first_row[entry.key] + 1}."
            ]
        else:
            first_row[entry.key] = index
    return errors


@transaction.atomic
def declare_month(
    *, entries: Sequence[HoursEntry], user, source: str = HoursSource.GRID, keep_validated: bool = False
) -> list[DeclarationResult]:
    """Record a batch (a monthly grid, an import) all or nothing.

    Every entry is checked first, the AI cap counting the other entries of the batch; if any is refused,
    HoursBatchError carries the messages of every faulty row and nothing is written. A changed record goes back
    to "declared"; with `keep_validated`, a validated record is left as it is instead (`kept_validated`).
    """
    return _declare(list(entries), user=user, source=source, keep_validated=keep_validated)


def _review(
    records: Iterable[HoursRecord],
    *,
    versions: "Mapping[int, int] | VersionCheck",
    from_statuses: Sequence[str],
    declaration_workflow: bool = False,
    **values,
) -> int:
    """Change the status of the records, all or nothing, if each still has the version its reviewer saw.

    `versions` maps each record's id to the version shown to the reviewer (or is UNCHECKED for a system
    write); the versions are compared on the locked rows, so a record changed, validated or rejected in between
    raises HoursConflict and nothing is written. Records not in `from_statuses` are left as they are.

    Records of a month its company transmitted, or the facilitator validated or closed, are refused (ValidationError
    code "declaration_locked") unless `declaration_workflow`: the workflow of companies.declarations, which holds
    that declaration's lock, reviews them itself.
    """
    pks = sorted({record.pk for record in records})
    if versions is not UNCHECKED:
        missing = [pk for pk in pks if pk not in versions]
        if missing:
            raise TypeError(f"No version seen given for the records {missing}.")
        for pk in pks:
            _checked_version(versions[pk])
    if not declaration_workflow:
        months = HoursRecord.objects.filter(pk__in=pks).values_list(
            "placement__lot_id", "placement__employer_id", "month"
        )
        locked = declaration_locks.lock_months(set(months))
        if locked:
            raise ValidationError(" ".join(sorted(set(locked.values()))), code="declaration_locked")
    locked = dict(
        HoursRecord.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk", "version")
    )
    if versions is not UNCHECKED:
        stale = [pk for pk in pks if locked.get(pk) != versions[pk]]
        if stale:
            raise HoursConflict(REVIEW_CONFLICT_MESSAGE, record_ids=stale)
    eligible = list(HoursRecord.objects.filter(pk__in=pks, status__in=from_statuses).values_list("pk", flat=True))
    with audit_services.track_hours(
        record_ids=eligible, user=values.get("reviewed_by"), reason=values.get("rejection_reason", "")
    ):
        count = HoursRecord.objects.filter(pk__in=eligible).update(
            reviewed_at=timezone.now(), version=F("version") + 1, **values
        )
    if HoursStatus.VALIDATED in (values["status"], *from_statuses):  # the summary counts validated records only
        summary.refresh(HoursRecord.objects.filter(pk__in=eligible).values_list("placement_id", flat=True).distinct())
    return count


@transaction.atomic
def validate_hours(
    *,
    records: Iterable[HoursRecord],
    versions: "Mapping[int, int] | VersionCheck",
    user,
    declaration_workflow: bool = False,
) -> int:
    """Validate declared (or previously rejected) records; returns how many were validated.

    `versions`: the version of each record (by id) its reviewer saw, or UNCHECKED for a system write.
    `declaration_workflow`: only companies.declarations, on the month it holds locked (see `_review`)."""
    return _review(
        records,
        versions=versions,
        declaration_workflow=declaration_workflow,
        from_statuses=[HoursStatus.DECLARED, HoursStatus.REJECTED],
        status=HoursStatus.VALIDATED,
        reviewed_by=user,
        rejection_reason="",
    )


@transaction.atomic
def reject_hours(
    *,
    records: Iterable[HoursRecord],
    versions: "Mapping[int, int] | VersionCheck",
    user,
    reason: str,
    declaration_workflow: bool = False,
) -> int:
    """Reject declared records with a reason; returns how many were rejected. `versions`, `declaration_workflow`:
    see validate_hours."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REJECTION_REASON_MISSING, code="reason_missing")
    return _review(
        records,
        versions=versions,
        declaration_workflow=declaration_workflow,
        from_statuses=[HoursStatus.DECLARED],
        status=HoursStatus.REJECTED,
        reviewed_by=user,
        rejection_reason=reason,
    )
