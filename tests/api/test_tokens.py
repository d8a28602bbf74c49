"""Personal tokens: created and revoked from /compte/jetons/, shown once, accepted by the API."""

import pytest

from api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_created_shown_once_then_used_and_revoked(world, client, api):
    client.force_login(world.owner)
    response = client.post("/compte/jetons/", {"name": "Logiciel de paie"}, follow=True)
    assert response.status_code == 200
    key = response.context["new_key"]["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=world.owner)
    assert token.key_hash != key and key.startswith(token.prefix)
    # Shown once only.
    assert key not in client.get("/compte/jetons/").content.decode()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/markets/").json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None
    response = client.post(f"/compte/jetons/{token.pk}/revoquer/", follow=True)
    assert "Le jeton est révoqué" in response.content.decode()
    response = api.get("/api/v1/markets/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton invalide ou révoqué."


def test_token_name_required_and_others_tokens_not_revocable(world, client):
    client.force_login(world.owner)
    response = client.post("/compte/jetons/", {"name": "  "})
    assert response.status_code == 400
    assert "Donnez un nom au jeton" in response.content.decode()
    client.force_login(world.outsider)
    client.post("/compte/jetons/", {"name": "autre"})
    theirs = ApiToken.objects.get(user=world.outsider)
    client.force_login(world.owner)
    response = client.post(f"/compte/jetons/{theirs.pk}/revoquer/", follow=True)
    assert "existe pas ou a déjà été révoqué" in response.content.decode()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_token_page_requires_login(client):
    response = client.get("/compte/jetons/")
    assert response.status_code == 302 and "/compte/jetons/" in response["Location"]


def test_token_of_inactive_user_refused(world, api):
    api.with_token(world.owner)
    world.owner.is_active = False
    world.owner.save()
    assert api.get("/api/v1/markets/").status_code == 401


def test_token_scope_is_the_union_of_memberships(world, api):
    api.with_token(world.owner)
    assert api.get(f"/api/v1/placements/{world.placement.pk}/").json()["beneficiary_name"] == "DUPONT Marie"


def test_schema_and_docs_served_without_cdn(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/hours/{id}/validate/" in body["paths"]
    assert "tokenAuth" in body["components"]["securitySchemes"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "unpkg" not in docs
    assert "/static/drf_spectacular_sidecar/" in docs
