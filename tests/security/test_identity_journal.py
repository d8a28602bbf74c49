"""Class guard of the access journal (issue 11, item 8): every page and API answer that shows who a person is
writes the journal.

Every URL pattern is found from the URL resolver (the web pages, every route of the API router with its `.json`
variant, the Django admin), as in the access matrix, and fetched (GET) by the facilitator who follows person A
(the superuser for the admin's pages), with query strings that fill the pages listing people (EXTRA_QUERIES).
Whenever an answer holds a person's name or birth date, an entry of the journal about that person, by that user,
must have been written during the request. A new page or route showing identity without a journal entry fails
by default; the few pages that only offer names to pick from are listed in NAME_ONLY with a reason, and must
show nothing else about the person.

API routes are fetched as JSON and as the browsable API's HTML page (`?format=api`), whose forms offer related
objects in pickers: those show ids and "Contrat n° …", never a name (and tests/security/test_related_choices.py
proves they offer only what the user may see).
"""

import datetime
import json

import pytest
from django.db import transaction
from django.test import Client

from audit.models import AccessLog
from beneficiaries.models import Beneficiary
from tests.audit.world import build_world
from tests.test_access_matrix import admin_url, variants, walk

pytestmark = pytest.mark.django_db

# Pages that show names only, in a list to choose from, without a journal entry.
NAME_ONLY = {
    "placements:create": "a picker: the names of the people the structure follows, to choose whom a contract is for",
    "audit:journal": (
        "the journal itself, for the structure's administrators: its person picker and the people of its entries, "
        "by name only; journalling each reading would add an entry for every person of the structure"
    ),
    "admin:autocomplete": "the admin's picker of related objects (staff only): names to choose from",
}
# The admin's deletion summaries of other models (an organisation, a lot...) list the labels of the contracts a
# deletion would remove or that block it: names only, staff only.
ADMIN_DELETION_SUMMARY = "the admin's deletion summary of another model: labels of the related contracts, names only"


def name_only(route) -> str | None:
    """Why this route may show names without a journal entry, if it may."""
    if route.name in NAME_ONLY:
        return NAME_ONLY[route.name]
    if route.is_admin and route.name.endswith("_delete") and not route.name.startswith("admin:beneficiaries_"):
        return ADMIN_DELETION_SUMMARY
    return None


# Query strings fetched besides the bare URL, so that pages listing people have some to list.
EXTRA_QUERIES = {
    "hours:grid": ["?month=2025-03", "?month=2025-04&lot={lot}"],
    "placements:list": ["?page=1"],
    "beneficiaries:list": ["?q=Quenouillard"],
}


def markers(person) -> list[str]:
    """What betrays who the person is in a page: the name, the birth date as pages and the API write it."""
    return [person.last_name, person.birth_date.strftime("%d/%m/%Y"), person.birth_date.isoformat()]


def details(person) -> list[str]:
    """What a page offering names only must not show."""
    return [person.address, person.notes, person.prescriber_name, *markers(person)[1:]]


def body_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", errors="replace").casefold()


def holds(text: str, strings: list[str]) -> bool:
    return any(s.casefold() in text or json.dumps(s)[1:-1].casefold() in text for s in strings)


def urls_of(route, world, role) -> list[str]:
    if route.is_admin:
        return [admin_url(route, world)]
    urls = [url for _tenant, url in variants(route, world, role)]
    if route.is_api:
        urls += [url + ("&" if "?" in url else "?") + "format=api" for url in urls if ".json" not in url]
    extra = [query.format(lot=world.a.lot.pk) for query in EXTRA_QUERIES.get(route.name, [])]
    return urls + [url + query for url in urls for query in extra]


def fetch(client, url, world, role, route):
    """GET in a transaction rolled back afterwards; returns the answer and the people journalled meanwhile."""
    extra = {}
    if route.is_api:
        extra["HTTP_AUTHORIZATION"] = f"Token {world.tokens[role][1]}"
    with transaction.atomic():
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url, **extra)
        text = body_text(response)
        journalled = set(
            AccessLog.objects.filter(pk__gt=last, user=world.users[role]).values_list("beneficiary_id", flat=True)
        )
        transaction.set_rollback(True)
    return response, text, journalled


def test_every_page_showing_identity_writes_the_journal():
    world = build_world()
    Beneficiary.objects.filter(pk=world.b.person.pk).update(birth_date=datetime.date(1988, 9, 21))
    people = list(Beneficiary.objects.filter(pk__in=[world.a.person.pk, world.b.person.pk]))
    clients = {}
    for role in ("fac_a", "superuser"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    failures, fetched, showing, journalled_pages = [], 0, set(), set()
    for route in walk():
        role = "superuser" if route.is_admin else "fac_a"
        client = Client() if route.is_api else clients[role]
        for url in urls_of(route, world, role):
            response, text, journalled = fetch(client, url, world, role, route)
            fetched += 1
            assert response.status_code < 500, f"GET {url}: {response.status_code}"
            for person in people:
                if not holds(text, markers(person)):
                    continue
                showing.add(route.key)
                if reason := name_only(route):
                    if holds(text, details(person)):
                        failures.append(f"GET {url} ({reason}) shows more than a name")
                elif person.pk not in journalled:
                    failures.append(f"GET {url} as {role} shows {person.last_name} without a journal entry")
                else:
                    journalled_pages.add(route.key)
    print(
        f"\nJournal des accès : {len(walk())} routes, {fetched} GET, {len(showing)} routes montrant une identité, "
        f"{len(journalled_pages)} journalisées, {len(showing) - len(journalled_pages)} listes de noms exemptées."
    )
    print(f"Listes de noms exemptées : {sorted(showing - journalled_pages)}")
    assert not failures, f"{len(failures)} answers show identity without a journal entry:\n" + "\n".join(failures)
    # The guard can fail: it did see identity on the pages known to show it.
    assert {
        "beneficiaries:list",
        "beneficiaries:detail",
        "beneficiaries:update",
        "placements:list",
        "placements:detail",
        "hours:grid",
        "api:beneficiary-list",
        "api:placement-list",
        "admin:beneficiaries_beneficiary_changelist",
    } <= journalled_pages
