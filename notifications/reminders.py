"""Reminders to companies (issue 16, point 3): the daily job `send_company_reminders`.

The rule. A company declares month M by the deadline day D of month M+1, D being the
`declaration_deadline_day` of the facilitation structure following the lot's market (5 by default, 1 to 28). The
daily job looks at the previous month M only:

- from D−3 to D (included), a first reminder (« before ») to each contact of the company with an active access to
  a lot where month M is still to declare;
- from D+1 to the end of month M+1, a second one (« after »), with the structure's facilitators (its admins and
  members) in copy.

Month M is still to declare for a company on a lot when the company employs someone on the lot during M
(companies.declarations.rows_of), its declaration of M is « à déclarer » (or not started), and some of its rows is
neither « aucune activité » (a record of 0 h and 0 h of training) nor already validated by the structure. A month
transmitted, under correction, validated or closed, or declared « aucune activité » for every row, gets nothing.

One message per contact, company, structure and kind lists the lots due; each (contact, kind, company, lot, month)
is a SentNotification row, created in the same transaction as the task that sends the message: a unique
constraint makes the reminder go out once, however often (or concurrently) the job runs. The task checks again
when it runs: a month declared in between, an access revoked or the contact's setting turned off send nothing.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from beneficiaries.calculations import add_months, first_of_month
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from companies.choices import DeclarationStatus
from companies.declarations import declaration_deadline, rows_of
from companies.models import CompanyAccess, Declaration
from config.formatting import french_date, french_month
from notifications import preferences
from notifications.mail import absolute_url, send_templated
from notifications.models import SentNotification
from notifications.retry import retried_task
from organisations.choices import OrganisationKind, Role
from organisations.models import Organisation, User

KIND = "company_reminder"  # the notification setting (preferences.KINDS)
BEFORE, AFTER = "before", "after"
SENT_KIND = {BEFORE: "company_reminder_before", AFTER: "company_reminder_after"}
DAYS_BEFORE = 3


def declared_month(today: date) -> date:
    """The month whose declaration is due this month: the previous one."""
    return add_months(first_of_month(today), -1)


def deadline(structure, month: date) -> date:
    """The day by which `month` is declared to `structure` (the rule of the work queue's late list too)."""
    return declaration_deadline(month, day=structure.declaration_deadline_day)


def step_on(today: date, due: date) -> str | None:
    """Which reminder goes out on `today` for a month due on `due` (None: neither)."""
    if due - timedelta(days=DAYS_BEFORE) <= today <= due:
        return BEFORE
    if today > due and (today.year, today.month) == (due.year, due.month):
        return AFTER
    return None


def still_to_declare(*, lot, company, month: date) -> bool:
    declaration = Declaration.objects.filter(lot=lot, company=company, month=month).only("status").first()
    if declaration is not None and declaration.status != DeclarationStatus.TO_DECLARE:
        return False
    rows = set(rows_of(lot=lot, company=company, month=month).values_list("pk", flat=True))
    if not rows:
        return False
    settled = HoursRecord.objects.filter(placement__in=rows, month=month).filter(
        Q(hours=0, training_hours=0) | Q(status=HoursStatus.VALIDATED)
    )
    return bool(rows - set(settled.values_list("placement_id", flat=True)))


def facilitators_of(structure) -> list[str]:
    """The addresses put in copy of a second reminder: the structure's active admins and members."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation=structure,
            memberships__role__in=(Role.ADMIN, Role.MEMBER),
        )
        .order_by("email")
        .values_list("email", flat=True)
    )


@dataclass
class Due:
    """One message to queue: a contact, its company, the structure, the step, and the lots due."""

    user: User
    company_id: int
    structure_id: int
    step: str
    lot_ids: list[int] = field(default_factory=list)


def due_reminders(today: date) -> list[Due]:
    month = declared_month(today)
    month_end = add_months(month, 1) - timedelta(days=1)
    accesses = (
        CompanyAccess.objects.active()
        .filter(
            membership__user__is_active=True,
            lot__start_date__lte=month_end,
            lot__end_date__gte=month,
            lot__market__facilitator__kind=OrganisationKind.FACILITATION,
        )
        .select_related("lot__market__facilitator", "membership__user", "membership__organisation")
        .order_by("membership__user_id", "membership__organisation_id", "lot_id")
    )
    groups: dict[tuple, Due] = {}
    checked: dict[tuple[int, int], bool] = {}
    for access in accesses:
        structure = access.lot.market.facilitator
        step = step_on(today, deadline(structure, month))
        if step is None:
            continue
        company = access.membership.organisation
        key = (access.lot_id, company.pk)
        if key not in checked:
            checked[key] = still_to_declare(lot=access.lot, company=company, month=month)
        if not checked[key]:
            continue
        user = access.membership.user
        group = groups.setdefault((user.pk, company.pk, structure.pk, step), Due(user, company.pk, structure.pk, step))
        group.lot_ids.append(access.lot_id)
    return list(groups.values())


def queue_reminders(today: date | None = None) -> int:
    """Queue the reminders due today; returns how many messages were queued (0 on a second run the same day)."""
    today = today or timezone.localdate()
    month = declared_month(today)
    queued = 0
    for due in due_reminders(today):
        if not preferences.allowed(due.user, KIND):
            continue
        kind = SENT_KIND[due.step]
        already = set(
            SentNotification.objects.filter(
                user=due.user, kind=kind, company_id=due.company_id, month=month, lot__in=due.lot_ids
            ).values_list("lot_id", flat=True)
        )
        lot_ids = [lot_id for lot_id in due.lot_ids if lot_id not in already]
        if not lot_ids:
            continue
        try:
            with transaction.atomic():
                SentNotification.objects.bulk_create(
                    [
                        SentNotification(
                            user=due.user, kind=kind, company_id=due.company_id, lot_id=lot_id, month=month
                        )
                        for lot_id in lot_ids
                    ]
                )
                result = send_company_reminder.enqueue(
                    due.user.pk, due.company_id, due.structure_id, lot_ids, month.isoformat(), due.step
                )
                SentNotification.objects.filter(
                    user=due.user, kind=kind, company_id=due.company_id, month=month, lot__in=lot_ids
                ).update(task_result_id=str(result.id))
        except IntegrityError:
            continue  # another run queued it in the meantime
        queued += 1
    return queued


@task()
def company_reminders(period: str) -> int:
    """Daily (notifications.recurring): queue the declaration reminders due on the day `period` ("2026-12-02").
    Running it twice queues nothing more (notifications.reminders)."""
    return queue_reminders(date.fromisoformat(period))


@retried_task(attempts=5)
def send_company_reminder(
    user_id: int, company_id: int, structure_id: int, lot_ids: list[int], month: str, step: str
) -> str:
    """One reminder to one company contact for the lots still to declare (checked again now: a month declared or an
    access revoked since the job ran drops out; nothing left, nothing sent)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    structure = Organisation.objects.filter(pk=structure_id).first()
    if user is None or structure is None:
        return "skipped"
    month_date = date.fromisoformat(month)
    accesses = (
        CompanyAccess.objects.active()
        .filter(membership__user=user, membership__organisation_id=company_id, lot__in=lot_ids)
        .select_related("lot__market", "membership__organisation")
        .order_by("lot__market__reference", "lot__number")
    )
    lots = []
    for access in accesses:
        if access.lot not in lots and still_to_declare(
            lot=access.lot, company=access.membership.organisation, month=month_date
        ):
            lots.append(access.lot)
    if not lots:
        return "nothing to declare"
    company = Organisation.objects.get(pk=company_id)
    items = [
        {"lot": lot, "url": absolute_url(reverse("companies:declaration", args=[lot.pk, f"{month_date:%Y-%m}"]))}
        for lot in lots
    ]
    context = {
        "company": company,
        "structure": structure,
        "items": items,
        "month_label": french_month(month_date),
        "deadline_label": french_date(deadline(structure, month_date)),
        "after": step == AFTER,
    }
    cc = facilitators_of(structure) if step == AFTER else None
    sent = send_templated(user, "company_reminder", context, path=items[0]["url"], cc=cc, kind=KIND)
    return "sent" if sent else "turned off"
