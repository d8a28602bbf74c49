"""The market page links to the market's bilan, for the buyer as for its facilitators (issue 14, item 5)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_buyers_market_page_links_to_its_bilan(market):
    buyer = UserFactory(email="acheteuse@exemple.fr")
    MembershipFactory(user=buyer, organisation=market.buyer, role="admin")
    client = Client()
    client.force_login(buyer)
    bilan = reverse("reporting:market_bilan", args=[market.pk])
    page = client.get(reverse("markets:market_detail", args=[market.pk]))
    assert page.status_code == 200
    assert f'href="{bilan}"' in page.content.decode()
    assert "Bilan du marché" in page.content.decode()
    assert client.get(bilan).status_code == 200


def test_the_facilitators_market_page_links_to_its_bilan(owner_client, market):
    page = owner_client.get(reverse("markets:market_detail", args=[market.pk])).content.decode()
    assert f'href="{reverse("reporting:market_bilan", args=[market.pk])}"' in page
