"""Class guard: whatever offers related objects (a filter, a form field, a serializer field, the browsable API's
HTML forms) offers only what the user sees.

Everything is found by enumeration, so a new route, filter or field is covered by default:

- the API: every viewset of the router (api/urls.py), its filterset and every serializer class of the `api`
  package (nested and many-related fields included), each built for each user: the queryset of every related
  filter or field must lie within `Model.objects.visible_to(user)`;
- the browsable API: every API route of the URL resolver, requested with `?format=api` by each user, on each
  tenant's object and on a "crossed" placement (a person followed by structure B working on structure A's market);
- the HTML pages: every route of the URL resolver (tests/test_access_matrix.py), requested by each user; every form
  and filterset of the page's context is inspected the same way.

In every HTML answer: no identity or note of a person the user may not see, no <option> naming an object outside
the user's perimeter, and no <select> longer than the configured cutoff. Users: the seven roles of the shared world
(tests/audit/world.py), each an outsider to some of its objects (another structure, a buyer, a coordination of
another region...). Only reference data is excluded, below, with its reason.

Decision: the browsable API stays on in production (integrators explore the API with their token); this test is
the proof that its forms stay within the user's perimeter and bounded (REST_FRAMEWORK["HTML_SELECT_CUTOFF"]). Were
it switched off, `test_browsable_api_forms_offer_only_the_users_objects` would find no HTML page and fail: update it
then to assert the JSON-only answer instead.
"""

import html
import re

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_filters import FilterSet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

import api  # noqa: F401  (the package whose serializers are enumerated)
from api.urls import router
from beneficiaries.models import Beneficiary, Outcome
from markets.models import Market, Operation
from organisations.models import Organisation
from tests.security.crossed_world import build_crossed_world
from tests.test_access_matrix import OBJECT_OF, logged_client, variants, walk

pytestmark = pytest.mark.django_db

USERS = ("fac_a", "fac_b", "reader_a", "buyer_x", "buyer_y", "coord_27", "coord_other")

# Related models without a perimeter: public reference data, the same for everyone.
PUBLIC_MODELS = {
    "territories.region": "référentiel officiel (régions), public",
    "territories.department": "référentiel officiel (départements), public",
    "territories.epci": "référentiel officiel (EPCI), public",
    "territories.commune": "référentiel officiel (communes), public",
    "territories.qpv": "référentiel officiel (QPV), public",
    "markets.trade": "nomenclature des métiers, publique",
}
# Routes not requested here, with the reason.
SKIPPED_ROUTES = {
    "logout": "POST seulement ; déconnecterait le client partagé",
    "organisations:switch": "POST seulement",
}
CUTOFF = api_settings.HTML_SELECT_CUTOFF
SELECT = re.compile(r"<select\b[^>]*>(.*?)</select>", re.S | re.I)
OPTION = re.compile(r"<option\b[^>]*>(.*?)</option>", re.S | re.I)


# The world --------------------------------------------------------------------------------------------------------


def perimeter(model, user) -> set | None:
    """Ids of the objects of `model` the user sees; None for public reference data."""
    label = model._meta.label_lower
    if label in PUBLIC_MODELS:
        return None
    queryset = model._default_manager.all()
    assert hasattr(queryset, "visible_to"), (
        f"{label} est proposé dans un choix sans périmètre : ajoutez-lui visible_to(user) ou justifiez-le dans "
        "PUBLIC_MODELS"
    )
    return set(queryset.visible_to(user).values_list("pk", flat=True))


def forbidden_texts(user) -> dict[str, set[str]]:
    """What the user must never read anywhere (`anywhere`) and what must never be offered as a choice (`options`)."""
    hidden_people = Beneficiary.objects.exclude(pk__in=Beneficiary.objects.visible_to(user))
    anywhere = set()
    for person in hidden_people:
        anywhere |= {person.last_name, person.first_name, person.address, person.notes, person.prescriber_name}
    visible_people = Beneficiary.objects.visible_to(user)
    anywhere |= set(Outcome.objects.exclude(placement__beneficiary__in=visible_people).values_list("notes", flat=True))
    options = set(anywhere)
    for model, attribute in ((Organisation, "name"), (Operation, "name"), (Market, "reference")):
        hidden = model.objects.exclude(pk__in=model.objects.visible_to(user))
        options |= set(hidden.values_list(attribute, flat=True))
    return {"anywhere": {text for text in anywhere if text}, "options": {text for text in options if text}}


# Inspection ---------------------------------------------------------------------------------------------------------


def check_queryset(where: str, model, queryset, user, failures: list) -> None:
    allowed = perimeter(model, user)
    if allowed is None:
        return
    outside = set(queryset.values_list("pk", flat=True)) - allowed
    if outside:
        failures.append(f"{where}: {model._meta.label} hors périmètre proposés : {sorted(outside)}")


def check_html(where: str, body: str, forbidden: dict, failures: list) -> int:
    """The rules of every HTML answer; returns the number of <select> inspected."""
    text = html.unescape(body)
    for secret in forbidden["anywhere"]:
        if secret in text:
            failures.append(f"{where}: la page contient « {secret} »")
    selects = SELECT.findall(body)
    for select in selects:
        options = [html.unescape(re.sub(r"<[^>]+>", "", option)).strip() for option in OPTION.findall(select)]
        if len(options) > CUTOFF + 2:  # the cutoff, an empty choice and the "more choices" notice
            failures.append(f"{where}: une liste de {len(options)} choix (plus de {CUTOFF})")
        for option in options:
            leaked = [secret for secret in forbidden["options"] if secret in option]
            if leaked:
                failures.append(f"{where}: le choix « {option} » nomme un objet hors périmètre")
    return len(selects)


def forms_in(value, depth: int = 0):
    """Forms found in a template context value: forms, filtersets' forms, formsets, and lists or dicts of them."""
    if depth > 3:
        return
    if isinstance(value, forms.BaseForm):
        yield value
    elif isinstance(value, FilterSet):
        yield value.form
    elif isinstance(value, forms.BaseFormSet):
        yield from value.forms
    elif isinstance(value, dict):
        for item in value.values():
            yield from forms_in(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from forms_in(item, depth + 1)


def context_values(context) -> list:
    """The values of a test response's context: one Context, or a ContextList when several templates rendered."""
    if context is None:
        return []
    if hasattr(context, "flatten"):
        return list(context.flatten().values())
    return [value for item in context for value in item.flatten().values()]


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def api_serializers() -> list[type]:
    """Every concrete serializer of the `api` package, and the serializer of every viewset of the router."""
    viewsets = {viewset.serializer_class for _prefix, viewset, _basename in router.registry}
    return sorted(
        viewsets
        | {
            cls
            for cls in all_subclasses(serializers.BaseSerializer)
            if cls.__module__.startswith("api.")
            and not (issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"))  # abstract bases
        },
        key=lambda cls: f"{cls.__module__}.{cls.__name__}",
    )


def related_fields(serializer, path: str = ""):
    """(path, field) of every writable related field of a serializer, nested serializers included."""
    for name, field in serializer.fields.items():
        where = f"{path}{name}"
        if isinstance(field, serializers.ManyRelatedField):
            if not field.read_only:
                yield where, field.child_relation
        elif isinstance(field, serializers.RelatedField):
            if not field.read_only:
                yield where, field
        elif isinstance(field, serializers.ListSerializer):
            yield from related_fields(field.child, f"{where}[].")
        elif isinstance(field, serializers.BaseSerializer):
            yield from related_fields(field, f"{where}.")


def drf_request(user):
    request = APIRequestFactory().get("/api/v1/")
    request.user = user
    return Request(request)


def fresh(world, name):
    """The user anew (no scope cached), as on a request authenticated by token: every membership counts."""
    return type(world.users[name]).objects.get(pk=world.users[name].pk)


# Tests --------------------------------------------------------------------------------------------------------------


def test_api_filters_and_serializer_fields_offer_only_the_users_objects():
    """Every filterset of the router and every serializer of the API package, built for each user."""
    world = build_crossed_world()
    failures, filters, related_filters, fields, related = [], 0, 0, 0, 0
    for name in USERS:
        user = fresh(world, name)
        request = drf_request(user)
        for prefix, viewset, _basename in router.registry:
            filterset_class = getattr(viewset, "filterset_class", None)
            if filterset_class is None:
                continue
            model = filterset_class._meta.model
            filterset = filterset_class(data={}, queryset=model.objects.none(), request=request)
            for filter_name, filter_ in filterset.filters.items():
                filters += 1
                field = filter_.field
                if isinstance(field, forms.ModelChoiceField):
                    related_filters += 1
                    where = f"{name} GET /api/v1/{prefix}/ filtre {filter_name}"
                    check_queryset(where, field.queryset.model, field.queryset, user, failures)
        for serializer_class in api_serializers():
            serializer = serializer_class(context={"request": request})
            for path, field in related_fields(serializer):
                related += 1
                queryset = field.get_queryset()
                check_queryset(f"{name} {serializer_class.__name__}.{path}", queryset.model, queryset, user, failures)
            fields += len(serializer.fields)
    per_user = len(USERS)
    print(
        f"\nChoix liés de l'API : {filters // per_user} filtres ({related_filters // per_user} sur un objet lié), "
        f"{len(api_serializers())} sérialiseurs, {fields // per_user} champs ({related // per_user} liés modifiables), "
        f"× {per_user} utilisateur·rices."
    )
    assert filters and fields and related
    assert not failures, "\n".join(failures)


def api_urls(route, world, name) -> list[str]:
    urls = [url for _tenant, url in variants(route, world, name)]
    crossed = {"placement": world.crossed.placement, "outcome": world.crossed.outcome}.get(OBJECT_OF.get(route.name))
    if crossed is not None:
        urls.append(reverse(route.name, kwargs={"pk": crossed.pk}))
    return urls


def test_browsable_api_forms_offer_only_the_users_objects():
    """Every API route of the URL resolver, as each user, in the browsable API (`?format=api`): its filter form, its
    POST or PUT form and the data it shows."""
    world = build_crossed_world()
    failures, pages, selects = [], 0, 0
    routes = [route for route in walk() if route.is_api and "format" not in route.converters]
    for name in USERS:
        forbidden = forbidden_texts(fresh(world, name))
        client = Client(HTTP_AUTHORIZATION=f"Token {world.tokens[name][1]}")
        for route in routes:
            for url in api_urls(route, world, name):
                response = client.get(url, {"format": "api"})
                if response.status_code >= 500:
                    failures.append(f"{name} GET {url}?format=api: {response.status_code}")
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue
                pages += 1
                selects += check_html(f"{name} GET {url}?format=api", response.content.decode(), forbidden, failures)
    print(
        f"\nAPI navigable : {len(routes)} routes, {pages} pages rendues (route × utilisateur·rice × objet), "
        f"{selects} listes vérifiées."
    )
    assert pages > len(routes)  # each route rendered for several users
    assert not failures, "\n".join(failures)


def page_urls(route, world, name) -> list[str]:
    urls = [url for _tenant, url in variants(route, world, name)]
    if OBJECT_OF.get(route.name) == "placement":
        urls.append(reverse(route.name, kwargs={"pk": world.crossed.placement.pk}))
    return urls


def test_html_pages_offer_only_the_users_objects():
    """Every HTML route of the URL resolver (the Django admin apart: staff only), as each user: every form and filter
    of the page's context, and the HTML it renders."""
    world = build_crossed_world()
    failures, pages, form_count, choice_fields, selects = [], 0, 0, 0, 0
    routes = [
        route
        for route in walk()
        if not route.is_admin
        and not route.is_api
        and route.name not in SKIPPED_ROUTES
        and "token_id" not in route.converters
    ]
    for name in USERS:
        client = logged_client(world, name)
        for route in routes:
            for url in page_urls(route, world, name):
                with transaction.atomic():
                    response = client.get(url)
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(f"{name} GET {url}: {response.status_code}")
                if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                    continue
                pages += 1
                # The page's perimeter: the user as the request saw them (pinned to their current organisation).
                viewer = response.wsgi_request.user
                forbidden = forbidden_texts(viewer)
                found = {id(form): form for value in context_values(response.context) for form in forms_in(value)}
                for form in found.values():
                    form_count += 1
                    for field_name, field in form.fields.items():
                        if isinstance(field, forms.ModelChoiceField):
                            choice_fields += 1
                            where = f"{name} GET {url} {type(form).__name__}.{field_name}"
                            check_queryset(where, field.queryset.model, field.queryset, viewer, failures)
                selects += check_html(f"{name} GET {url}", response.content.decode(), forbidden, failures)
    print(
        f"\nPages HTML : {len(routes)} routes, {pages} pages rendues (route × utilisateur·rice × objet), "
        f"{form_count} formulaires, "
        f"{choice_fields} champs à choix d'objets, {selects} listes vérifiées."
    )
    assert pages > len(routes) and choice_fields
    assert not failures, "\n".join(set(failures))


# Regressions of issue 11, item 1 ---------------------------------------------------------------------------------


def test_hours_filter_form_lists_no_contract_to_a_coordination_of_another_region():
    """The filter form of /api/v1/hours/ rendered every placement of the database, with the person's name."""
    world = build_crossed_world()
    client = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['coord_other'][1]}")
    for path in ("/api/v1/hours/", "/api/v1/outcomes/", "/api/v1/placements/"):
        body = client.get(path, {"format": "api"}).content.decode()
        assert re.search(r'<select[^>]*name="(placement|lot)"', body) is None, path
        assert "Quenouillard".upper() not in body and "Zabulonski".upper() not in body, path


def test_browsable_api_related_select_is_capped():
    """A related field's <select> lists at most the cutoff, then asks for the id."""
    from tests.markets.factories import LotFactory

    world = build_crossed_world()
    for number in range(2, CUTOFF + 12):
        LotFactory(market=world.a.market, number=number)
    client = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['fac_a'][1]}")
    body = client.get("/api/v1/clauses/", {"format": "api"}).content.decode()
    lot_select = re.search(r'<select[^>]*name="lot"[^>]*>(.*?)</select>', body, re.S).group(1)
    assert CUTOFF <= 100
    assert len(OPTION.findall(lot_select)) <= CUTOFF + 2
    assert f"Plus de {CUTOFF} choix" in html.unescape(body)
