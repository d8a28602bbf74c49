"""Personal data (DOMAIN.md §9): a person's name only for the structure following them; RQTH never for a reader.

Every page and API answer that could show a person is searched for the name, for each role.
"""

import json

import pytest
from django.test import Client

from tests.audit.world import NAMES, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def pages(world, tenant):
    t = getattr(world, tenant)
    return [
        "/",
        "/participants/",
        f"/participants/{t.person.pk}/",
        "/contrats/",
        f"/contrats/{t.placement.pk}/",
        f"/heures/?lot={t.lot.pk}&month=2025-03",
        f"/heures/?lot={t.lot.pk}&month=2025-04",
        f"/lots/{t.lot.pk}/",
        f"/marches/{t.market.pk}/",
        "/tableau-de-bord/",
        f"/tableau-de-bord/marches/{t.market.pk}/",
        "/tableau-de-bord/export.csv",
        "/bilan-annuel/?year=2025",
        "/bilan-annuel/export.csv?year=2025",
        "/journal-des-acces/",
    ]


def api_urls(world, tenant):
    t = getattr(world, tenant)
    return [
        "/api/v1/beneficiaries/",
        f"/api/v1/beneficiaries/{t.person.pk}/",
        "/api/v1/placements/",
        f"/api/v1/placements/{t.placement.pk}/",
        "/api/v1/hours/",
        f"/api/v1/hours/{t.record.pk}/",
        "/api/v1/outcomes/",
        "/api/v1/reports/yearly/?year=2025",
    ]


def text_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def bodies(world, role, tenant):
    """Every answer (web and API) for `role` about `tenant`'s person."""
    client = Client()
    client.force_login(world.users[role])
    found = []
    for url in pages(world, tenant):
        found.append((url, text_of(client.get(url))))
    api = Client(HTTP_AUTHORIZATION=f"Token {world.tokens[role][1]}")
    for url in api_urls(world, tenant):
        found.append((url, text_of(api.get(url))))
    return found


def name_in(body, tenant) -> bool:
    last_name, first_name = NAMES[tenant]
    return last_name.lower() in body.lower() or first_name.lower() in body.lower()


@pytest.mark.parametrize(
    ("role", "tenant"),
    [
        ("buyer_x", "a"),  # the buyer of the person's market
        ("buyer_y", "a"),
        ("coord_27", "a"),  # the coordinator of the region
        ("coord_other", "a"),
        ("fac_b", "a"),  # another structure
        ("fac_a", "b"),
        ("reader_a", "b"),
    ],
)
def test_no_name_for_those_who_do_not_follow_the_person(world, role, tenant):
    leaks = [url for url, body in bodies(world, role, tenant) if name_in(body, tenant)]
    assert not leaks, f"{role} sees the name of {tenant}'s person on {leaks}"


@pytest.mark.parametrize("role", ["fac_a", "reader_a"])
def test_the_following_structure_sees_the_name(world, role):
    client = Client()
    client.force_login(world.users[role])
    body = client.get(f"/participants/{world.a.person.pk}/").content.decode()
    assert name_in(body, "a")
    assert "12 rue des Secrets A" in body
    assert "03/04/1999" in body


def test_identity_details_never_shown_to_outsiders(world):
    for role in ("buyer_x", "coord_27", "fac_b"):
        for _url, body in bodies(world, role, "a"):
            assert "12 rue des Secrets A" not in body
            assert "Agence Confidentielle A" not in body
            assert "Observation privée A" not in body


def test_a_reader_never_sees_rqth(world):
    reader = world.users["reader_a"]
    client = Client()
    client.force_login(reader)
    detail = client.get(f"/participants/{world.a.person.pk}/").content.decode()
    assert "emploi de longue durée (12 mois et plus)" in detail  # a non-sensitive criterion is shown
    assert "RQTH" not in detail and "travailleur handicapé" not in detail
    api = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['reader_a'][1]}")
    person = api.get(f"/api/v1/beneficiaries/{world.a.person.pk}/").json()
    assert [c["criterion"] for c in person["criteria"]] == ["long_term_job_seeker"]
    placement = api.get(f"/api/v1/placements/{world.a.placement.pk}/").json()
    assert placement["is_rqth"] is None
    # The reader cannot export the record (right of access is for members and admins).
    assert client.get(f"/participants/{world.a.person.pk}/droit-d-acces.json").status_code == 403


def test_members_see_rqth(world):
    client = Client()
    client.force_login(world.users["fac_a"])
    assert "RQTH" in client.get(f"/participants/{world.a.person.pk}/").content.decode()
    export = json.loads(client.get(f"/participants/{world.a.person.pk}/droit-d-acces.json").content)
    assert "Reconnaissance de la qualité de travailleur handicapé (RQTH)" in [
        c["critère"] for c in export["critères d'éligibilité"]
    ]
