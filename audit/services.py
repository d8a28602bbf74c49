"""Writes of the audit trail (DOMAIN.md §9). Called explicitly by views, the API, beneficiaries.services and
the anonymisation command; never from signals.

Details written here never quote the person's identity: the journal must stay readable after anonymisation
without revealing who the person was.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AccessAction, AccessLog, Channel, CompanyAccessEvent, HoursChange, OrganisationChange
from beneficiaries import bulk
from beneficiaries.choices import HoursSource, HoursStatus
from config.database import best_effort
from config.formatting import french_month


def _author(user) -> tuple:
    """(user to link, e-mail kept even if the account is deleted); (None, "") outside a user's action."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None, ""
    return user, user.email


READ_ACTIONS = frozenset({AccessAction.VIEWED, AccessAction.EXPORTED})


def author_id(author) -> int | None:
    return author.pk if author is not None else None


def log_access(*, user, beneficiary, action: str, channel: str = Channel.WEB, detail: str = "") -> AccessLog | None:
    """Record that `user` viewed, exported, created, changed or anonymised one person's record.

    The entry of a read (viewed, exported) is written best effort: if the database refuses it (read-only,
    unreachable), the refusal is logged with the entry and the page is served (config.database.best_effort);
    None then. The entry of a change is part of that change and fails with it.
    """
    author, email = _author(user)
    entry = AccessLog(
        user=author,
        user_email=email,
        beneficiary=beneficiary,
        structure_id=beneficiary.structure_id,
        action=action,
        channel=channel,
        detail=detail[:300],
    )
    if action not in READ_ACTIONS:
        entry.save(force_insert=True)
        return entry
    what = f"journal d'accès : {action}, personne n° {beneficiary.pk}, utilisateur·rice n° {author_id(author)}"
    return best_effort(what, lambda: entry.save(force_insert=True) or entry)


def log_accesses(
    *, user, beneficiaries: Iterable, action: str, channel: str = Channel.WEB, detail: str = ""
) -> list[AccessLog]:
    """The same entry for many people at once (an export listing people, the anonymisation); best effort for a
    read, as `log_access`."""
    author, email = _author(user)
    entries = [
        AccessLog(
            user=author,
            user_email=email,
            beneficiary_id=beneficiary.pk,
            structure_id=beneficiary.structure_id,
            action=action,
            channel=channel,
            detail=detail[:300],
        )
        for beneficiary in beneficiaries
    ]
    if action not in READ_ACTIONS:
        return AccessLog.objects.bulk_create(entries)
    people = ", ".join(str(entry.beneficiary_id) for entry in entries)
    what = f"journal d'accès : {action}, personnes n° {people}, utilisateur·rice n° {author_id(author)}"
    return best_effort(what, lambda: AccessLog.objects.bulk_create(entries)) or []


def log_changes(*, user, changes: Iterable[tuple], action: str, channel: str = Channel.WEB) -> list[AccessLog]:
    """The entries of many changes made by `user` at once (an import's batch), one per (person, detail) pair in
    `changes`, in one statement: the same entries as `log_access` called for each, and part of the change."""
    author, email = _author(user)
    return AccessLog.objects.bulk_create(
        [
            AccessLog(
                user=author,
                user_email=email,
                beneficiary_id=beneficiary.pk,
                structure_id=beneficiary.structure_id,
                action=action,
                channel=channel,
                detail=detail[:300],
            )
            for beneficiary, detail in changes
        ],
        batch_size=2000,
    )


def log_views(*, user, beneficiaries: Iterable, channel: str = Channel.WEB, detail: str = "") -> int:
    """One "viewed" entry per person shown on a page or in an API answer (a list, a grid, a form), all written in
    one statement whatever their number. `beneficiaries` holds each person shown (with `pk` and `structure_id`),
    repeats allowed. Returns the number of entries written. Best effort, as every read's entry (`log_access`):
    0 when the database refuses it."""
    people = {person.pk: person.structure_id for person in beneficiaries}
    if not people:
        return 0
    author, email = _author(user)
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (at, author_id(author), email, pk, structure, AccessAction.VIEWED, channel, detail[:300])
        for pk, structure in people.items()
    ]
    what = f"journal d'accès : viewed, {len(rows)} personnes, utilisateur·rice n° {author_id(author)}"
    if best_effort(what, lambda: bulk.insert(AccessLog, ACCESS_LOG_COLUMNS, rows) or True) is None:
        return 0
    return len(rows)


def move_person_entries(*, from_person_id: int, to_person_id: int) -> int:
    """A merge of two records of one person (beneficiaries.duplicates.merge_people): the journal entries of the
    record merged away now belong to the kept record, so its history stays whole."""
    return AccessLog.objects.filter(beneficiary_id=from_person_id).update(beneficiary_id=to_person_id)


def erase_hours_change_reasons(*, beneficiary_ids, placeholder: str) -> int:
    """Anonymisation: the reasons given for the changes of these people's hours records may quote them."""
    return (
        HoursChange.objects.filter(record__placement__beneficiary__in=beneficiary_ids)
        .exclude(reason="")
        .update(reason=placeholder)
    )


# Hours records history.


@dataclass(frozen=True)
class HoursState:
    """The audited values of an hours record at one moment."""

    hours: Decimal
    training_hours: Decimal
    status: str

    @classmethod
    def of(cls, record) -> "HoursState":
        return cls(hours=record.hours, training_hours=record.training_hours, status=record.status)


def _channel_of(record) -> str:
    return Channel.API if record.source == HoursSource.API else Channel.WEB


def _hours_detail(record, before: HoursState | None) -> str:
    month = french_month(record.month)
    by = " par l'entreprise" if record.source == HoursSource.COMPANY and record.status == HoursStatus.DECLARED else ""
    if before is None:
        return f"Relevé d'heures de {month} déclaré{by} (contrat n° {record.placement_id})"
    if before.status != record.status and record.status != HoursStatus.DECLARED:
        verb = "validé" if record.status == HoursStatus.VALIDATED else "rejeté"
        return f"Relevé d'heures de {month} {verb} (contrat n° {record.placement_id})"
    return f"Relevé d'heures de {month} modifié{by} (contrat n° {record.placement_id})"


def _people_of(records) -> dict[int, tuple[int, int]]:
    """(person id, id of the structure following them) of each record's placement, keyed by placement id: from
    the loaded placement and person when there are, else in one query for all the others."""
    from beneficiaries.models import HoursRecord, Placement

    placement_field = HoursRecord._meta.get_field("placement")
    person_field = Placement._meta.get_field("beneficiary")
    people: dict[int, tuple[int, int]] = {}
    missing = set()
    for record in records:
        placement = record.placement if placement_field.is_cached(record) else None
        if placement is not None and person_field.is_cached(placement):
            people[record.placement_id] = (placement.beneficiary_id, placement.beneficiary.structure_id)
        else:
            missing.add(record.placement_id)
    if missing:
        rows = Placement.objects.filter(pk__in=missing).values_list("pk", "beneficiary_id", "beneficiary__structure_id")
        people.update((pk, (person, structure)) for pk, person, structure in rows)
    return people


def _changes(records, before: dict[int, HoursState | None], user, reason: str) -> tuple[list, list]:
    author, email = _author(user)
    people = _people_of(records)
    changes, logs = [], []
    for record in records:
        previous = before.get(record.pk)
        if previous is not None and previous == HoursState.of(record):
            continue
        changes.append(
            HoursChange(
                record_id=record.pk,
                user=author,
                user_email=email,
                hours_before=previous.hours if previous else None,
                training_hours_before=previous.training_hours if previous else None,
                status_before=previous.status if previous else "",
                hours_after=record.hours,
                training_hours_after=record.training_hours,
                status_after=record.status,
                reason=reason,
            )
        )
        person, structure = people[record.placement_id]
        logs.append(
            AccessLog(
                user=author,
                user_email=email,
                beneficiary_id=person,
                structure_id=structure,
                action=AccessAction.CHANGED,
                channel=_channel_of(record),
                detail=_hours_detail(record, previous),
            )
        )
    return changes, logs


@transaction.atomic
def record_hours_change(*, record, user, before: HoursState | None, reason: str = "") -> HoursChange | None:
    """History of one record after it was created (`before` None) or changed; nothing when nothing changed."""
    changes, logs = _changes([record], {record.pk: before}, user, reason)
    AccessLog.objects.bulk_create(logs)
    return HoursChange.objects.bulk_create(changes)[0] if changes else None


HOURS_CHANGE_COLUMNS = (
    "record",
    "at",
    "user",
    "user_email",
    "hours_before",
    "training_hours_before",
    "status_before",
    "hours_after",
    "training_hours_after",
    "status_after",
    "reason",
)
ACCESS_LOG_COLUMNS = ("at", "user", "user_email", "beneficiary", "structure", "action", "channel", "detail")


@transaction.atomic
def record_hours_changes(*, changes: Iterable[tuple], user, reason: str = "", at=None) -> int:
    """`record_hours_change` for many records at once (a batch of hours), written in one statement per table.

    `changes` holds (record, state before or None when created) pairs; a record whose audited values did not
    change gets no history, as with `record_hours_change`. Every entry is dated `at` (now by default).
    Returns the number of history entries written.
    """
    changes = list(changes)
    if not changes:
        return 0
    author, email = _author(user)
    author_id = author.pk if author is not None else None
    at = connection.ops.adapt_datetimefield_value(at or timezone.now())
    people = _people_of([record for record, _ in changes])
    history, logs = [], []
    for record, previous in changes:
        after = HoursState.of(record)
        if previous is not None and previous == after:
            continue
        history.append(
            (
                record.pk,
                at,
                author_id,
                email,
                previous.hours if previous else None,
                previous.training_hours if previous else None,
                previous.status if previous else "",
                after.hours,
                after.training_hours,
                after.status,
                reason,
            )
        )
        person, structure = people[record.placement_id]
        logs.append(
            (
                at,
                author_id,
                email,
                person,
                structure,
                AccessAction.CHANGED,
                _channel_of(record),
                _hours_detail(record, previous)[:300],
            )
        )
    bulk.insert(AccessLog, ACCESS_LOG_COLUMNS, logs)
    bulk.insert(HoursChange, HOURS_CHANGE_COLUMNS, history)
    return len(history)


@contextmanager
def track_hours(*, record_ids: Iterable[int], user, reason: str = ""):
    """Around a bulk update of hours records (validation, rejection): the history of each record changed."""
    from beneficiaries.models import HoursRecord

    record_ids = list(record_ids)
    queryset = HoursRecord.objects.filter(pk__in=record_ids).only(
        "placement", "month", "hours", "training_hours", "status", "source"
    )
    before = {record.pk: HoursState.of(record) for record in queryset}
    yield
    # Written as record_hours_changes does (rows as tuples, one statement per table): a validation of thousands.
    record_hours_changes(
        changes=[(record, before.get(record.pk)) for record in queryset.all()], user=user, reason=reason
    )


def record_organisation_change(*, organisation, user, fields: dict[str, tuple]) -> OrganisationChange | None:
    """History of an organisation's details: `fields` maps each changed field to (before, after)."""
    if not fields:
        return None
    author, email = _author(user)
    return OrganisationChange.objects.create(
        organisation=organisation,
        user=author,
        user_email=email,
        fields={name: [before, after] for name, (before, after) in fields.items()},
    )


def record_company_access(*, access, action: str, user) -> CompanyAccessEvent:
    """Journal of company accounts (companies.services): one event of one access to one lot."""
    author, email = _author(user)
    return CompanyAccessEvent.objects.create(
        access=access,
        structure_id=access.granted_by_id,
        action=action,
        user=author,
        user_email=email,
        contact_email=access.membership.user.email,
    )
