"""notifications.mail.send_templated, delivered to a real SMTP server (aiosmtpd, tests/notifications/conftest.py)."""

from urllib.parse import urlparse

import pytest

from notifications.mail import send_templated


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_message_arrives_in_text_and_html_with_its_links(smtp_inbox, settings):
    settings.SITE_URL = "https://clausier.exemple.fr"
    settings.DEFAULT_FROM_EMAIL = "Clausier <ne-pas-repondre@clausier.exemple.fr>"
    settings.EMAIL_REPLY_TO = ["support@clausier.exemple.fr"]
    sent = send_templated("lea@exemple.fr", "member_invitation", {"email": "lea@exemple.fr"}, path="/compte/x/")
    assert sent == 1
    [message] = smtp_inbox
    assert message["Subject"] == "Clausier : votre compte a été créé"
    assert message["To"] == "lea@exemple.fr"
    assert message.envelope_to == ["lea@exemple.fr"]
    assert message["From"] == "Clausier <ne-pas-repondre@clausier.exemple.fr>"
    assert message["Reply-To"] == "support@clausier.exemple.fr"
    text, html = parts(message)
    assert "Un compte Clausier vient d'être créé pour vous (lea@exemple.fr)." in text
    assert "Ouvrir la page : https://clausier.exemple.fr/compte/x/" in text
    assert "Choisir les messages que vous recevez : https://clausier.exemple.fr/compte/notifications/" in text
    assert "&#x27;" not in text and "&amp;" not in text  # plain text is not HTML-escaped
    assert '<a href="https://clausier.exemple.fr/compte/x/"' in html
    assert '<a href="https://clausier.exemple.fr/compte/notifications/"' in html
    assert "<p>Un compte Clausier vient d'être créé pour vous (lea@exemple.fr).</p>" in html


def test_no_reply_to_when_none_is_set(smtp_inbox, settings):
    settings.EMAIL_REPLY_TO = []
    send_templated(["a@exemple.fr", "b@exemple.fr"], "member_invitation", {"email": "a@exemple.fr"}, path="/")
    [message] = smtp_inbox
    assert message["Reply-To"] is None
    assert message.envelope_to == ["a@exemple.fr", "b@exemple.fr"]


@pytest.mark.django_db
def test_the_member_invitation_link_lets_the_new_member_choose_a_password(
    smtp_inbox, settings, admin_client_of_structure, structure, client
):
    settings.SITE_URL = "https://clausier.exemple.fr"
    response = admin_client_of_structure.post(
        f"/organisations/{structure.pk}/membres/", {"email": "nouvelle@exemple.fr", "role": "member"}
    )
    assert response.status_code == 302
    [message] = smtp_inbox
    assert message["To"] == "nouvelle@exemple.fr"
    text, html = parts(message)
    link = next(line for line in text.splitlines() if line.startswith("Ouvrir la page : ")).split(" : ", 1)[1]
    assert f'href="{link}"' in html
    url = urlparse(link)
    assert (url.scheme, url.netloc) == ("https", "clausier.exemple.fr")
    assert url.path.startswith("/compte/mot-de-passe/nouveau/")
    # The token is valid: Django trades it for the set-password form.
    response = client.get(url.path)
    assert response.status_code == 302 and response.url.endswith("/set-password/")
    assert client.get(response.url).context["validlink"] is True
