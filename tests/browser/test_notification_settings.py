"""Notification settings in a real browser (issue 16, point 6): a facilitator reaches « Mes notifications » from the
account menu, turns a digest to monthly and the declaration e-mails off; the signed link of an e-mail unsubscribes
without login after a confirmation. Both screens fit from 390 px to 1,366 px (screenshots in test-results/)."""

import pytest
from playwright.sync_api import expect

from notifications import preferences
from tests.browser.conftest import log_in
from tests.browser.test_buyer_dashboard import no_sideways_overflow
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_settings_page_and_unsubscribe_link(page, live_server, results_dir, browser):
    structure = FacilitationStructureFactory(name="PLIE du Beaunois")
    facilitator = UserFactory(email="facilitatrice@plie.fr")
    MembershipFactory(user=facilitator, organisation=structure, role="member")
    base = live_server.url
    page.set_default_timeout(10_000)
    log_in(page, base, facilitator)

    page.get_by_text("Mon compte").click()
    page.get_by_role("link", name="Mes notifications").click()
    expect(page.get_by_role("heading", name="Mes notifications")).to_be_visible()
    group = page.get_by_role("group", name="Lots devenus à risque")
    group.get_by_label("Fréquence").select_option("monthly")
    page.get_by_role("group", name="Suivi des déclarations").get_by_label("Recevoir ces courriels").uncheck()
    page.get_by_role("button", name="Enregistrer mes réglages").click()
    expect(page.locator("body")).to_contain_text("Vos réglages sont enregistrés.")
    expect(page.get_by_role("heading", name="Derniers changements")).to_be_visible()
    assert not preferences.allowed(facilitator, "declaration_events")
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload(wait_until="networkidle")
        page.screenshot(path=str(results_dir / f"notification-settings-{width}.png"), full_page=True)
        assert no_sideways_overflow(page), f"« Mes notifications » déborde à {width} px."

    # The link of a due-dates digest, opened in a browser without any session.
    token = preferences.unsubscribe_token(facilitator, "due_dates_digest")
    context = browser.new_context(locale="fr-FR")
    anonymous = context.new_page()
    anonymous.set_default_timeout(10_000)
    anonymous.goto(f"{base}/compte/notifications/desabonnement/{token}/")
    expect(anonymous.locator("main")).to_contain_text("ne reçoive plus les courriels « Échéances à venir")
    for width in (1366, 390):
        anonymous.set_viewport_size({"width": width, "height": 900})
        anonymous.screenshot(path=str(results_dir / f"notification-unsubscribe-{width}.png"), full_page=True)
        assert no_sideways_overflow(anonymous)
    anonymous.get_by_role("button", name="Me désabonner").click()
    expect(anonymous.get_by_role("status")).to_contain_text("C'est fait : facilitatrice@plie.fr ne recevra plus")
    assert not preferences.allowed(facilitator, "due_dates_digest")
    anonymous.goto(f"{base}/compte/notifications/desabonnement/{token[:-2]}xx/")
    expect(anonymous.get_by_role("alert")).to_contain_text("Ce lien de désabonnement n'est pas valable")
    context.close()
