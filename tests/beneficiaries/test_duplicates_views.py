"""The participant form proposes likely duplicates before saving; the merge page (issue 20, point 2)."""

import datetime
import html

import pytest
from django.test import Client

from audit.models import AccessLog
from beneficiaries.duplicates import MERGE_OTHER_STRUCTURE, MERGE_SAME_PERSON
from beneficiaries.models import Beneficiary, Placement
from beneficiaries.views import DUPLICATES_FOUND
from beneficiaries.views_duplicates import OTHER_UNKNOWN
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.organisations.factories import UserFactory
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1985, 5, 17)


def text(response) -> str:
    return html.unescape(response.content.decode())


def _form(commune, **changes):
    data = {
        "last_name": "Lefèvre",
        "first_name": "Zoé",
        "sex": "F",
        "birth_date": "17/05/1985",
        "commune": commune.pk,
        "prescriber_type": "france_travail",
    }
    data.update(changes)
    return data


def test_the_form_proposes_the_likely_duplicates_before_saving(owner_client, structure):
    existing = BeneficiaryFactory(structure=structure, last_name="LEFEVRE", first_name="Zoe", birth_date=BORN)
    commune = CommuneFactory(code="21231", name="Dijon")

    response = owner_client.post("/participants/nouveau/", _form(commune))

    assert response.status_code == 422
    page = text(response)
    assert DUPLICATES_FOUND in page
    assert f'href="/participants/{existing.pk}/"' in page
    assert "mêmes nom, prénom et date de naissance" in page
    assert 'name="create_anyway"' in page
    assert AccessLog.objects.filter(beneficiary=existing, detail="Doublons possibles (nouvelle fiche)").exists()
    assert Beneficiary.objects.filter(structure=structure).count() == 1


def test_the_form_creates_anyway_once_confirmed_and_without_duplicate(owner_client, structure):
    BeneficiaryFactory(structure=structure, last_name="LEFEVRE", first_name="Zoe", birth_date=BORN)
    commune = CommuneFactory(code="21231", name="Dijon")

    confirmed = owner_client.post("/participants/nouveau/", _form(commune, create_anyway="1"))
    other = owner_client.post("/participants/nouveau/", _form(commune, last_name="Durand", birth_date="01/01/1990"))

    assert confirmed.status_code == 302 and other.status_code == 302
    assert Beneficiary.objects.filter(structure=structure).count() == 3


@pytest.fixture
def pair(structure):
    keep = BeneficiaryFactory(structure=structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)
    duplicate = BeneficiaryFactory(structure=structure, last_name="Lefevre", first_name="Zoe", birth_date=BORN)
    PlacementFactory(beneficiary=duplicate)
    return keep, duplicate


def test_the_merge_page_lists_the_likely_duplicates_and_compares_side_by_side(owner_client, pair):
    keep, duplicate = pair

    listed = owner_client.get(f"/participants/{keep.pk}/fusionner/").content.decode()
    compared = owner_client.get(f"/participants/{keep.pk}/fusionner/?avec={duplicate.pk}").content.decode()

    assert f"?avec={duplicate.pk}" in listed
    assert f"Cette fiche (n° {keep.pk})" in compared and f"L'autre fiche (n° {duplicate.pk})" in compared
    assert "LEFÈVRE Zoé" in compared and "LEFEVRE Zoe" in compared
    for person in pair:
        assert AccessLog.objects.filter(beneficiary=person, detail="Comparaison avant fusion").exists()
    assert AccessLog.objects.filter(beneficiary=duplicate, detail="Doublons possibles (fusion)").exists()


@pytest.mark.parametrize("role", ["member", "admin"])
def test_a_facilitator_of_the_structure_merges(pair, structure, role):
    from tests.conftest import _member

    keep, duplicate = pair
    user = _member(structure, role, f"{role}-fusion@exemple.fr")
    client = Client()
    client.force_login(user)

    response = client.post(
        f"/participants/{keep.pk}/fusionner/", {"avec": duplicate.pk, "keep": "this", "confirm": "on"}
    )

    assert response.status_code == 302 and response["Location"] == f"/participants/{keep.pk}/"
    assert not Beneficiary.objects.filter(pk=duplicate.pk).exists()
    assert Placement.objects.filter(beneficiary=keep).count() == 1
    assert AccessLog.objects.filter(beneficiary=keep, user=user, detail__startswith="Fiche n°").exists()


def test_the_merge_needs_the_confirmation(owner_client, pair):
    keep, duplicate = pair

    response = owner_client.post(f"/participants/{keep.pk}/fusionner/", {"avec": duplicate.pk, "keep": "other"})

    assert response.status_code == 422
    assert "Cochez la case pour confirmer la fusion." in response.content.decode()
    assert Beneficiary.objects.filter(pk__in=pair_ids(pair)).count() == 2


def pair_ids(pair):
    return [person.pk for person in pair]


def test_readers_buyers_and_other_structures_cannot_merge(pair, reader_client, outsider_client):
    keep, duplicate = pair
    data = {"avec": duplicate.pk, "keep": "this", "confirm": "on"}

    assert reader_client.get(f"/participants/{keep.pk}/fusionner/").status_code == 403
    assert reader_client.post(f"/participants/{keep.pk}/fusionner/", data).status_code == 403
    assert outsider_client.post(f"/participants/{keep.pk}/fusionner/", data).status_code == 404
    assert Beneficiary.objects.filter(pk__in=pair_ids(pair)).count() == 2


def test_a_record_of_another_structure_is_not_offered(owner_client, pair, other_structure):
    keep, _ = pair
    stranger = BeneficiaryFactory(structure=other_structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)

    response = owner_client.post(
        f"/participants/{keep.pk}/fusionner/", {"avec": stranger.pk, "keep": "this", "confirm": "on"}
    )

    assert response.status_code == 422
    assert OTHER_UNKNOWN in text(response)
    assert Beneficiary.objects.filter(pk__in=[keep.pk, stranger.pk]).count() == 2


def test_refused_merges_show_the_french_message(pair, other_structure):
    keep, _ = pair
    stranger = BeneficiaryFactory(structure=other_structure, last_name="Lefèvre", first_name="Zoé", birth_date=BORN)
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))  # sees both structures

    other = client.post(f"/participants/{keep.pk}/fusionner/", {"avec": stranger.pk, "keep": "this", "confirm": "on"})
    same = client.post(f"/participants/{keep.pk}/fusionner/", {"avec": keep.pk, "keep": "this", "confirm": "on"})

    assert other.status_code == 422 and same.status_code == 422
    assert MERGE_OTHER_STRUCTURE in text(other)
    assert MERGE_SAME_PERSON in text(same)
    assert Beneficiary.objects.filter(pk__in=[keep.pk, stranger.pk]).count() == 2
