"""French error pages (400, 403, 404, 409, 500, CSRF) with DEBUG off, and a constraint violation is never a 500."""

import pytest
from django.db import IntegrityError
from django.test import Client

from beneficiaries.models import HoursRecord
from markets.models import Market
from tests.beneficiaries.factories import PlacementFactory
from tests.markets.test_views_markets import _market_payload
from tests.organisations.factories import BuyerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]


def test_404_in_french(owner_client, settings):
    assert settings.DEBUG is False
    response = owner_client.get("/marches/999999/")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert "Retour à l'accueil" in response.text
    assert 'lang="fr"' in response.text


def test_403_in_french_with_the_reason(reader_client, market):
    response = reader_client.post("/heures/?month=2025-03", {"action": "save"})
    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in response.text
    assert "Les lecteur·rices consultent la grille sans la modifier." in response.text


def test_500_in_french_without_details(owner_client):
    owner_client.raise_request_exception = False
    response = owner_client.get("/test/panne/")
    assert response.status_code == 500
    assert "<h1>Une erreur est survenue</h1>" in response.text
    assert "panne simulée" not in response.text
    assert "Traceback" not in response.text


def test_400_in_french(owner_client):
    response = owner_client.get("/test/requete-invalide/")
    assert response.status_code == 400
    assert "<h1>Requête invalide</h1>" in response.text
    assert "requête suspecte simulée" not in response.text


def test_csrf_failure_in_french(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/heures/?month=2025-03", {"action": "save"})
    assert response.status_code == 403
    assert "<h1>Formulaire expiré</h1>" in response.text
    assert "Rien n'a été enregistré." in response.text


@pytest.mark.django_db(transaction=True)
def test_an_uncaught_integrity_error_is_a_french_409_not_a_500(owner_client):
    placement = PlacementFactory()
    with pytest.raises(IntegrityError):  # the view really violates the constraint
        HoursRecord.objects.create(placement=placement, month="2025-03-01", hours=1)
        HoursRecord.objects.create(placement=placement, month="2025-03-01", hours=1)
    HoursRecord.objects.all().delete()
    owner_client.raise_request_exception = False
    response = owner_client.get(f"/test/doublon/{placement.pk}/")
    assert response.status_code == 409
    assert "<h1>Enregistrement refusé</h1>" in response.text
    assert "il entre en conflit avec des données déjà enregistrées" in response.text
    assert "UNIQUE" not in response.text and "duplicate" not in response.text
    assert "Content-Security-Policy" in response.headers
    api = owner_client.get(f"/api/test/doublon/{placement.pk}/")
    assert api.status_code == 409
    assert api.json()["detail"].startswith("L'enregistrement a été refusé")
    assert HoursRecord.objects.filter(placement=placement).count() == 1  # the first write of the first request


def test_the_market_form_translates_its_own_duplicate(owner_client, structure):
    buyer = BuyerFactory()
    payload = _market_payload(structure, buyer)
    assert owner_client.post("/marches/nouveau/", payload).status_code == 302
    response = owner_client.post("/marches/nouveau/", payload)
    assert response.status_code == 200
    assert "Cet acheteur a déjà un marché avec cette référence." in response.text
    assert Market.objects.count() == 1


def test_a_locked_sqlite_database_is_a_french_503(owner_client):
    owner_client.raise_request_exception = False
    response = owner_client.get("/test/verrou/")
    assert response.status_code == 503
    assert "La base de données est occupée" in response.text
    assert "Rien n'a été modifié" in response.text or "Rien n&#x27;a été modifié" in response.text
