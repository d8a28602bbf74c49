"""The DECP pages: upload, preview and confirm; "Marchés à suivre" and the take-over of a published market."""

import io
import json
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from markets.decp import import_decp
from markets.models import DecpMarket, Market
from tests.markets.test_decp_import import HOLDER, record
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    CoordinationFactory,
    MembershipFactory,
    UserFactory,
)
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db


def upload(client, records, name="decp.json"):
    body = json.dumps({"marches": {"marche": records}}).encode()
    return client.post(reverse("markets:decp_import"), {"file": SimpleUploadedFile(name, body)})


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dijon(db):
    return CommuneFactory()


def published(records):
    stream = io.BytesIO(json.dumps({"marches": {"marche": records}}).encode())
    report = import_decp(stream, today=date(2026, 11, 26))
    assert report.ok
    return report


def test_upload_shows_a_preview_then_confirm_imports_the_markets_of_the_region(owner_client, dijon):
    records = [
        record(id="A"),
        record(id="B", lieuExecution={"code": "75056", "typeCode": "Code commune"}),  # Paris: outside region 27
        record(id="C", montant="NC"),
    ]
    response = upload(owner_client, records)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Aperçu de l'import DECP" in content
    assert "Enregistrement n° 3 (« C ») : montant absent ou « NC »" in content
    assert "hors du périmètre choisi" in content
    assert response.context["report"].created == 1
    assert "2 acheteurs ou titulaires inconnus seront créés d'après leur SIRET" in content
    assert not DecpMarket.objects.exists()  # the preview writes nothing

    response = owner_client.post(reverse("markets:decp_import_confirm"))
    assert response.status_code == 302 and response.url == reverse("markets:decp_to_follow")
    assert list(DecpMarket.objects.values_list("decp_id", flat=True)) == ["A"]
    # The file waits no more: a second confirmation has nothing to import.
    response = owner_client.post(reverse("markets:decp_import_confirm"), follow=True)
    assert "Aucun import en attente" in response.content.decode()


def test_a_second_upload_of_the_same_file_says_nothing_changes(owner_client, dijon):
    published([record()])
    response = upload(owner_client, [record()])
    assert "Ce fichier ne change rien" in response.content.decode()


def test_a_malformed_upload_is_refused_whole(owner_client):
    response = owner_client.post(
        reverse("markets:decp_import"), {"file": SimpleUploadedFile("x.json", b'{"marches": [{"id": 1,,}]}')}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "refusé en entier" in content and "JSON invalide ligne 1" in content
    assert "Confirmer" not in content


def test_coordinators_may_import(dijon):
    coordinator = UserFactory()
    MembershipFactory(user=coordinator, organisation=CoordinationFactory(), role="member")
    response = upload(client_of(coordinator), [record()])
    assert response.status_code == 200 and response.context["report"].created == 1


def test_readers_buyers_and_companies_may_not_import(reader_client, dijon):
    assert reader_client.get(reverse("markets:decp_import")).status_code == 403
    buyer_user, company_user = UserFactory(), UserFactory()
    MembershipFactory(user=buyer_user, organisation=BuyerFactory())
    MembershipFactory(user=company_user, organisation=CompanyFactory())
    assert upload(client_of(buyer_user), [record()]).status_code == 403
    assert client_of(company_user).get(reverse("markets:decp_import")).status_code == 404  # the company portal
    assert client_of(buyer_user).get(reverse("markets:decp_to_follow")).status_code == 403
    assert not DecpMarket.objects.exists()


def test_markets_to_follow_lists_the_social_clause_markets_of_the_region(owner_client, outsider_client, dijon):
    published(
        [
            record(id="CLAUSE", objet="Entretien des espaces verts"),
            record(id="SANS", considerationsSociales={"considerationSociale": ["Pas de considération sociale"]}),
            record(id="PARIS", lieuExecution={"code": "75056", "typeCode": "Code commune"}),
        ]
    )
    response = owner_client.get(reverse("markets:decp_to_follow"))
    assert response.status_code == 200
    assert [m.decp_id for m in response.context["page_obj"]] == ["CLAUSE"]
    content = response.content.decode()
    assert "Entretien des espaces verts" in content and "Suivre ce marché" in content
    assert re.search(r"450[\u202f\xa0 ]000\W€", content)


def test_a_reader_sees_the_list_without_the_button(reader_client, dijon):
    published([record()])
    content = reader_client.get(reverse("markets:decp_to_follow")).content.decode()
    assert "Réhabilitation de 40 logements" in content and "Suivre ce marché" not in content


def test_take_over_creates_the_market_then_opens_the_lot_form_with_its_holder(owner_client, structure, dijon):
    published([record(lieuExecution={"code": "21231", "typeCode": "Code commune"})])
    decp_market = DecpMarket.objects.get()
    url = reverse("markets:decp_follow")
    form = owner_client.get(url, {"marche": decp_market.pk})
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert (initial["reference"], initial["end_date"], initial["execution_commune"]) == (
        "2025-001",
        date(2027, 2, 28),
        "21231",
    )
    data = {
        "marche": decp_market.pk,
        "reference": "2025-001",
        "title": decp_market.title,
        "buyer": decp_market.buyer_id,
        "facilitator": structure.pk,
        "market_type": "works",
        "execution_commune": "21231",
        "notified_on": "2025-03-01",
        "start_date": "2025-03-01",
        "end_date": "2027-02-28",
        "amount_excl_vat": "450000",
    }
    response = owner_client.post(url, data)
    market = Market.objects.get()
    holder = decp_market.holders.get()
    assert holder.siret == HOLDER
    assert response.status_code == 302
    assert response.url == reverse("markets:lot_create", kwargs={"pk": market.pk}) + f"?titulaire={holder.pk}"
    assert DecpMarket.objects.get().market == market and market.facilitator == structure
    lot_form = owner_client.get(response.url)
    assert lot_form.context["lot_form"].initial["contractor"] == holder.pk
    # Followed: it leaves the list, and a second take-over finds nothing.
    assert not owner_client.get(reverse("markets:decp_to_follow")).context["page_obj"].object_list
    assert owner_client.post(url, data).status_code == 404


def test_take_over_is_refused_to_readers_and_to_other_regions(reader_client, dijon):
    published([record()])
    pk = DecpMarket.objects.get().pk
    assert reader_client.get(reverse("markets:decp_follow"), {"marche": pk}).status_code == 403
    elsewhere = UserFactory()
    from tests.organisations.factories import FacilitationStructureFactory
    from tests.territories.factories import RegionFactory

    MembershipFactory(
        user=elsewhere, organisation=FacilitationStructureFactory(region=RegionFactory(code="11", name="IDF"))
    )
    assert client_of(elsewhere).get(reverse("markets:decp_follow"), {"marche": pk}).status_code == 404
    assert not Market.objects.exists()
