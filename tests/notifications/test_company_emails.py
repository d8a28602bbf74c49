"""The company portal's e-mails through the worker (issue 16): the invitation, and a declaration's steps
(transmitted → the facilitators; correction requested and validated → the company's contact), queued when the
service's transaction commits."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from beneficiaries import services as people
from beneficiaries.models import HoursRecord
from companies import declarations
from notifications import preferences
from notifications.models import NotificationEvent

MARCH = datetime.date(2026, 3, 1)


def _entry(placement, hours):
    return people.HoursEntry(
        placement=placement, month=MARCH, hours=Decimal(hours), training_hours=Decimal("0"), expected_version=0
    )


def _submitted(contact, employee, lot, holder):
    declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "35")], user=contact)
    return declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)


@pytest.mark.django_db
def test_a_transmitted_declaration_goes_to_the_lots_facilitators(
    contact, employee, lot, holder, owner, structure_admin, reader, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(contact, employee, lot, holder)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([owner.email, structure_admin.email])
    message = mail.outbox[0]
    assert message.subject == "Clausier : déclaration de 03/2026 transmise par Maçonnerie Dupuis"
    assert (
        "Maçonnerie Dupuis a transmis sa déclaration des heures d'insertion de 03/2026 pour le lot 2026-CHANTIER-07 "
        "lot 1 : Gros œuvre." in message.body
    )
    assert f"/entreprise/suivi/lot/{lot.pk}/2026-03/" in message.body
    assert "/compte/notifications/desabonnement/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db
def test_a_correction_and_a_validation_go_to_the_company_contact(
    contact, employee, lot, holder, owner, django_capture_on_commit_callbacks
):
    declaration = _submitted(contact, employee, lot, holder)
    with django_capture_on_commit_callbacks(execute=True):
        declarations.request_correction(
            declaration=declaration, placements=[employee], comment="Il manque la semaine du 16 mars.", user=owner
        )
    [message] = mail.outbox
    assert message.to == ["chef@dupuis.fr"]
    assert message.subject == "Clausier : correction demandée sur la déclaration de 03/2026"
    assert "« Il manque la semaine du 16 mars. »" in message.body
    assert f"/entreprise/lots/{lot.pk}/declaration/2026-03/" in message.body
    html = message.alternatives[0][0]
    assert "Il manque la semaine du 16 mars." in html

    mail.outbox.clear()
    declarations.save_rows(
        lot=lot,
        company=holder,
        month=MARCH,
        entries=[
            people.HoursEntry(
                placement=employee,
                month=MARCH,
                hours=Decimal("42"),
                training_hours=Decimal("0"),
                expected_version=HoursRecord.objects.get(placement=employee, month=MARCH).version,
            )
        ],
        user=contact,
    )
    with django_capture_on_commit_callbacks(execute=True):
        declaration = declarations.resubmit(lot=lot, company=holder, month=MARCH, user=contact)
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "Clausier : déclaration de 03/2026 retransmise par Maçonnerie Dupuis"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        declarations.validate(declaration=declaration, user=owner)
    [message] = mail.outbox
    assert message.to == ["chef@dupuis.fr"]
    assert message.subject == "Clausier : déclaration de 03/2026 validée"
    assert "a validé la déclaration des heures d'insertion de 03/2026 de Maçonnerie Dupuis" in message.body


@pytest.mark.django_db
def test_a_step_rolled_back_sends_nothing_and_a_setting_off_is_honoured(
    contact, employee, lot, holder, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        _submitted(contact, employee, lot, holder)
        transaction.set_rollback(True)  # the step is undone: its e-mails are never queued
    assert callbacks == [] and mail.outbox == []
    declaration = _submitted(contact, employee, lot, holder)
    preferences.change(user=contact, kind="declaration_events", enabled=False, via=NotificationEvent.Via.SETTINGS)
    with django_capture_on_commit_callbacks(execute=True):
        declarations.validate(declaration=declaration, user=owner)
    assert mail.outbox == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_invitation_is_sent_by_the_worker(owner_client, lot, holder, smtp_inbox, run_worker):
    response = owner_client.post(
        f"/entreprise/acces/lot/{lot.pk}/", {"company": holder.pk, "lots": [lot.pk], "email": "chef@dupuis.fr"}
    )
    assert response.status_code == 302
    assert smtp_inbox == []  # not sent inside the request
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "notifications.events.send_company_invitation"
    run_worker()
    [message] = smtp_inbox
    assert message["To"] == "chef@dupuis.fr"
    assert message["Subject"] == "Clausier : invitation à déclarer les heures d'insertion de Maçonnerie Dupuis"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "- 2026-CHANTIER-07 lot 1 : Gros œuvre" in text
    assert "/entreprise/invitation/" in text
    assert message["List-Unsubscribe"] is None  # an invitation is not a notification one turns off
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
