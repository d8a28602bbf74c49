"""Anonymisation of people with no activity for CLAUSIER_RETENTION_MONTHS (DOMAIN.md §9).

Identity goes: names replaced by a placeholder, birth date, address, notes, prescriber name, the date since
which the person seeks a job, job titles of placements, and every free text written about them (observations of
outcomes, reasons of derogations, of rejected hours and of hours changes, replaced by a placeholder where a rule
requires a reason), and the labels the Django admin's change log keeps of their records. What statistics use
stays (sex, commune, QPV, qualification, prescriber type, criteria flags, dates of placements, hours and
outcomes, and the publics frozen on placements), so every report stays exact. tests/security/
test_anonymisation_fields.py classifies every text and date field of a person's records as cleared or kept.

Last activity = the latest of: the end of the months of hours records, placement end dates, the record's last
update; a person is inactive when it is before the cut-off, exactly CLAUSIER_RETENTION_MONTHS months before today.

Sessions are purged too (`purge_sessions`): expired ones, and data of unexpired ones that must not outlive its
use (the rows of an hours import preview hold names and birth dates).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import CharField, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from audit.choices import AccessAction, Channel
from beneficiaries.calculations import add_months, first_of_month, months_before
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from config.hooks import audit, declarations

PLACEHOLDER_LAST_NAME = "ANONYMISÉ·E"
ERASED_REASON = "Motif effacé lors de l'anonymisation."
DEROGATION_PLACEHOLDER = ERASED_REASON  # a derogation must keep a reason (criterion_derogation_requires_reason)


@dataclass(frozen=True)
class AnonymisationResult:
    cutoff: date
    anonymised: int
    dry_run: bool


def cutoff_date(today: date | None = None, months: int | None = None) -> date:
    today = today or timezone.localdate()
    months = settings.CLAUSIER_RETENTION_MONTHS if months is None else months
    return months_before(today, months)


def inactive_since(cutoff: date):
    """People not yet anonymised whose last activity is before `cutoff`.

    The hours of a month are an activity until the month's last day: a record of the cut-off's month keeps the
    person."""
    start = timezone.make_aware(datetime.combine(cutoff, time.min))
    people = Beneficiary.objects.filter(anonymised_at__isnull=True).annotate(
        last_hours=Max("placements__hours_records__month"), last_end=Max("placements__end_date")
    )
    return people.filter(updated_at__lt=start).filter(
        Q(last_hours__isnull=True) | Q(last_hours__lt=first_of_month(cutoff)),
        Q(last_end__isnull=True) | Q(last_end__lt=cutoff),
    )


RETENTION_WARNING_DAYS = 30


@dataclass(frozen=True)
class RetentionDue:
    beneficiary: Beneficiary
    limit_on: date  # the day the person will have had no activity for CLAUSIER_RETENTION_MONTHS


def reaching_retention_limit(people, today: date, days: int = RETENTION_WARNING_DAYS) -> list[RetentionDue]:
    """People of `people` (a Beneficiary queryset, e.g. visible_to a facilitator) whom `anonymise_inactive` will
    anonymise within `days` from `today` (or at its next run, when the limit has passed): inactive_since the
    cut-off of that day. Soonest first, in one query."""
    found = []
    cutoff = cutoff_date(today + timedelta(days=days))
    for person in inactive_since(cutoff).filter(pk__in=people.values("pk")).order_by("pk"):
        activities = [timezone.localtime(person.updated_at).date()]
        if person.last_hours:
            activities.append(add_months(person.last_hours, 1) - timedelta(days=1))  # the month's last day
        if person.last_end:
            activities.append(person.last_end)
        # The same day CLAUSIER_RETENTION_MONTHS later (months_before with a negative count counts forward).
        found.append(RetentionDue(person, months_before(max(activities), -settings.CLAUSIER_RETENTION_MONTHS)))
    return sorted(found, key=lambda item: (item.limit_on, item.beneficiary.pk))


@transaction.atomic
def anonymise_inactive(*, today: date | None = None, dry_run: bool = False) -> AnonymisationResult:
    cutoff = cutoff_date(today)
    people = list(inactive_since(cutoff).only("pk", "structure_id"))
    if dry_run or not people:
        if not dry_run:
            _forget_admin_labels([])
        return AnonymisationResult(cutoff=cutoff, anonymised=len(people), dry_run=dry_run)
    ids = [person.pk for person in people]
    now = timezone.now()
    Beneficiary.objects.filter(pk__in=ids).update(
        last_name=PLACEHOLDER_LAST_NAME,
        first_name="",
        birth_date=None,
        address="",
        latitude=None,  # the address's location goes with it
        longitude=None,
        notes="",
        prescriber_name="",
        job_seeker_since=None,
        anonymised_at=now,
        updated_at=now,
    )
    Placement.objects.filter(beneficiary__in=ids).update(job_title="")
    Outcome.objects.filter(placement__beneficiary__in=ids).update(notes="")
    BeneficiaryCriterion.objects.filter(beneficiary__in=ids).exclude(derogation_reason="").update(
        derogation_reason=DEROGATION_PLACEHOLDER
    )
    HoursRecord.objects.filter(placement__beneficiary__in=ids).exclude(rejection_reason="").update(
        rejection_reason=ERASED_REASON
    )
    audit.erase_hours_change_reasons(beneficiary_ids=ids, placeholder=ERASED_REASON)
    declarations.forget_proposal_identities(beneficiary_ids=ids, last_name=PLACEHOLDER_LAST_NAME)
    _forget_admin_labels(ids)
    audit.log_accesses(
        user=None,
        beneficiaries=people,
        action=AccessAction.ANONYMISED,
        channel=Channel.COMMAND,
        detail=f"Sans activité depuis le {cutoff:%d/%m/%Y}",
    )
    return AnonymisationResult(cutoff=cutoff, anonymised=len(ids), dry_run=False)


def _forget_admin_labels(ids: list[int]) -> int:
    """The Django admin's change log keeps the label of each object changed there ("BOUVIER Valérie – lot 1")
    and, in its message, those of inline objects: both are replaced by the object's kind and number, for the records
    of the people anonymised and for records deleted since (nothing else holds them any more)."""
    records = {
        Beneficiary: Q(pk__in=ids),
        BeneficiaryCriterion: Q(beneficiary__in=ids),
        Placement: Q(beneficiary__in=ids),
        HoursRecord: Q(placement__beneficiary__in=ids),
        Outcome: Q(placement__beneficiary__in=ids),
    }
    text = LogEntry._meta.get_field("object_id")
    updated = 0
    for model, of_people in records.items():
        as_text = model.objects.order_by().annotate(text_pk=Cast("pk", output_field=text))
        label = Concat(Value(f"{model._meta.verbose_name} n° ", output_field=CharField()), "object_id")
        entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
        gone = ~Q(object_id__in=as_text.values("text_pk"))
        of_anonymised = Q(object_id__in=as_text.filter(of_people).values("text_pk"))
        stale = entries.filter(gone | of_anonymised).exclude(change_message="", object_repr=label)
        updated += stale.update(object_repr=label, change_message="")
    return updated


@dataclass(frozen=True)
class SessionPurge:
    expired: int
    cleaned: int


def purge_sessions(*, keys: Iterable[str], older_than: timedelta, now: datetime | None = None) -> SessionPurge:
    """Delete expired sessions (Django's `clearsessions`), and remove `keys` from the sessions not saved for
    `older_than` (the data of an abandoned import preview, for instance)."""
    now = now or timezone.now()
    engine = import_module(settings.SESSION_ENGINE)
    expired = Session.objects.filter(expire_date__lt=now).count()
    engine.SessionStore.clear_expired()
    # A session's expiry date is its last save plus SESSION_COOKIE_AGE.
    saved_before = now + timedelta(seconds=settings.SESSION_COOKIE_AGE) - older_than
    keys = tuple(keys)
    cleaned = 0
    for session in Session.objects.filter(expire_date__gte=now, expire_date__lt=saved_before).iterator():
        data = session.get_decoded()
        if not any(key in data for key in keys):
            continue
        store = engine.SessionStore(session_key=session.session_key)
        for key in keys:
            store.pop(key, None)
        store.save()
        cleaned += 1
    return SessionPurge(expired=expired, cleaned=cleaned)


__all__ = [
    "AnonymisationResult",
    "SessionPurge",
    "anonymise_inactive",
    "cutoff_date",
    "inactive_since",
    "purge_sessions",
]
