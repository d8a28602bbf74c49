def test_home_renders_for_owner(owner_client, market):
    response = owner_client.get("/")
    assert response.status_code == 200
    assert "PLIE de la Côte" in response.text
