"""The user guides and the contextual help (issue 20, point 3): every role reads every guide, the guides quote no
personal data, every screenshot they reference exists in static/guide/, and each main screen has its help block."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from config.guide import GUIDES
from tests.audit.world import build_world

pytestmark = pytest.mark.django_db

GUIDE_STATIC = Path(settings.BASE_DIR) / "static" / "guide"
GUIDE_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "guide"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_every_referenced_screenshot_exists_and_every_guide_has_some():
    for slug in GUIDES:
        text = (GUIDE_TEMPLATES / f"{slug}.html").read_text(encoding="utf-8")
        shots = re.findall(r"shot=\"([\w-]+\.png)\"", text)
        assert shots, f"Le guide « {slug} » ne montre aucun écran."
        for shot in shots:
            path = GUIDE_STATIC / shot
            assert path.is_file(), f"Le guide « {slug} » montre {shot}, absent de static/guide/."
            assert path.read_bytes().startswith(b"\x89PNG"), shot


@pytest.mark.parametrize("role", ["fac_a", "fac_b", "reader_a", "buyer_x", "coord_27", "company_a", "superuser"])
def test_every_role_reads_every_guide_without_personal_data(world, role):
    client = _client(world.users[role])
    index = client.get("/aide/")
    assert index.status_code == 200
    for slug, (title, _) in GUIDES.items():
        response = client.get(f"/aide/{slug}/")
        assert response.status_code == 200, (role, slug)
        page = response.content.decode()
        assert title.replace("'", "&#x27;") in page
        for person in (world.a.person, world.b.person):
            assert person.last_name not in page and person.last_name.upper() not in page
    assert client.get("/aide/inconnu/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get("/aide/facilitateur/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/")


@pytest.mark.parametrize(
    ("role", "path", "guide"),
    [
        ("fac_b", "/", "facilitateur"),
        ("fac_b", "/participants/", "facilitateur"),
        ("fac_b", "/heures/", "facilitateur"),
        ("fac_a", "/imports/heures/", "structure"),
        ("fac_a", "/marches/", "structure"),
        ("company_a", "/entreprise/", "entreprise"),
        ("buyer_x", "/tableau-de-bord/", "acheteur"),
        ("coord_27", "/bilan-annuel/", "coordination"),
    ],
)
def test_main_screens_have_a_help_block_linking_to_the_role_guide(world, role, path, guide):
    page = _client(world.users[role]).get(path, follow=True).content.decode()
    assert '<details class="help">' in page and "<summary>Aide" in page
    assert f'href="/aide/{guide}/"' in page
