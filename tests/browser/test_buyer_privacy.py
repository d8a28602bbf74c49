"""A buyer in a real browser (issue 13, item 1): the dashboard, the bilan of a market with one worker and its PDF,
every link of those pages followed; no person-level route answers and no hidden value appears."""

from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from beneficiaries.choices import Modality
from reporting.queries import PUBLICS
from tests.browser.conftest import log_in
from tests.reporting.privacy import (
    PERSON_PATHS,
    PUBLIC_LABELS,
    YEAR,
    assert_no_person_trace,
    assert_rows_hidden,
    build_privacy_world,
    pdf_rows,
    pdf_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CDD = dict(Modality.choices)[Modality.HIRE_CDD]
ETTI = dict(Modality.choices)[Modality.ETTI_MISSION]
WIDTHS = (390, 1366)


@pytest.fixture
def privacy():
    return build_privacy_world()


def table_rows(page) -> list[list[str]]:
    """The rows of every table of the page, as the reader sees them (inner text of each cell)."""
    return page.eval_on_selector_all(
        "table tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim().replace(/\\s+/g, ' ')))"
    )


def screenshots(page, results_dir, name):
    """Each width loaded afresh (charts size themselves on load), nothing wider than the screen."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width} px"
        page.screenshot(path=str(results_dir / f"buyer-privacy-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()


def follow_every_link(page, base, where):
    """GET every link of the page with the buyer's session: none leads to a person, none shows one."""
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert links, where
    for href in set(links):
        url = urljoin(page.url, href)
        if urlsplit(url).netloc != urlsplit(base).netloc:
            continue
        path = urlsplit(url).path
        assert not path.startswith(PERSON_PATHS), f"{where} links to a person-level page: {href}"
        response = page.request.get(url)
        assert response.status < 500, (href, response.status)
        if response.ok and "pdf" in response.headers.get("content-type", ""):
            assert_no_person_trace(pdf_text(response.body()), where=href)
        elif response.ok:
            assert_no_person_trace(response.text(), where=href)


def test_buyer_walks_dashboard_bilan_and_pdf_and_never_meets_a_person(page, live_server, privacy, results_dir):
    base = live_server.url
    page.set_default_timeout(15_000)
    log_in(page, base, privacy["buyer_user"])

    nav = page.get_by_role("navigation", name="Navigation principale")
    for hidden_entry in ("Contrats", "Saisie des heures", "Participant·es"):
        expect(nav.get_by_role("link", name=hidden_entry)).to_have_count(0)
    nav.get_by_role("link", name="Tableau de bord").click()
    page.get_by_label("Année", exact=True).select_option(str(YEAR))
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tableau de bord {YEAR}")
    assert_rows_hidden(table_rows(page), (PUBLIC_LABELS["women"], PUBLIC_LABELS["qpv"], CDD, ETTI), where="dashboard")
    expect(page.get_by_text("« < 5 » : moins de 5 personnes", exact=False).first).to_be_visible()
    assert_no_person_trace(page.content(), where="dashboard")
    screenshots(page, results_dir, "dashboard")
    follow_every_link(page, base, "dashboard")

    page.locator("#tableau-lots").get_by_role("link", name="SOLO-2025-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan du marché SOLO-2025-01")
    every_public = [label for _code, label, _flag in PUBLICS]
    assert_rows_hidden(table_rows(page), (*every_public, CDD), where="bilan")
    assert_no_person_trace(page.content(), where="bilan")
    screenshots(page, results_dir, "bilan")
    follow_every_link(page, base, "bilan")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le bilan (PDF)").click()
    pdf = download_info.value.path().read_bytes()
    assert_rows_hidden(pdf_rows(pdf), (*every_public, CDD), where="bilan PDF")
    assert_no_person_trace(pdf_text(pdf), where="bilan PDF")

    # The lot page, one click away through the market: its figures, no contract.
    page.goto(f"{base}{reverse('lot_detail', args=[privacy['solo_lot'].pk])}")
    expect(page.get_by_role("heading", name="Avancement de la clause")).to_be_visible()
    expect(page.get_by_role("heading", name="Contrats sur ce lot")).to_have_count(0)
    follow_every_link(page, base, "lot")

    # Typed by hand, the person-level routes of her own market do not answer.
    placement = privacy["placement"]
    for url in (
        reverse("placements:detail", args=[placement.pk]),
        reverse("placements:list"),
        reverse("hours:grid") + f"?lot={privacy['solo_lot'].pk}",
        f"/api/v1/placements/{placement.pk}/",
        f"/api/v1/hours/{placement.hours_records.first().pk}/",
    ):
        assert page.request.get(f"{base}{url}").status == 404, url
