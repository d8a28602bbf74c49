"""Notification settings (issue 16, point 6): the settings page, the signed one-click unsubscribe without login
(GET confirms, POST unsubscribes, RFC 8058 one-click too), logged; a tampered or expired link refused with a French
page that changes nothing; send_templated(kind=...) honours the setting. And the structure's declaration deadline,
edited by its admins only."""

import datetime
import re
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client

from notifications import preferences
from notifications.mail import send_templated
from notifications.models import NotificationEvent, NotificationSetting
from notifications.reminders import queue_reminders
from organisations.models import Organisation

pytestmark = pytest.mark.django_db

BEFORE_DAY = datetime.date(2026, 4, 3)


def _unsubscribe_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/compte/notifications/desabonnement/\S+/)", message.body).group(1)


def test_the_link_of_a_reminder_unsubscribes_without_login(contact, employee, lot):
    queue_reminders(BEFORE_DAY)
    [message] = mail.outbox
    path = _unsubscribe_path(message)
    assert message.extra_headers["List-Unsubscribe"].endswith(f"{path}>")
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "Voulez-vous que chef@dupuis.fr ne reçoive plus les courriels « Rappels de déclaration mensuelle »" in (
        page.content.decode()
    )
    assert preferences.allowed(contact, "company_reminder")  # a GET (a link scanner) changes nothing
    done = anonymous.post(path)
    assert done.status_code == 200
    assert "C'est fait : chef@dupuis.fr ne recevra plus les courriels" in done.content.decode()
    assert not preferences.allowed(contact, "company_reminder")
    [event] = NotificationEvent.objects.all()
    assert (event.user, event.email, event.kind, event.action, event.via) == (
        contact,
        "chef@dupuis.fr",
        "company_reminder",
        "unsubscribed",
        "link",
    )
    assert event.created_at is not None
    # The other kinds stay on, and the next reminder is not sent.
    assert preferences.allowed(contact, "declaration_events")
    mail.outbox.clear()
    assert queue_reminders(datetime.date(2026, 4, 7)) == 0 and mail.outbox == []


def test_the_one_click_post_of_a_mail_client(contact):
    path = f"/compte/notifications/desabonnement/{preferences.unsubscribe_token(contact, 'declaration_events')}/"
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not preferences.allowed(contact, "declaration_events")
    [event] = NotificationEvent.objects.all()
    assert (event.kind, event.via) == ("declaration_events", "one_click")
    Client().post(path, {"List-Unsubscribe": "One-Click"})  # twice: nothing more to log
    assert NotificationEvent.objects.count() == 1


def test_a_tampered_link_is_refused_and_changes_nothing(contact):
    token = preferences.unsubscribe_token(contact, "company_reminder")
    other_kind = preferences.unsubscribe_token(contact, "declaration_events")
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        other_kind.split(":", 1)[0] + ":" + token.split(":", 1)[1],  # another kind's payload with this signature
        "lien-invalide",
    ]
    for bad in tampered:
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/compte/notifications/desabonnement/{bad}/")
            assert response.status_code == 400
            text = response.content.decode()
            assert "Ce lien de désabonnement n&#x27;est pas valable" in text
            assert "Aucun réglage n'a été modifié." in text
    assert not NotificationSetting.objects.exists() and not NotificationEvent.objects.exists()


def test_an_expired_link_is_refused(contact):
    long_ago = datetime.datetime(2025, 1, 1).timestamp()
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        token = preferences.unsubscribe_token(contact, "company_reminder")
    response = Client().post(f"/compte/notifications/desabonnement/{token}/")
    assert response.status_code == 400
    assert "Ce lien de désabonnement a expiré." in response.content.decode()
    assert preferences.allowed(contact, "company_reminder")


def test_a_link_for_a_user_that_no_longer_exists_is_refused(contact):
    token = signing.dumps({"u": 999999, "k": "company_reminder"}, salt=preferences.UNSUBSCRIBE_SALT)
    assert Client().get(f"/compte/notifications/desabonnement/{token}/").status_code == 400


def test_send_templated_with_a_kind_turned_off_sends_nothing(contact, smtp_inbox):
    assert send_templated(contact, "member_invitation", {"email": contact.email}, path="/", kind="company_reminder")
    preferences.unsubscribe(user=contact, kind="company_reminder", via=NotificationEvent.Via.LINK)
    sent = send_templated(
        contact.email, "member_invitation", {"email": contact.email}, path="/", kind="company_reminder"
    )
    assert sent == 0
    assert len(smtp_inbox) == 1


def test_the_settings_page_of_a_company_contact(contact):
    client = Client()
    client.force_login(contact)
    page = client.get("/compte/notifications/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Rappels de déclaration mensuelle" in text and "Suivi des déclarations" in text
    assert "Lots devenus à risque" not in text  # a digest of the facilitators and buyers
    response = client.post("/compte/notifications/", {"declaration_events_enabled": "on"}, follow=True)
    assert "Vos réglages sont enregistrés." in response.content.decode()
    assert not preferences.allowed(contact, "company_reminder")
    assert preferences.allowed(contact, "declaration_events")
    [event] = NotificationEvent.objects.all()
    assert (event.kind, event.action, event.via) == ("company_reminder", "unsubscribed", "settings")
    assert "Désabonnement, Rappels de déclaration mensuelle, page des réglages" in response.content.decode()


def test_a_facilitator_chooses_a_monthly_digest(owner):
    client = Client()
    client.force_login(owner)
    assert "Mes notifications" in client.get("/compte/mot-de-passe/").content.decode()  # from the account page
    page = client.get("/compte/notifications/").content.decode()
    assert "Lots devenus à risque" in page and "Rappels de déclaration mensuelle" not in page
    client.post(
        "/compte/notifications/",
        {
            "declaration_events_enabled": "on",
            "at_risk_digest_enabled": "on",
            "at_risk_digest_frequency": "monthly",
            "due_dates_digest_enabled": "on",
            "due_dates_digest_frequency": "weekly",
        },
    )
    assert preferences.allowed(owner, "at_risk_digest", today=datetime.date(2026, 12, 7))
    assert not preferences.allowed(owner, "at_risk_digest", today=datetime.date(2026, 12, 8))
    assert preferences.allowed(owner, "due_dates_digest", today=datetime.date(2026, 12, 8))
    [event] = NotificationEvent.objects.all()
    assert (event.kind, event.action, event.detail) == (
        "at_risk_digest",
        "frequency",
        "chaque mois, la première semaine",
    )
    # A frequency that does not exist is refused on its field, nothing changed.
    response = client.post(
        "/compte/notifications/", {"at_risk_digest_enabled": "on", "at_risk_digest_frequency": "daily"}
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert NotificationEvent.objects.count() == 1


def test_the_settings_page_needs_a_login():
    response = Client().get("/compte/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


def test_the_structure_admin_sets_the_declaration_deadline(structure, structure_admin, owner):
    admin = Client()
    admin.force_login(structure_admin)
    page = admin.get(f"/organisations/{structure.pk}/modifier/").content.decode()
    assert "Date limite de déclaration (jour du mois)" in page
    data = {"name": structure.name, "kind": "facilitation", "email": "", "phone": "", "siret": ""}
    response = admin.post(f"/organisations/{structure.pk}/modifier/", {**data, "declaration_deadline_day": "31"})
    assert "Assurez-vous que cette valeur est inférieure ou égale à 28." in response.content.decode()
    assert Organisation.objects.get(pk=structure.pk).declaration_deadline_day == 5
    response = admin.post(f"/organisations/{structure.pk}/modifier/", {**data, "declaration_deadline_day": "10"})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=structure.pk).declaration_deadline_day == 10
    # A member edits the structure's details but not its deadline: the field is not offered, and the service refuses.
    member = Client()
    member.force_login(owner)
    assert "Date limite de déclaration" not in member.get(f"/organisations/{structure.pk}/modifier/").content.decode()
    from django.core.exceptions import ValidationError

    from organisations.services import update_organisation

    with pytest.raises(ValidationError) as refused:
        update_organisation(organisation=structure, user=owner, declaration_deadline_day=3)
    assert refused.value.message_dict["declaration_deadline_day"] == [
        "Seuls les administrateur·rices d'une structure de facilitation changent sa date limite de déclaration."
    ]
