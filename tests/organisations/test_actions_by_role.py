"""Menus and actions by role: a page never offers a link or a button its reader would be refused (issue 14, item 5).

For readers, buyers and coordinators, every page they reach from the menu (and the object pages: market, lot,
person, contract, organisation) is fetched, then every internal link of those pages is followed with the same
client (GET) and every form is submitted empty (inside a rolled-back transaction): none may answer 403.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.audit.world import build_world

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: set[str] = set()
        self.forms: set[tuple[str, str]] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"])
        elif tag == "form":
            self.forms.add(((attrs.get("method") or "get").lower(), attrs.get("action") or ""))


def _internal(page: str, href: str) -> str | None:
    url = urljoin(page, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path.startswith("/static/") or href.startswith("#"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _pages(world, role):
    a = world.a
    pages = [
        reverse("home"),
        reverse("markets:market_list"),
        reverse("organisations:list"),
        reverse("reporting:dashboard"),
        reverse("markets:market_detail", args=[a.market.pk]),
        reverse("lot_detail", args=[a.lot.pk]),
    ]
    own = {"reader_a": a.structure, "buyer_x": a.buyer, "coord_27": world.coordination}[role]
    pages += [reverse("organisations:detail", args=[own.pk]), reverse("organisations:members", args=[own.pk])]
    if role == "reader_a":
        pages += [
            reverse("markets:operation_list"),
            reverse("markets:operation_detail", args=[a.operation.pk]),
            reverse("beneficiaries:list"),
            reverse("beneficiaries:detail", args=[a.person.pk]),
            reverse("placements:list"),
            reverse("placements:detail", args=[a.placement.pk]),
            reverse("hours:grid") + f"?lot={a.lot.pk}&mois=2025-04",
            reverse("reporting:yearly_report"),
        ]
    if role == "coord_27":
        pages.append(reverse("reporting:yearly_report"))
    if role in ("buyer_x", "coord_27"):
        pages.append(reverse("reporting:market_bilan", args=[a.market.pk]))
    return pages


@pytest.mark.parametrize("role", ["reader_a", "buyer_x", "coord_27"])
def test_no_page_offers_what_the_role_is_refused(role):
    world = build_world()
    client = Client()
    client.force_login(world.users[role])
    logout = reverse("logout")
    refused = []
    for page in _pages(world, role):
        response = client.get(page, follow=True)
        assert response.status_code == 200, (page, response.status_code)
        page = response.request["PATH_INFO"]
        parser = _Links()
        parser.feed(response.content.decode())
        for href in sorted(parser.links):
            url = _internal(page, href)
            if url and client.get(url).status_code == 403:
                refused.append((page, "lien", url))
        for method, action in sorted(parser.forms):
            url = _internal(page, action) or page
            if method == "get":
                status = client.get(url).status_code
            elif urlsplit(url).path == logout:
                continue
            else:
                with transaction.atomic():
                    status = client.post(url, {}).status_code
                    transaction.set_rollback(True)
            if status == 403:
                refused.append((page, f"formulaire {method}", url))
    assert refused == [], "\n".join(map(str, refused))


def test_members_of_a_structure_keep_the_import_link(owner_client, reader_client):
    upload = f'href="{reverse("imports:upload")}"'
    assert upload in owner_client.get(reverse("home"), follow=True).content.decode()
    assert upload not in reader_client.get(reverse("home"), follow=True).content.decode()
