"""A company proposes a new person for a lot; the facilitator of the lot accepts or refuses (issue 15, point 2).

    proposée ──accept──▶ acceptée (person created or found, placement created, employer = the company)
        └─────refuse──▶ refusée (with a reason the company reads)

Each function checks who acts (the company's access to the lot; an editor of the structure following the market),
locks the proposal's row and refuses a decided proposal with a French ValidationError. Acceptance is one atomic
transaction through beneficiaries.services (create_beneficiary, add_criterion, start_placement: the clause's rules
and the eligibility check are theirs): if any step is refused, nothing is written and the error names its field.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from beneficiaries import services as people
from beneficiaries.choices import Modality
from beneficiaries.models import Beneficiary
from companies.choices import ProposalStatus
from companies.declarations import _check_company, _check_facilitator
from companies.models import CompanyAccess, PersonProposal

MAX_WEEKLY_HOURS = Decimal(48)
DECIDED = "Cette proposition a déjà été examinée ({status}) : on ne peut plus l'accepter ni la refuser."
ALREADY_PROPOSED = "Vous avez déjà proposé cette personne sur ce lot : la facilitatrice ne l'a pas encore examinée."
REASON_MISSING = "Indiquez à l'entreprise pourquoi vous refusez cette personne."
PERSON_FIELDS_MISSING = "Cette personne n'est pas encore suivie par votre structure : indiquez {what}."
# Where a refusal of beneficiaries.services lands on the acceptance form.
ACCEPT_FIELDS = {"end_date", "start_date", "sex", "prescriber_type", "criterion", "validated_on", "evidence_type"}


def _same_person(structure, last_name: str, first_name: str, birth_date: date):
    return (
        Beneficiary.objects.filter(
            structure=structure,
            last_name__iexact=last_name.strip(),
            first_name__iexact=first_name.strip(),
            birth_date=birth_date,
            anonymised_at=None,
        )
        .order_by("pk")
        .first()
    )


def existing_person(proposal: PersonProposal):
    """The person of the structure following the lot with the proposal's name and birth date, if any."""
    return _same_person(proposal.lot.market.facilitator, proposal.last_name, proposal.first_name, proposal.birth_date)


@transaction.atomic
def propose(
    *,
    lot,
    company,
    user,
    last_name: str,
    first_name: str,
    birth_date: date | None,
    modality: str,
    start_date: date | None,
    end_date: date | None = None,
    weekly_hours: Decimal | None = None,
) -> PersonProposal:
    """The company proposes a person for the lot. Every field's refusal at once, on its field."""
    _check_company(user, lot, company)
    last_name, first_name = (last_name or "").strip(), (first_name or "").strip()
    today = timezone.localdate()
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field, message, code):
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if not last_name:
        refuse("last_name", "Indiquez le nom de la personne.", "required")
    if not first_name:
        refuse("first_name", "Indiquez le prénom de la personne.", "required")
    if birth_date is None:
        refuse("birth_date", "Indiquez la date de naissance (JJ/MM/AAAA).", "required")
    elif birth_date >= today or birth_date.year < 1900:
        refuse("birth_date", "Cette date de naissance n'est pas plausible.", "implausible")
    elif (
        start_date
        and (start_date.year - birth_date.year)
        - ((start_date.month, start_date.day) < (birth_date.month, birth_date.day))
        < 16
    ):
        refuse("birth_date", "La personne doit avoir au moins 16 ans au début du contrat.", "too_young")
    if modality not in Modality.values:
        refuse("modality", "Choisissez le type de contrat dans la liste.", "unknown_modality")
    if start_date is None:
        refuse("start_date", "Indiquez la date de début du contrat (JJ/MM/AAAA).", "required")
    elif not lot.start_date <= start_date <= lot.end_date:
        refuse(
            "start_date",
            f"Le contrat doit commencer pendant l'exécution du lot (du {lot.start_date:%d/%m/%Y} "
            f"au {lot.end_date:%d/%m/%Y}).",
            "outside_lot",
        )
    if end_date is not None and start_date is not None and end_date < start_date:
        refuse("end_date", "La fin du contrat ne peut pas précéder son début.", "ends_before_start")
    if weekly_hours is not None and not Decimal(0) < weekly_hours <= MAX_WEEKLY_HOURS:
        refuse("weekly_hours", "Indiquez une durée hebdomadaire entre 0 et 48 heures.", "out_of_range")
    if not errors and (
        PersonProposal.objects.filter(
            lot=lot,
            company=company,
            status=ProposalStatus.PROPOSED,
            last_name__iexact=last_name,
            first_name__iexact=first_name,
            birth_date=birth_date,
        ).exists()
    ):
        refuse(NON_FIELD_ERRORS, ALREADY_PROPOSED, "duplicate")
    if errors:
        raise ValidationError(errors)
    return PersonProposal.objects.create(
        lot=lot,
        company=company,
        proposed_by=user,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        modality=modality,
        start_date=start_date,
        end_date=end_date,
        weekly_hours=weekly_hours,
    )


def _locked(proposal: PersonProposal, user) -> PersonProposal:
    proposal = PersonProposal.objects.select_for_update().select_related("lot__market", "company").get(pk=proposal.pk)
    _check_facilitator(user, proposal.lot)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError(DECIDED.format(status=proposal.get_status_display().lower()), code="decided")
    return proposal


def _on_fields(error: ValidationError) -> ValidationError:
    """A refusal of beneficiaries.services, its fields kept where the acceptance form has them."""
    if not hasattr(error, "error_dict"):
        return error
    mapped: dict[str, list] = {}
    for field, field_errors in error.error_dict.items():
        mapped.setdefault(field if field in ACCEPT_FIELDS else NON_FIELD_ERRORS, []).extend(field_errors)
    return ValidationError(mapped)


@transaction.atomic
def accept(
    *,
    proposal: PersonProposal,
    user,
    end_date: date | None = None,
    sex: str = "",
    prescriber_type: str = "",
    criterion: str = "",
    validated_on: date | None = None,
    evidence_type: str = "",
) -> PersonProposal:
    """Accept: the person (found by name and birth date in the structure, else created with `sex` and
    `prescriber_type`), an eligibility criterion if given, then the placement (clause and eligibility rules of
    start_placement), employer = the company. All or nothing."""
    proposal = _locked(proposal, user)
    lot = proposal.lot
    end_date = end_date or proposal.end_date
    if end_date is None:
        raise ValidationError({"end_date": ValidationError("Indiquez la fin du contrat.", code="required")})
    try:
        with transaction.atomic():
            person = existing_person(proposal)
            if person is None:
                needed = ((sex, "son sexe"), (prescriber_type, "son prescripteur"))
                missing = [label for value, label in needed if not value]
                if missing:
                    what = " et ".join(missing)
                    raise ValidationError(
                        {
                            field: ValidationError(PERSON_FIELDS_MISSING.format(what=what), code="required")
                            for field, value in (("sex", sex), ("prescriber_type", prescriber_type))
                            if not value
                        }
                    )
                person = people.create_beneficiary(
                    structure=lot.market.facilitator,
                    user=user,
                    last_name=proposal.last_name,
                    first_name=proposal.first_name,
                    birth_date=proposal.birth_date,
                    sex=sex,
                    prescriber_type=prescriber_type,
                )
            if criterion:
                if validated_on is None or not evidence_type:
                    raise ValidationError(
                        {
                            "validated_on" if validated_on is None else "evidence_type": ValidationError(
                                "Indiquez la date de validation et le justificatif du critère.", code="required"
                            )
                        }
                    )
                people.add_criterion(
                    beneficiary=person,
                    criterion=criterion,
                    validated_on=validated_on,
                    validated_by=user,
                    evidence_type=evidence_type,
                )
            placement = people.start_placement(
                beneficiary=person,
                lot=lot,
                employer=proposal.company,
                modality=proposal.modality,
                start_date=proposal.start_date,
                end_date=end_date,
                user=user,
            )
    except ValidationError as error:
        raise _on_fields(error) from error
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.placement = placement
    proposal.save(update_fields=["status", "decided_by", "decided_at", "placement"])
    return proposal


@transaction.atomic
def refuse(*, proposal: PersonProposal, user, reason: str) -> PersonProposal:
    """Refuse, with a reason the company reads."""
    proposal = _locked(proposal, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(REASON_MISSING, code="reason_missing")})
    proposal.status = ProposalStatus.REFUSED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.refusal_reason = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
    return proposal


def company_proposals_of(user, lot):
    """The proposals of the contact's companies on the lot, most recent first."""
    companies = CompanyAccess.objects.of_user(user).filter(lot=lot).values("membership__organisation")
    return PersonProposal.objects.filter(lot=lot, company__in=companies).order_by("-proposed_at", "-pk")


def pending_proposals(lot):
    """For the lot's « Déclarations des entreprises » section (structure following the market only)."""
    return PersonProposal.objects.filter(lot=lot, status=ProposalStatus.PROPOSED).select_related("company")
