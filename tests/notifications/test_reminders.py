"""Reminders to companies (issue 16, point 3): the rule (3 days before each structure's deadline, then after it with
the facilitators in copy), the months that get nothing, the settings, and exactly once per contact, lot and month with
the real worker and the real SMTP server."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from beneficiaries import services as people
from companies import declarations
from notifications import preferences
from notifications.models import NotificationEvent, SentNotification
from notifications.reminders import AFTER, BEFORE, company_reminders, deadline, queue_reminders, step_on

MARCH = datetime.date(2026, 3, 1)
BEFORE_DAY = datetime.date(2026, 4, 3)  # the deadline of March is 5 April: 3 days before starts on 2 April
AFTER_DAY = datetime.date(2026, 4, 7)


def test_the_rule_of_the_days():
    due = datetime.date(2026, 4, 5)
    steps = {day: step_on(datetime.date(2026, 4, day), due) for day in range(1, 31)}
    assert [day for day, step in steps.items() if step == BEFORE] == [2, 3, 4, 5]
    assert [day for day, step in steps.items() if step == AFTER] == list(range(6, 31))
    assert steps[1] is None
    assert step_on(datetime.date(2026, 5, 1), due) is None  # the next month is another month's business
    assert step_on(datetime.date(2026, 3, 31), due) is None


def _entry(placement, hours, training="0"):
    return people.HoursEntry(
        placement=placement, month=MARCH, hours=Decimal(hours), training_hours=Decimal(training), expected_version=0
    )


def _parts(message):
    return message.get_body(preferencelist=("plain",)).get_content(), message.get_body(
        preferencelist=("html",)
    ).get_content()


@pytest.mark.django_db
def test_the_first_reminder_names_the_lot_and_links_to_its_declaration(contact, employee, lot, smtp_inbox, settings):
    settings.SITE_URL = "https://clausier.exemple.fr"
    assert queue_reminders(BEFORE_DAY) == 1
    [message] = smtp_inbox
    assert message["To"] == "chef@dupuis.fr"
    assert message["Cc"] is None
    assert message["Subject"] == "Clausier : déclarez les heures de 03/2026 avant le 05/04/2026"
    text, html = _parts(message)
    assert "Pensez à déclarer les heures d'insertion de 03/2026 pour Maçonnerie Dupuis avant le 05/04/2026" in text
    link = f"https://clausier.exemple.fr/entreprise/lots/{lot.pk}/declaration/2026-03/"
    assert "- 2026-CHANTIER-07 lot 1 : Gros œuvre" in text and link in text
    assert f'<a href="{link}"' in html
    assert message["List-Unsubscribe"].startswith("<https://clausier.exemple.fr/compte/notifications/desabonnement/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Ne plus recevoir ces messages (Rappels de déclaration mensuelle) : https://" in text
    # Run again the same day, or the next: nothing more.
    assert queue_reminders(BEFORE_DAY) == 0
    assert queue_reminders(BEFORE_DAY + datetime.timedelta(days=1)) == 0
    assert len(smtp_inbox) == 1
    [row] = SentNotification.objects.all()
    assert (row.user, row.kind, row.lot, row.month) == (contact, "company_reminder_before", lot, MARCH)


@pytest.mark.django_db
def test_the_second_reminder_has_the_facilitators_in_copy(
    contact, employee, lot, owner, structure_admin, reader, smtp_inbox
):
    assert queue_reminders(BEFORE_DAY) == 1
    assert queue_reminders(AFTER_DAY) == 1
    assert queue_reminders(AFTER_DAY + datetime.timedelta(days=3)) == 0
    first, second = smtp_inbox
    assert first["Cc"] is None
    assert second["To"] == "chef@dupuis.fr"
    assert sorted(second["Cc"].split(", ")) == sorted([owner.email, structure_admin.email])  # not the reader
    assert sorted(second.envelope_to) == sorted(["chef@dupuis.fr", owner.email, structure_admin.email])
    assert second["Subject"] == "Clausier : déclaration de 03/2026 en retard pour Maçonnerie Dupuis"
    text, _ = _parts(second)
    assert "était attendue le 05/04/2026 au plus tard" in text and "PLIE de la Côte est en copie" in text


@pytest.mark.django_db
def test_the_deadline_is_the_structures(contact, employee, lot, structure):
    structure.declaration_deadline_day = 12
    structure.save()
    assert deadline(structure, MARCH) == datetime.date(2026, 4, 12)
    assert queue_reminders(BEFORE_DAY) == 0  # 3 April is too early for a deadline on the 12th
    assert queue_reminders(AFTER_DAY) == 0
    assert queue_reminders(datetime.date(2026, 4, 9)) == 1
    [message] = mail.outbox
    assert "avant le 12/04/2026" in message.subject


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["submitted", "no_activity", "validated"])
def test_nothing_for_a_month_declared_or_without_activity(state, contact, employee, lot, holder, owner):
    if state == "no_activity":  # saved « aucune activité » for every row, not transmitted yet
        declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "0")], user=contact)
    else:
        declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "35")], user=contact)
        declaration = declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)
        if state == "validated":
            declarations.validate(declaration=declaration, user=owner)
    assert queue_reminders(BEFORE_DAY) == 0
    assert queue_reminders(AFTER_DAY) == 0
    assert mail.outbox == [] and not SentNotification.objects.exists()


@pytest.mark.django_db
def test_a_month_with_hours_saved_but_not_transmitted_is_still_reminded(contact, employee, lot, holder):
    declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "35")], user=contact)
    assert queue_reminders(BEFORE_DAY) == 1


@pytest.mark.django_db
def test_nothing_without_a_person_employed_that_month(contact, lot):
    assert queue_reminders(BEFORE_DAY) == 0


@pytest.mark.django_db
def test_settings_off_sends_nothing(contact, employee, lot):
    preferences.change(user=contact, kind="company_reminder", enabled=False, via=NotificationEvent.Via.SETTINGS)
    assert queue_reminders(BEFORE_DAY) == 0
    assert queue_reminders(AFTER_DAY) == 0
    assert mail.outbox == [] and not SentNotification.objects.exists()
    # Turned on again: the reminder goes.
    preferences.change(user=contact, kind="company_reminder", enabled=True, via=NotificationEvent.Via.SETTINGS)
    assert queue_reminders(AFTER_DAY) == 1
    assert len(mail.outbox) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_sends_each_reminder_once(contact, employee, lot, owner, smtp_inbox, run_worker):
    # The scheduler's job, enqueued twice for the same day (a retry, a second scheduler), then run by the worker.
    company_reminders.enqueue(BEFORE_DAY.isoformat())
    company_reminders.enqueue(BEFORE_DAY.isoformat())
    run_worker()
    run_worker()  # the reminders the job queued, if the first batch did not take them
    assert [message["To"] for message in smtp_inbox] == ["chef@dupuis.fr"]
    assert smtp_inbox[0]["Subject"] == "Clausier : déclarez les heures de 03/2026 avant le 05/04/2026"
    # After the deadline: the second reminder, once, with the facilitator in copy.
    company_reminders.enqueue(AFTER_DAY.isoformat())
    company_reminders.enqueue(AFTER_DAY.isoformat())
    run_worker()
    run_worker()
    assert len(smtp_inbox) == 2
    assert smtp_inbox[1]["Cc"] == owner.email
    assert SentNotification.objects.count() == 2
