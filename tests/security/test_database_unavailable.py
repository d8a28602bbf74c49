"""A database that refuses writes still serves reads (the bookkeeping writes of a read are logged and skipped),
refuses the user's own writes with a French 503, and answers 503 when it cannot be reached at all; under /api/
every error is JSON with a French `detail`.

The read-only database is real: SQLite's `PRAGMA query_only`, or PostgreSQL's `default_transaction_read_only`
(DATABASE_URL=postgres://… runs the same tests on PostgreSQL).
"""

import sqlite3
from unittest import mock

import pytest
from django.db import DatabaseError, OperationalError, connection
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import create_token
from audit.models import AccessLog
from beneficiaries.models import Beneficiary
from tests.beneficiaries.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def set_read_only(on: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")
        else:
            cursor.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")


@pytest.fixture
def read_only():
    """The database refuses every write until the end of the test."""
    set_read_only(True)
    yield
    set_read_only(False)


@pytest.fixture
def person(structure):
    return BeneficiaryFactory(structure=structure, last_name="Bouvier", first_name="Valérie", address="1 rue Haute")


@pytest.fixture
def api(owner):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=owner, name='Paie')[1]}")
    return client


def test_reads_are_served_when_their_journal_cannot_be_written(owner_client, person, caplog, read_only):
    response = owner_client.get(f"/participants/{person.pk}/")
    assert response.status_code == 200
    assert "BOUVIER" in response.text
    assert "Écriture abandonnée, la base l'a refusée : journal d'accès : viewed" in caplog.text
    assert f"personne n° {person.pk}" in caplog.text  # the log keeps what the journal could not
    set_read_only(False)
    assert not AccessLog.objects.exists()


def test_api_reads_are_served_when_the_token_use_and_the_journal_cannot_be_written(api, person, caplog, read_only):
    response = api.get(f"/api/v1/beneficiaries/{person.pk}/")
    assert response.status_code == 200
    assert response.json()["last_name"] == "Bouvier"
    assert "dernière utilisation du jeton" in caplog.text
    set_read_only(False)
    assert ApiToken.objects.get().last_used_at is None
    assert not AccessLog.objects.exists()


def test_lists_are_served_when_their_journal_cannot_be_written(owner_client, api, person, caplog, read_only):
    """Lists journal every person they show in one statement (audit.services.log_views): best effort too."""
    assert "BOUVIER" in owner_client.get("/participants/").text
    assert api.get("/api/v1/beneficiaries/").json()["results"][0]["last_name"] == "Bouvier"
    assert caplog.text.count("journal d'accès : viewed, 1 personnes") == 2
    set_read_only(False)
    assert not AccessLog.objects.exists()


def test_the_users_own_write_is_refused_with_a_french_503(owner_client, owner, read_only):
    owner_client.raise_request_exception = False
    response = owner_client.post("/compte/jetons/", {"name": "Logiciel de paie"})
    assert response.status_code == 503
    assert "<h1>Service momentanément indisponible</h1>" in response.text
    assert "La base de données est momentanément indisponible" in response.text
    assert response["Retry-After"] == "30"
    assert "readonly" not in response.text and "read-only" not in response.text
    set_read_only(False)
    assert not ApiToken.objects.filter(user=owner).exists()


def test_an_api_write_is_refused_with_a_french_json_503(api, person, read_only):
    api.raise_request_exception = False
    response = api.patch(f"/api/v1/beneficiaries/{person.pk}/", {"address": "2 rue Basse"}, format="json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("La base de données est momentanément indisponible")
    set_read_only(False)
    assert Beneficiary.objects.get().address == "1 rue Haute"


def unreachable(*args, **kwargs):
    cause = sqlite3.OperationalError("unable to open database file")
    raise OperationalError("unable to open database file") from cause


@pytest.mark.parametrize(("path", "api_path"), [("/", True), ("/", False)])
def test_a_database_lost_in_a_middleware_is_a_french_503(owner_client, path, api_path):
    """The session is read by a middleware, before any view: the error reaches the project's handler500."""
    owner_client.raise_request_exception = False
    url = "/api/v1/markets/" if api_path else path
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load", unreachable):
        response = owner_client.get(url)
    assert response.status_code == 503
    if api_path:
        assert response.json()["detail"].startswith("La base de données est momentanément indisponible")
    else:
        assert "La base de données est momentanément indisponible" in response.text


def test_a_bug_stays_a_500():
    """An SQL error that is not about the database's availability (here a missing column) is not hidden as 503."""
    from config.database import unavailable_message

    with pytest.raises(DatabaseError) as excinfo, connection.cursor() as cursor:
        cursor.execute("SELECT colonne_inconnue FROM api_apitoken")  # OperationalError on SQLite
    assert unavailable_message(excinfo.value) is None


# JSON errors under /api/.


@pytest.mark.urls("tests.security.urls")
@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/v1/inconnu/", 404, "Ressource introuvable"),
        ("/api/test/requete-invalide/", 400, "Requête invalide"),
        ("/api/test/interdit/", 403, "Vous n'avez pas la permission"),
        ("/api/test/panne/", 500, "Une erreur est survenue sur le serveur"),
        ("/api/test/verrou/", 503, "La base de données est occupée"),
        ("/api/v1/markets/999999/", 404, "Aucun objet Market ne correspond"),  # DRF's own
    ],
)
def test_every_api_error_is_french_json(owner_client, url, status, detail):
    owner_client.raise_request_exception = False
    response = owner_client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(detail)
    assert "Traceback" not in response.text and "simulée" not in response.text
