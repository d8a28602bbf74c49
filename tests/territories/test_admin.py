import pytest
from django.urls import reverse

from .factories import CommuneFactory, DepartmentFactory, QpvFactory


@pytest.fixture
def territories(db):
    dijon = CommuneFactory()
    chenove = CommuneFactory(code="21166", name="Chenôve")
    besancon = CommuneFactory(
        code="25056", name="Besançon", department=DepartmentFactory(code="25", name="Doubs"), epci=None
    )
    QpvFactory(code="QN02101M", name="Grésilles", communes=[dijon])
    QpvFactory(code="QN02103M", name="Le Mail", communes=[chenove])
    return {"dijon": dijon, "besancon": besancon}


@pytest.mark.parametrize("model", ["region", "department", "epci", "commune", "qpv"])
def test_changelists_and_change_forms_render(admin_client, territories, model):
    response = admin_client.get(reverse(f"admin:territories_{model}_changelist"))
    assert response.status_code == 200
    first = response.context["cl"].result_list[0]
    assert admin_client.get(reverse(f"admin:territories_{model}_change", args=[first.pk])).status_code == 200


def test_commune_search_by_name_or_code_and_filter_by_department(admin_client, territories):
    url = reverse("admin:territories_commune_changelist")
    by_name = admin_client.get(url, {"q": "chenôve"}).context["cl"].result_list
    by_code = admin_client.get(url, {"q": "25056"}).context["cl"].result_list
    by_department = admin_client.get(url, {"department__code__exact": "25"}).context["cl"].result_list
    assert [c.code for c in by_name] == ["21166"]
    assert [c.code for c in by_code] == ["25056"]
    assert [c.code for c in by_department] == ["25056"]


def test_commune_autocomplete_serves_other_admins(admin_client, territories):
    # Other admins (organisations, markets, beneficiaries) use autocomplete on communes.
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "beneficiaries", "model_name": "beneficiary", "field_name": "commune", "term": "Dij"},
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == ["21231"]


def test_qpv_search_by_commune_name(admin_client, territories):
    result = admin_client.get(reverse("admin:territories_qpv_changelist"), {"q": "Chenôve"}).context["cl"].result_list
    assert [q.code for q in result] == ["QN02103M"]
