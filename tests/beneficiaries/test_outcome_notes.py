"""Outcome notes (free text that may hold health or family details) are read and written only by the structure
following the person (issue 11, item 2): buyers, coordinations and the market's structure get null in the API and
no notes on the placement's page, and their own edits never erase them."""

import pytest
from django.test import Client

from beneficiaries.models import Outcome
from tests.security.crossed_world import build_crossed_world

pytestmark = pytest.mark.django_db


def api(world, name):
    return Client(HTTP_AUTHORIZATION=f"Token {world.tokens[name][1]}")


def web(world, name):
    client = Client()
    client.force_login(world.users[name])
    return client


def test_api_outcome_notes_are_for_the_persons_structure_only():
    world = build_crossed_world()
    outcome = world.a.outcome
    url = f"/api/v1/outcomes/{outcome.pk}/"
    assert api(world, "fac_a").get(url).json()["notes"] == "Note A : grossesse en cours"
    assert api(world, "reader_a").get(url).json()["notes"] == "Note A : grossesse en cours"
    for name in ("buyer_x", "coord_27"):  # outcomes are person-level: not even listed for them (issue 13)
        assert api(world, name).get(url).status_code == 404, name
        assert api(world, name).get("/api/v1/outcomes/").status_code == 404, name
    # The market's structure sees the crossed contract's outcome, not what B wrote about B's person.
    crossed = f"/api/v1/outcomes/{world.crossed.outcome.pk}/"
    assert api(world, "fac_a").get(crossed).json()["notes"] is None
    assert api(world, "fac_b").get(crossed).json()["notes"] == "Note croisée : suivi psychiatrique"


def test_api_market_structure_neither_writes_nor_erases_the_notes():
    world = build_crossed_world()
    crossed = f"/api/v1/outcomes/{world.crossed.outcome.pk}/"
    client = api(world, "fac_a")
    refused = client.patch(crossed, {"notes": "Autre chose"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["notes"] == ["Seule la structure qui accompagne la personne renseigne les observations."]
    for body in ({"result": "training"}, {"result": "training", "notes": ""}, {"notes": None}):
        assert client.patch(crossed, body, content_type="application/json").status_code == 200, body
    outcome = Outcome.objects.get(pk=world.crossed.outcome.pk)
    assert (outcome.result, outcome.notes) == ("training", "Note croisée : suivi psychiatrique")


def test_placement_page_shows_the_notes_to_the_persons_structure_only():
    world = build_crossed_world()
    own = web(world, "fac_b").get(f"/contrats/{world.crossed.placement.pk}/").content.decode()
    assert "Note croisée : suivi psychiatrique" in own
    page = web(world, "fac_a").get(f"/contrats/{world.crossed.placement.pk}/")
    assert page.status_code == 200
    assert "suivi psychiatrique" not in page.content.decode()
    assert web(world, "coord_27").get(f"/contrats/{world.crossed.placement.pk}/").status_code == 404  # issue 13


def test_market_structure_saving_an_outcome_keeps_the_notes():
    world = build_crossed_world()
    placement = world.crossed.placement
    response = web(world, "fac_a").post(
        f"/contrats/{placement.pk}/sortie/",
        {"stage": "at_end", "at_end-result": "training", "at_end-observed_on": "31/12/2025"},
    )
    assert response.status_code == 302
    outcome = Outcome.objects.get(pk=world.crossed.outcome.pk)
    assert (outcome.result, outcome.notes) == ("training", "Note croisée : suivi psychiatrique")
