"""Anonymisation of people with no activity for CLAUSIER_RETENTION_MONTHS (DOMAIN.md §9).

Identity goes (names replaced by a placeholder, birth date, address, notes, prescriber name, free-text
observations of outcomes and derogation reasons); what statistics use stays (sex, commune, QPV, qualification,
prescriber type, criteria flags, and the publics frozen on placements), so every report stays exact.
Last activity = the latest of: months of hours records, placement end dates, the record's last update.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.models import AccessAction, Channel
from audit.services import log_accesses
from beneficiaries.calculations import add_months
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Outcome

PLACEHOLDER_LAST_NAME = "ANONYMISÉ·E"
DEROGATION_PLACEHOLDER = "Motif effacé lors de l'anonymisation."


@dataclass(frozen=True)
class AnonymisationResult:
    cutoff: date
    anonymised: int
    dry_run: bool


def cutoff_date(today: date | None = None, months: int | None = None) -> date:
    today = today or timezone.localdate()
    months = settings.CLAUSIER_RETENTION_MONTHS if months is None else months
    return add_months(today, -months)


def inactive_since(cutoff: date):
    """People not yet anonymised whose last activity is before `cutoff`."""
    start = timezone.make_aware(datetime.combine(cutoff, time.min))
    people = Beneficiary.objects.filter(anonymised_at__isnull=True).annotate(
        last_hours=Max("placements__hours_records__month"), last_end=Max("placements__end_date")
    )
    return people.filter(updated_at__lt=start).filter(
        Q(last_hours__isnull=True) | Q(last_hours__lt=cutoff), Q(last_end__isnull=True) | Q(last_end__lt=cutoff)
    )


@transaction.atomic
def anonymise_inactive(*, today: date | None = None, dry_run: bool = False) -> AnonymisationResult:
    cutoff = cutoff_date(today)
    people = list(inactive_since(cutoff).only("pk", "structure_id"))
    if dry_run or not people:
        return AnonymisationResult(cutoff=cutoff, anonymised=len(people), dry_run=dry_run)
    ids = [person.pk for person in people]
    now = timezone.now()
    Beneficiary.objects.filter(pk__in=ids).update(
        last_name=PLACEHOLDER_LAST_NAME,
        first_name="",
        birth_date=None,
        address="",
        notes="",
        prescriber_name="",
        anonymised_at=now,
        updated_at=now,
    )
    Outcome.objects.filter(placement__beneficiary__in=ids).update(notes="")
    BeneficiaryCriterion.objects.filter(beneficiary__in=ids).exclude(derogation_reason="").update(
        derogation_reason=DEROGATION_PLACEHOLDER
    )
    log_accesses(
        user=None,
        beneficiaries=people,
        action=AccessAction.ANONYMISED,
        channel=Channel.COMMAND,
        detail=f"Sans activité depuis le {cutoff:%d/%m/%Y}",
    )
    return AnonymisationResult(cutoff=cutoff, anonymised=len(ids), dry_run=False)


__all__ = ["AnonymisationResult", "anonymise_inactive", "cutoff_date", "inactive_since"]
