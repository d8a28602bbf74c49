"""The screenshots of the user guides (issue 20, point 3), taken of the real screens on the fictitious data of
tests/audit/world.py, written into static/guide/ (committed) so that the guides follow the application.

Every screenshot a guide references (templates/guide/*.html) must be taken here, and every one taken here must be
referenced: a guide never shows a stale or missing picture (tests/test_guide.py checks the files exist). Viewport
shots at 1,366 × 768 px, reduced to 128 colours (Pillow) to keep the repository small.
"""

import contextlib
import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from beneficiaries.choices import Sex
from tests.audit.world import build_world
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIDE_STATIC = Path(settings.BASE_DIR) / "static" / "guide"
GUIDE_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "guide"
VIEWPORT = {"width": 1366, "height": 768}


def referenced_screenshots() -> set[str]:
    """The PNG names the guide templates show (`{% include "guide/_figure.html" with shot="<name>.png" ... %}`)."""
    names = set()
    for template in GUIDE_TEMPLATES.glob("*.html"):
        names.update(re.findall(r"shot=\"([\w-]+\.png)\"", template.read_text(encoding="utf-8")))
    return names


def _fill_new_person(page):
    """The participant form filled with a person the structure already follows, typed without accents."""
    page.locator("#id_last_name").fill("QUENOUILLARD")
    page.locator("#id_first_name").fill("Philomene")
    page.locator("#id_sex").select_option("F")
    page.locator("#id_birth_date").fill("03/04/1999")
    page.locator("#id_prescriber_type").select_option("france_travail")
    page.get_by_role("button", name="Enregistrer").click()
    duplicates = page.locator("section.duplicates")
    expect(duplicates).to_contain_text("mêmes nom, prénom et date de naissance")
    duplicates.scroll_into_view_if_needed()


def _shots(world, retyped):
    """(user key, [(file, path, action before the shot or None)]) per role."""
    a = world.a
    return [
        (
            "fac_b",  # a member of structure B: the facilitator's everyday screens
            [
                ("facilitateur-accueil.png", "/", None),
                ("facilitateur-participants.png", "/participants/", None),
                ("facilitateur-fiche.png", f"/participants/{world.b.person.pk}/", None),
                ("facilitateur-grille.png", f"/heures/?month=2025-04&lot={world.b.lot.pk}", None),
                ("facilitateur-import.png", "/imports/heures/", None),
                ("facilitateur-declarations.png", f"/entreprise/suivi/lot/{world.b.lot.pk}/2025-04/", None),
            ],
        ),
        (
            "fac_a",  # the admin of structure A: duplicates, members, journal, markets
            [
                ("facilitateur-doublon.png", "/participants/nouveau/", _fill_new_person),
                ("facilitateur-fusion.png", f"/participants/{a.person.pk}/fusionner/?avec={retyped.pk}", None),
                ("structure-membres.png", f"/organisations/{a.structure.pk}/membres/", None),
                ("structure-journal.png", "/journal-des-acces/", None),
                ("structure-marches.png", "/marches/", None),
                ("structure-marche.png", f"/marches/{a.market.pk}/", None),
            ],
        ),
        (
            "company_a",
            [
                ("entreprise-accueil.png", "/entreprise/", None),
                ("entreprise-declaration.png", f"/entreprise/lots/{a.lot.pk}/declaration/2025-04/", None),
            ],
        ),
        (
            "buyer_x",
            [
                ("acheteur-tableau.png", "/tableau-de-bord/?year=2025", None),
                ("acheteur-marches.png", "/marches/", None),
            ],
        ),
        (
            "coord_27",
            [
                ("coordination-bilan.png", "/bilan-annuel/?year=2025", None),
                ("coordination-tableau.png", "/tableau-de-bord/?year=2025", None),
            ],
        ),
    ]


def _save(page, name: str) -> Path:
    path = GUIDE_STATIC / name
    page.screenshot(path=str(path))  # the viewport only
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path


def test_guide_screenshots_are_taken_of_the_real_screens(browser, live_server):
    world = build_world()
    retyped = BeneficiaryFactory(
        structure=world.a.structure,
        last_name="Quenouilard",
        first_name="Philomene",
        sex=Sex.FEMALE,
        birth_date=datetime.date(1999, 4, 3),
        commune=None,
    )
    GUIDE_STATIC.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    taken = set()
    for user_key, shots in _shots(world, retyped):
        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base, world.users[user_key])
        for name, path, action in shots:
            response = page.goto(f"{base}{path}", wait_until="networkidle")
            assert response.status == 200, f"{name} : {path} répond {response.status}"
            expect(page.locator("h1")).to_be_visible()
            if action is not None:
                action(page)
            written = _save(page, name)
            assert written.stat().st_size < 200_000, f"{name} pèse {written.stat().st_size} octets"
            taken.add(name)
        context.close()
    assert taken == referenced_screenshots(), "Les guides et les captures prises ici doivent correspondre."


GUIDE_READERS = {"facilitateur": "fac_b", "structure": "fac_a", "entreprise": "company_a", "acheteur": "buyer_x"}
GUIDE_READERS["coordination"] = "coord_27"


def test_each_role_reads_its_guide_with_its_pictures_at_both_widths(browser, live_server, results_dir):
    """Each guide, read by its role at 1,366 and 390 px: every picture loads, nothing overflows sideways, and the
    « Aide » block of the home page leads to it (screenshots in test-results/ to look at)."""
    from tests.browser.test_buyer_dashboard import no_sideways_overflow

    world = build_world()
    base = live_server.url
    for slug, user_key in GUIDE_READERS.items():
        context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, base, world.users[user_key])
        page.goto(f"{base}/", wait_until="networkidle")
        page.locator("details.help > summary").first.click()
        expect(page.locator("details.help .help__body")).to_be_visible()
        page.screenshot(path=str(results_dir / f"help-{slug}-1366.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        # Charts redraw after a resize (asynchronously): give the page up to 5 s to fit, then judge.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth", timeout=5_000
            )
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
            "document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + "
            "(e.id || '') + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert no_sideways_overflow(page), f"L'aide de l'accueil ({slug}) déborde à 390 px : {wide}"
        page.screenshot(path=str(results_dir / f"help-{slug}-390.png"))
        page.set_viewport_size(VIEWPORT)
        page.locator("details.help .help__guide a").click()
        expect(page).to_have_url(f"{base}/aide/{slug}/")
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 844})
            page.reload(wait_until="networkidle")
            for image in page.locator("article.guide img").all():
                image.scroll_into_view_if_needed()
            # Lazy pictures load once scrolled to: wait until each has finished (loaded or failed), then judge.
            page.wait_for_function(
                "() => [...document.querySelectorAll('article.guide img')].every((img) => img.complete)"
            )
            broken = page.evaluate(
                "() => [...document.querySelectorAll('article.guide img')]"
                ".filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src)"
            )
            assert not broken, f"Guide {slug} : images absentes {broken}"
            assert no_sideways_overflow(page), f"Le guide {slug} déborde à {width} px."
            page.screenshot(path=str(results_dir / f"guide-{slug}-{width}.png"), full_page=True)
        context.close()
