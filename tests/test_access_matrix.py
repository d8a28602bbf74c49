"""The access matrix: every URL pattern of the project (web, API and Django admin), found from the URL resolver,
requested by every role on objects of each tenant, against an expected answer written below.

A new URL pattern without an expectation fails the test (`test_every_url_pattern_has_an_expectation`), so no page
can be forgotten. Each request runs in a transaction rolled back afterwards, so the POSTs of one case never change
the data of the next.

Roles (tests/audit/world.py): anonymous, admin of structure A (fac_a), member of structure B (fac_b), reader of A,
buyer X (buys A's market), buyer Y (buys B's), coordinator of region 27 (both markets), coordinator of another
region, superuser. For an URL taking an object, each role is checked on A's object and on B's object, through its
relation to that object's tenant:

- owner_admin / owner_member / owner_reader: a member of the structure following the object;
- other_fac / other_reader: a member of the other structure;
- buyer / other_buyer: the buyer of the object's market, or the other buyer;
- coord / coord_other: the coordinator of the region, or of another region;
- company / company_other: company_a, the contact of the company holding lot A (issue 15), on A's objects; on B's,
  whose lot the same company holds and employs on without any access for this contact.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.audit.world import ROLES, build_world

pytestmark = pytest.mark.django_db

LOGIN = "login"  # 302 to the login page
ADMIN_LOGIN = "admin_login"  # 302 to the admin's login page
WRITE_OK = "write_ok"  # accepted (a form shown again with its errors, a redirect, 200/201/400/422): not refused
REDIRECT = "redirect"  # 302 elsewhere than a login page
ANY_LOGIN = "any_login"  # 302 to the app's or the admin's login page
STAFF_IN = "staff_in"  # the admin answered a staff member itself: neither a login page nor a server error

RELATIONS_A = {
    "fac_a": "owner_admin",
    "reader_a": "owner_reader",
    "fac_b": "other_fac",
    "buyer_x": "buyer",
    "buyer_y": "other_buyer",
    "coord_27": "coord",
    "company_a": "company",
}
RELATIONS_B = {
    "fac_b": "owner_member",
    "reader_a": "other_reader",
    "fac_a": "other_fac",
    "buyer_y": "buyer",
    "buyer_x": "other_buyer",
    "coord_27": "coord",
    "company_a": "company_other",
}
ALL_RELATIONS = (
    "anonymous",
    "owner_admin",
    "owner_member",
    "owner_reader",
    "other_fac",
    "other_reader",
    "buyer",
    "other_buyer",
    "coord",
    "coord_other",
    "superuser",
    "company",
    "company_other",
)
# Shorthands for groups of relations.
GROUPS = {
    "owner": ("owner_admin", "owner_member"),
    "facilitators": ("owner_admin", "owner_member", "other_fac"),
    "readers": ("owner_reader", "other_reader"),
    "others": ("other_fac", "other_reader"),
    "buyers": ("buyer", "other_buyer"),
    "coords": ("coord", "coord_other"),
    "companies": ("company", "company_other"),
    "members": tuple(r for r in ALL_RELATIONS if r not in ("anonymous", "superuser")),
    "logged": tuple(r for r in ALL_RELATIONS if r != "anonymous"),
}


def relation(role: str, tenant: str | None) -> str:
    if tenant not in ("a", "b"):
        tenant = None
    if tenant is None or role in ("anonymous", "superuser", "coord_other"):
        if tenant is None and role in RELATIONS_A:
            # No object: fac_a is an admin, fac_b a member, reader_a a reader.
            return {"fac_a": "owner_admin", "fac_b": "owner_member", "reader_a": "owner_reader"}.get(
                role, RELATIONS_A[role]
            )
        return role
    return (RELATIONS_A if tenant == "a" else RELATIONS_B)[role]


def expect(default, **overrides) -> dict[str, object]:
    """Expected answer per relation: `default`, then groups (see GROUPS), then single relations."""
    table = dict.fromkeys(ALL_RELATIONS, default)
    for name in ("logged", "members", "facilitators", "owner", "others", "readers", "buyers", "coords", "companies"):
        if name in overrides:
            table.update(dict.fromkeys(GROUPS[name], overrides.pop(name)))
    for name, value in overrides.items():
        assert name in ALL_RELATIONS, name
        table[name] = value
    return table


# The URL patterns ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced name, e.g. "beneficiaries:detail"; unnamed admin patterns: "admin:<their path>"
    prefix: str  # the path of the resolvers above the pattern, e.g. "admin/beneficiaries/beneficiary/"
    converters: tuple[str, ...] = field(default=())

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api:") and self.name not in ("api:schema", "api:docs", "api:redoc")

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")

    @property
    def key(self) -> str:
        """Key in the expectations: the name, plus '.format' for the API's format-suffix variants."""
        return f"{self.name}.format" if "format" in self.converters else self.name


def walk(patterns=None, namespace: str = "", prefix: str = "", converters: tuple = ()) -> list[Route]:
    """Every URL pattern, recursively, with its namespaced name and the names of the arguments it takes."""
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        names = tuple(re.findall(r"\(\?P<(\w+)>", entry.pattern.regex.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += walk(entry.url_patterns, inner, prefix + str(entry.pattern), converters + names)
        else:
            name = entry.name or f"<{prefix}{entry.pattern}>"
            assert entry.name or namespace == "admin:", f"URL pattern without a name: {prefix}{entry.pattern}"
            routes.append(Route(f"{namespace}{name}", prefix, converters + names))
    return routes


# Filling the URL arguments --------------------------------------------------------------------------------------

OBJECT_OF = {
    "organisations:detail": "structure",
    "organisations:update": "structure",
    "organisations:members": "structure",
    "organisations:member_role": "structure",
    "organisations:member_remove": "structure",
    "markets:operation_detail": "operation",
    "markets:operation_update": "operation",
    "markets:market_detail": "market",
    "markets:market_update": "market",
    "markets:lot_create": "market",
    "markets:lot_update": "lot",
    "lot_detail": "lot",
    "reporting:market_bilan": "market",
    "reporting:market_bilan_pdf": "market",
    "reporting:market_bilan_export": "market",
    "beneficiaries:detail": "person",
    "beneficiaries:update": "person",
    "beneficiaries:criterion_add": "person",
    "beneficiaries:criterion_delete": "person",
    "beneficiaries:merge": "person",
    "placements:detail": "placement",
    "placements:update": "placement",
    "placements:outcome": "placement",
    "audit:right_of_access": "person",
    "audit:right_of_access_json": "person",
    "api:organisation-detail": "structure",
    "api:operation-detail": "operation",
    "api:market-detail": "market",
    "api:lot-detail": "lot",
    "api:clause-detail": "clause",
    "api:beneficiary-detail": "person",
    "api:beneficiary-add-criterion": "person",
    "api:placement-detail": "placement",
    "api:hoursrecord-detail": "declared",
    "api:hoursrecord-reject-record": "declared",
    "api:hoursrecord-validate-record": "declared",
    "api:outcome-detail": "outcome",
    "companies:lot": "lot",
    "companies:lot_access": "lot",
    "companies:revoke": "access",
    "companies:declaration": "lot",
    "companies:review": "lot",
    "companies:statement": "lot",
    "api:company-lot-detail": "lot",
    "api:company-lot-placements": "lot",
    "api:company-declaration": "lot",
    "api:company-declaration-rows": "lot",
    "api:company-declaration-submit": "lot",
    "api:company-declaration-resubmit": "lot",
    "companies:upload": "lot",
    "companies:upload_confirm": "lot",
    "companies:upload_template": "lot",
    "companies:propose": "lot",
    "companies:proposal": "proposal",
}
TENANT_ARGUMENTS = {"pk", "criterion_pk", "membership_pk"}


def territory_code(route: Route, world) -> str:
    resource = route.name.split(":")[1].split("-")[0]
    return {
        "region": world.region.code,
        "department": "21",
        "epci": world.dijon.epci_id,
        "commune": world.dijon.code,
        "qpv": world.qpv.code,
    }[resource]


def variants(route: Route, world, role: str) -> list[tuple[str | None, str]]:
    """(tenant, URL) pairs to request for this route and role."""
    if route.is_admin:
        return [(None, admin_url(route, world))]
    if "token_id" in route.converters:
        own = world.tokens.get(role, world.tokens["fac_a"])[0]
        other = world.tokens["fac_b" if role == "fac_a" else "fac_a"][0]
        return [
            (tenant, reverse(route.name, kwargs={"token_id": token.pk}))
            for tenant, token in (("own", own), ("other", other))
        ]
    tenants = ("a", "b") if TENANT_ARGUMENTS & set(route.converters) else (None,)
    urls = []
    for tenant in tenants:
        kwargs = {}
        objects = getattr(world, tenant) if tenant else None
        for name in route.converters:
            if name == "pk" and route.name.startswith("reporting:published_report"):
                kwargs["pk"] = published_of(world, tenant).pk
            elif name == "pk":
                kwargs["pk"] = getattr(objects, OBJECT_OF[route.name]).pk
            elif name == "criterion_pk":
                kwargs[name] = objects.criterion.pk
            elif name == "membership_pk":
                owner = world.users["fac_a" if tenant == "a" else "fac_b"]
                kwargs[name] = owner.memberships.get().pk
            elif name == "format":
                kwargs[name] = "json"
            elif name in ("fmt", "extension"):
                kwargs[name] = "csv"
            elif name == "name":  # imports:history_template, the workbook to fill in (issue 20)
                kwargs[name] = "classeur.xlsx"
            elif name == "code":
                kwargs[name] = territory_code(route, world)
            elif name == "role":  # guide:role, the user guide of a role (issue 20)
                kwargs[name] = "facilitateur"
            elif name == "kind":  # placements:choices, the options of one select of the placement form
                kwargs[name] = "beneficiary"
            elif name == "uidb64":
                kwargs[name] = "MQ"
            elif name == "token":
                kwargs[name] = "lien-invalide"
            elif name == "year":
                kwargs[name] = 2025  # a year of the world's lots, with a validated record
            elif name == "region":  # the public pages (issue 18): region 27, its report of 2025 published
                kwargs[name] = region_report_of(world).region_id
            elif name == "version":
                kwargs[name] = region_report_of(world).version
            elif name == "month":
                kwargs[name] = "2025-04"  # a month of the world's placements, with a declared record
            elif name == "export_id":  # a background export (issue 16) asked by coord_27, ready to download
                kwargs[name] = export_of(world).pk
            else:
                raise AssertionError(f"{route.name}: no value for the URL argument {name!r}")
        urls.append((tenant, reverse(route.name, kwargs=kwargs)))
    return urls


def region_report_of(world):
    """The report of 2025 of region 27, published once by coord_27 (the public pages show it)."""
    if not hasattr(world, "region_report"):
        from reporting import publication

        world.region_report = publication.publish(user=world.users["coord_27"], year=2025, region=world.region)
    return world.region_report


def export_of(world):
    """The background export of the yearly report that coord_27 asked for, its file written (made once)."""
    if not hasattr(world, "export"):
        from datetime import timedelta

        from django.core.files.base import ContentFile
        from django.utils import timezone

        from reporting.background import storage
        from reporting.models import ExportRequest, ExportStatus

        user = world.users["coord_27"]
        world.export = ExportRequest.objects.create(
            user=user,
            organisation=user.memberships.get().organisation,
            kind="yearly_report",
            format="csv",
            parameters={"year": 2025, "title": "Bilan annuel 2025"},
            status=ExportStatus.READY,
            expires_at=timezone.now() + timedelta(days=1),
        )
        world.export.file_name = storage().save(f"{world.export.pk}.csv", ContentFile(b"\xef\xbb\xbfBilan"))
        world.export.save(update_fields=["file_name"])
    return world.export


def published_of(world, tenant: str):
    """The 2025 report of a structure's own perimeter, published by an admin of that structure (made once)."""
    if not hasattr(world, "published"):
        from organisations.models import Role
        from reporting import publication
        from tests.organisations.factories import MembershipFactory, UserFactory

        world.published = {}
        for name in ("a", "b"):
            structure = getattr(world, name).structure
            admin = MembershipFactory(organisation=structure, role=Role.ADMIN, user=UserFactory()).user
            world.published[name] = publication.publish(user=admin, year=2025, organisation=structure)
    return world.published[tenant]


def admin_url(route: Route, world) -> str:
    """Django admin URLs: object pages on a real object of their model, the catch-all on an unknown page."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    if route.name == "admin:<admin/(?P<url>.*)$>":
        return "/admin/page-inconnue/"
    kwargs = {}
    model = None
    parts = route.prefix.split("/")
    if len(parts) >= 4 and parts[1] and parts[2]:
        model = apps.get_model(parts[1], parts[2])
    for name in route.converters:
        if name in ("object_id", "id"):
            instance = model.objects.order_by("pk").first() if model is not None else world.a.person
            kwargs[name] = str(instance.pk if instance else 1)
        elif name == "content_type_id":
            kwargs[name] = str(ContentType.objects.get_for_model(world.a.person).pk)
        elif name == "app_label":
            kwargs[name] = "beneficiaries"
        else:
            raise AssertionError(f"{route.name}: no value for the URL argument {name!r}")
    if route.name.startswith("admin:<"):
        return (
            "/"
            + route.prefix
            + route.name[len("admin:<") + len(route.prefix) : -1].replace("<path:object_id>", kwargs["object_id"])
        )
    return reverse(route.name, kwargs=kwargs)


# Requests ---------------------------------------------------------------------------------------------------------

LOGIN_PATH = "/compte/connexion/"


def outcome_of(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith(LOGIN_PATH):
            return LOGIN
        return REDIRECT
    return response.status_code


def request(route: Route, url: str, world, role: str, method: str):
    """One request in a transaction rolled back afterwards."""
    extra = {}
    if route.is_api and role != "anonymous":
        extra["HTTP_AUTHORIZATION"] = f"Token {world.tokens[role][1]}"
        client = Client()
    else:
        client = logged_client(world, role)
    with transaction.atomic():
        if method == "get":
            response = client.get(url, **extra)
        elif method == "patch":
            response = client.patch(url, data={}, content_type="application/json", **extra)
        elif route.is_api:
            response = client.post(url, data={}, content_type="application/json", **extra)
        else:
            response = client.post(url, data={}, **extra)
        transaction.set_rollback(True)
    if method != "get" and route.name in ("logout", "admin:logout", "login", "admin:login", "password_change"):
        _CLIENTS.pop(role, None)  # the session may have changed: log in again for the next case
    return response


_CLIENTS: dict[str, Client] = {}


def logged_client(world, role: str) -> Client:
    """One client per role, logged in once (its session row is created before the rolled-back requests)."""
    if role == "anonymous":
        return Client()
    if role not in _CLIENTS:
        client = Client()
        client.force_login(world.users[role])
        _CLIENTS[role] = client
    return _CLIENTS[role]


def write_method(route: Route) -> str:
    if route.is_api and route.name.endswith("-detail"):
        return "patch"
    return "post"


# Expectations -------------------------------------------------------------------------------------------------------
# (GET, write) per URL name; write is None for read-only URLs (only GET is checked), else the answer to a POST
# (PATCH for an API object) with an empty body. WRITE_OK: the write was let through to the form or service.

ANON_WEB = {"anonymous": LOGIN}
ANON_API = {"anonymous": 401}
PUBLIC = expect(200)
PUBLIC_PAGES = (
    "public:index",
    "public:region",
    "public:region_year",
    "public:data_csv",
    "public:data_schema",
    "public:version_csv",
    "api:public-regions",
    "api:public-report",
)
LOGGED = expect(200, **ANON_WEB)
# GET on a POST-only view, POST on a GET-only view; a company contact gets the portal's 404 first
# (companies.middleware).
NOT_ALLOWED = expect(405, **ANON_WEB, companies=404)
# Pages and forms of facilitators (create pages, no object): editors of a structure; the superuser.
EDITORS_ONLY = expect(403, **ANON_WEB, owner=200, superuser=200)
EDITORS_WRITE = expect(403, **ANON_WEB, owner=WRITE_OK, superuser=WRITE_OK)
# Objects of a market (operation, market, lot, placement): the structure following the market (readers too), its
# buyer, the coordinator of its region; anyone else gets a 404.
MARKET_READ = expect(404, **ANON_WEB, owner=200, owner_reader=200, buyer=200, coord=200, superuser=200)
# Their edit forms: the structure's editors; readers, the buyer and the coordinator who see it: 403.
MARKET_EDIT = expect(404, **ANON_WEB, owner=200, superuser=200, owner_reader=403, buyer=403, coord=403)
MARKET_WRITE = {**MARKET_EDIT, "owner_admin": WRITE_OK, "owner_member": WRITE_OK, "superuser": WRITE_OK}
# Person-level pages (a contract, its hours, outcome and history, the hours grid, lists of people or contracts), even
# without a name: the facilitation structures that follow the data and the superuser only. Buyers and coordinators,
# who see aggregates (DOMAIN.md §8, §9), get a 404 even on the contracts of their own markets.
PLACEMENT_READ = expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200)
PLACEMENT_EDIT = expect(404, **ANON_WEB, owner=200, owner_reader=403, superuser=200)
PLACEMENT_WRITE = expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK)
PEOPLE_LIST = expect(200, **ANON_WEB, buyers=404, coords=404)
# A person's record: only the structure following them (DOMAIN.md §9).
PERSON_READ = expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200)
PERSON_EDIT = expect(404, **ANON_WEB, owner=200, owner_reader=403, superuser=200)
PERSON_WRITE = expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK)
# A facilitation structure: its members and the coordinator of its region.
STRUCTURE_READ = expect(404, **ANON_WEB, owner=200, owner_reader=200, coord=200, superuser=200)
# Admin-only pages of a structure.
ADMIN_WRITE = expect(404, **ANON_WEB, owner_admin=WRITE_OK, owner_member=403, owner_reader=403, superuser=WRITE_OK)

# API: 401 without credentials; writes need an editor of a facilitation structure (403 for others, before any
# lookup), then the object must be visible (404) and editable (403).
API_READ = expect(200, **ANON_API)
API_CREATE = expect(403, **ANON_API, owner=WRITE_OK, superuser=WRITE_OK)
API_READ_ONLY_WRITE = expect(403, **ANON_API, owner=405, superuser=405)
API_MARKET_READ = expect(404, **ANON_API, owner=200, owner_reader=200, buyer=200, coord=200, superuser=200)
API_PERSON_READ = expect(404, **ANON_API, owner=200, owner_reader=200, superuser=200)
API_PEOPLE_LIST = expect(200, **ANON_API, buyers=404, coords=404)
API_STRUCTURE_READ = expect(404, **ANON_API, owner=200, owner_reader=200, coord=200, superuser=200)
API_WRITE = expect(403, **ANON_API, owner=WRITE_OK, other_fac=404, superuser=WRITE_OK)
API_NOT_ALLOWED = expect(405, **ANON_API)

SPECS: dict[str, tuple] = {
    "home": (
        expect(REDIRECT, **ANON_WEB, owner=200, owner_reader=200, superuser=200),  # buyers, coordinators: dashboard
        None,
    ),
    "login": (expect(REDIRECT, anonymous=200), expect(REDIRECT, anonymous=200)),
    "logout": (NOT_ALLOWED, expect(LOGIN)),
    "password_change": (LOGGED, expect(200, **ANON_WEB)),  # the form shown again with its errors
    "password_change_done": (LOGGED, None),
    "password_reset": (PUBLIC, PUBLIC),
    "password_reset_done": (PUBLIC, None),
    "password_reset_confirm": (PUBLIC, PUBLIC),  # an invalid link says so
    "password_reset_complete": (PUBLIC, None),
    "organisations:list": (LOGGED, None),
    "organisations:create": (EDITORS_ONLY, EDITORS_WRITE),
    "organisations:switch": (NOT_ALLOWED, expect(REDIRECT, **ANON_WEB)),
    "organisations:detail": (STRUCTURE_READ, None),
    "organisations:update": (
        expect(404, **ANON_WEB, owner=200, owner_reader=403, coord=403, superuser=200),
        expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, coord=403, superuser=WRITE_OK),
    ),
    "organisations:members": (expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200), ADMIN_WRITE),
    "organisations:member_role": (NOT_ALLOWED, ADMIN_WRITE),
    "organisations:member_remove": (NOT_ALLOWED, ADMIN_WRITE),
    "markets:operation_list": (LOGGED, None),
    "markets:operation_create": (EDITORS_ONLY, EDITORS_WRITE),
    "markets:operation_detail": (MARKET_READ, None),
    "markets:operation_update": (MARKET_EDIT, MARKET_WRITE),
    "markets:market_list": (LOGGED, None),
    "markets:market_create": (EDITORS_ONLY, EDITORS_WRITE),
    "markets:market_detail": (MARKET_READ, None),
    "markets:market_update": (MARKET_EDIT, MARKET_WRITE),
    "markets:lot_create": (MARKET_EDIT, MARKET_WRITE),
    "markets:lot_update": (MARKET_EDIT, MARKET_WRITE),
    # Published markets (DECP, issue 17): the import by editors of a structure and coordinators; the list of markets
    # to follow by any facilitator and coordinators; the take-over by editors (without `?marche=`: 404).
    "markets:decp_import": (
        expect(403, **ANON_WEB, owner=200, coords=200, superuser=200),
        expect(403, **ANON_WEB, owner=WRITE_OK, coords=WRITE_OK, superuser=WRITE_OK),
    ),
    "markets:decp_import_confirm": (
        NOT_ALLOWED,
        expect(403, **ANON_WEB, owner=WRITE_OK, coords=WRITE_OK, superuser=WRITE_OK),
    ),
    "markets:decp_to_follow": (expect(403, **ANON_WEB, owner=200, owner_reader=200, coords=200, superuser=200), None),
    "markets:decp_follow": (
        expect(403, **ANON_WEB, owner=404, superuser=404),
        expect(403, **ANON_WEB, owner=404, superuser=404),
    ),
    "lot_detail": (MARKET_READ, None),
    "clauses:calibration": (LOGGED, None),  # a calculator: reads and writes nothing
    "reporting:dashboard": (LOGGED, NOT_ALLOWED),
    "reporting:dashboard_export": (LOGGED, NOT_ALLOWED),
    "reporting:market_bilan": (MARKET_READ, NOT_ALLOWED),
    "reporting:market_bilan_pdf": (MARKET_READ, NOT_ALLOWED),
    "reporting:market_bilan_export": (MARKET_READ, NOT_ALLOWED),
    # The yearly report is for facilitation structures and coordinators; buyers have their dashboard.
    "reporting:yearly_report": (expect(200, **ANON_WEB, buyers=404), NOT_ALLOWED),
    "reporting:yearly_report_export": (expect(200, **ANON_WEB, buyers=404), NOT_ALLOWED),
    # Exports prepared in the background (issue 16): asked with a format (400 without one), then followed and
    # downloaded by their requester only (coord_27 here): anyone else, even a coordinator or the superuser, gets 404.
    "reporting:yearly_report_background": (NOT_ALLOWED, expect(400, **ANON_WEB, buyers=404)),
    "reporting:export_status": (expect(404, **ANON_WEB, coord=200), None),
    "reporting:export_download": (expect(404, **ANON_WEB, coord=200), None),
    "reporting:export_retry": (NOT_ALLOWED, expect(404, **ANON_WEB, coord=REDIRECT)),
    # Published yearly reports (issue 18): a coordinator (admin or member) or a structure's admin publishes its
    # perimeter (400 without the confirmation); a version is read by the people of its perimeter only (here each
    # structure's own version): the coordination, the other structure, buyers and the superuser get 404.
    "reporting:yearly_report_publish": (NOT_ALLOWED, expect(404, **ANON_WEB, owner_admin=WRITE_OK, coords=WRITE_OK)),
    "reporting:published_report": (expect(404, **ANON_WEB, owner=200, owner_reader=200), NOT_ALLOWED),
    "reporting:published_report_export": (expect(404, **ANON_WEB, owner=200, owner_reader=200), NOT_ALLOWED),
    "api:schema": (PUBLIC, expect(405)),
    "api:docs": (PUBLIC, expect(405)),
    "api:redoc": (PUBLIC, expect(405)),
    # The public pages of the published reports and their open data (issue 18): open to everyone, read only.
    **dict.fromkeys(PUBLIC_PAGES, (PUBLIC, expect(405))),
    # The year is needed (400); buyers have their dashboard (404, as on the web).
    "api:yearly-report": (expect(400, **ANON_API, buyers=404), expect(403, **ANON_API, owner=405, superuser=405)),
    "api_tokens:tokens": (LOGGED, expect(400, **ANON_WEB)),  # a token needs a name
    # Revoking: one's own token, or someone else's (only ever one's own is deleted; the other is "not found").
    "api_tokens:token_revoke": (NOT_ALLOWED, expect(REDIRECT, **ANON_WEB)),
    "imports:upload": (EDITORS_ONLY, EDITORS_WRITE),
    "imports:confirm": (NOT_ALLOWED, EDITORS_WRITE),
    "imports:template": (LOGGED, NOT_ALLOWED),  # an empty spreadsheet
    # The history import (issue 20): the admins of a facilitation structure only (the superuser follows none).
    "imports:history": (expect(403, **ANON_WEB, owner_admin=200), expect(403, **ANON_WEB, owner_admin=WRITE_OK)),
    "imports:history_confirm": (NOT_ALLOWED, expect(403, **ANON_WEB, owner_admin=WRITE_OK)),
    "imports:history_template": (expect(403, **ANON_WEB, owner_admin=200), NOT_ALLOWED),
    "audit:journal": (
        expect(403, **ANON_WEB, owner_admin=200, superuser=200),
        expect(403, **ANON_WEB, owner_admin=200, superuser=200),
    ),
    "audit:right_of_access": (PERSON_EDIT, PERSON_EDIT),
    "audit:right_of_access_json": (PERSON_EDIT, PERSON_EDIT),
    "beneficiaries:list": (PEOPLE_LIST, None),  # empty for facilitators of another structure
    # A superuser belongs to no structure: nobody to attach the person to.
    "beneficiaries:create": (expect(403, **ANON_WEB, owner=200), expect(403, **ANON_WEB, owner=WRITE_OK)),
    "beneficiaries:commune_options": (LOGGED, NOT_ALLOWED),
    "beneficiaries:qpv_options": (LOGGED, NOT_ALLOWED),
    "beneficiaries:detail": (PERSON_READ, None),
    "beneficiaries:update": (PERSON_EDIT, PERSON_WRITE),
    "beneficiaries:criterion_add": (NOT_ALLOWED, PERSON_WRITE),
    "beneficiaries:criterion_delete": (NOT_ALLOWED, PERSON_WRITE),
    # Merging two records of a person (issue 20): the structure's admins and members; readers 403, anyone else 404.
    "beneficiaries:merge": (PERSON_EDIT, PERSON_WRITE),
    # The user guides (issue 20): no personal data, every logged-in user, company contacts included.
    "guide:index": (LOGGED, None),
    "guide:role": (LOGGED, None),
    "placements:list": (PEOPLE_LIST, None),
    "placements:create": (EDITORS_ONLY, EDITORS_WRITE),
    "placements:choices": (EDITORS_ONLY, NOT_ALLOWED),
    "placements:detail": (PLACEMENT_READ, None),
    "placements:update": (PLACEMENT_EDIT, PLACEMENT_WRITE),
    "placements:outcome": (NOT_ALLOWED, PLACEMENT_WRITE),
    "hours:grid": (PEOPLE_LIST, expect(403, **ANON_WEB, owner=WRITE_OK, superuser=WRITE_OK, buyers=404, coords=404)),
    # Company accounts (issue 15). The contact's portal: company_a only, on its own lot.
    "companies:home": (expect(404, **ANON_WEB, companies=200), None),
    "companies:lot": (expect(404, **ANON_WEB, company=200), None),
    "companies:accept": (PUBLIC, PUBLIC),  # an invalid link says so
    # Who reaches a lot, invite, revoke: the structure following the market.
    "companies:lot_access": (
        expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200),
        expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK),
    ),
    "companies:revoke": (
        expect(405, **ANON_WEB, companies=404),
        expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK),
    ),
    # The monthly declaration: the company's grid (its own lot only), the facilitator's review of a lot's month.
    "companies:declaration": (expect(404, **ANON_WEB, company=200), expect(404, **ANON_WEB, company=WRITE_OK)),
    "companies:review": (
        expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200),
        expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK),
    ),
    # The yearly statement of a company's hours (PDF): its own lot only; read-only.
    "companies:statement": (expect(404, **ANON_WEB, company=200), expect(405, **ANON_WEB)),
    # Notification settings (issue 16): each account its own page; the unsubscribe link needs no login and an invalid
    # one is refused with a French page (400) that changes nothing.
    "notifications:settings": (LOGGED, expect(WRITE_OK, **ANON_WEB)),
    "notifications:unsubscribe": (expect(400), expect(400)),
    # The company's own spreadsheet for the month (its own lot only): upload and preview, confirm, its template.
    "companies:upload": (expect(404, **ANON_WEB, company=200), expect(404, **ANON_WEB, company=WRITE_OK)),
    "companies:upload_confirm": (
        expect(404, **ANON_WEB, company=405),
        expect(404, **ANON_WEB, company=WRITE_OK),  # nothing pending: back to the grid
    ),
    "companies:upload_template": (expect(404, **ANON_WEB, company=200), expect(404, **ANON_WEB, company=405)),
    # New-person proposals: the company proposes on its own lot; the structure following the market examines them.
    "companies:propose": (expect(404, **ANON_WEB, company=200), expect(404, **ANON_WEB, company=WRITE_OK)),
    "companies:proposal": (
        expect(404, **ANON_WEB, owner=200, owner_reader=200, superuser=200),
        expect(404, **ANON_WEB, owner=WRITE_OK, owner_reader=403, superuser=WRITE_OK),
    ),
}
for resource in ("region", "department", "epci", "commune", "qpv"):  # shared reference data, read-only
    SPECS[f"api:{resource}-list"] = (API_READ, API_READ_ONLY_WRITE)
    SPECS[f"api:{resource}-detail"] = (API_READ, API_READ_ONLY_WRITE)
for resource, read in (
    ("organisation", API_STRUCTURE_READ),
    ("operation", API_MARKET_READ),
    ("market", API_MARKET_READ),
    ("lot", API_MARKET_READ),
    ("clause", API_MARKET_READ),
    ("beneficiary", API_PERSON_READ),
    ("placement", API_PERSON_READ),
    ("hoursrecord", API_PERSON_READ),
    ("outcome", API_PERSON_READ),
):
    people = read is API_PERSON_READ  # person-level resources: 404 for buyers and coordinators
    SPECS[f"api:{resource}-list"] = (API_PEOPLE_LIST if people else API_READ, API_CREATE)
    SPECS[f"api:{resource}-detail"] = (read, API_WRITE)
for action in ("api:beneficiary-add-criterion", "api:hoursrecord-reject-record", "api:hoursrecord-validate-record"):
    SPECS[action] = (expect(405, **ANON_API, buyers=404, coords=404), API_WRITE)  # person-level: 404 first
# The company role on every other URL (issue 15): a company contact reaches its portal and its account pages only
# (companies.middleware: any other page is a 404, whatever it would show, including the lists of markets and
# organisations, the reports and the people); the API answers 403 to its token except the company API above; its API
# tokens page is open (its payroll software uses a token); the public schema and documentation stay public.
COMPANY_OPEN = {
    "home": (REDIRECT, None),  # to « Mes lots »
    "login": (REDIRECT, REDIRECT),
    "logout": (405, LOGIN),
    "password_change": (200, 200),
    "password_change_done": (200, None),
    "password_reset": (200, 200),
    "password_reset_done": (200, None),
    "password_reset_confirm": (200, 200),
    "password_reset_complete": (200, None),
    "organisations:switch": (405, REDIRECT),
    "api_tokens:tokens": (200, 400),  # a token needs a name
    "api_tokens:token_revoke": (405, REDIRECT),
    "notifications:settings": (200, WRITE_OK),
    "notifications:unsubscribe": (400, 400),
    "api:schema": (200, 405),
    "api:docs": (200, 405),
    "api:redoc": (200, 405),
    **dict.fromkeys(PUBLIC_PAGES, (200, 405)),
    "guide:index": (200, None),  # the user guides (issue 20): no personal data, the company's own among them
    "guide:role": (200, None),
}
# The company API (issue 15, api/companies.py): a company contact only (403 for everyone else, before any lookup), on
# the lots opened to it (lot B: 404). The month is April 2025, declared and not yet transmitted: « Transmettre » goes
# through, « Retransmettre » is out of order (409).
COMPANY_API_ONLY = expect(403, **ANON_API, company=405, company_other=405)
SPECS.update(
    {
        "api:company-lot-list": (expect(403, **ANON_API, companies=200), COMPANY_API_ONLY),
        "api:company-lot-detail": (expect(403, **ANON_API, company=200, company_other=404), COMPANY_API_ONLY),
        "api:company-lot-placements": (expect(403, **ANON_API, company=200, company_other=404), COMPANY_API_ONLY),
        "api:company-declaration": (expect(403, **ANON_API, company=200, company_other=404), COMPANY_API_ONLY),
        "api:company-declaration-rows": (
            COMPANY_API_ONLY,
            expect(403, **ANON_API, company=WRITE_OK, company_other=404),
        ),
        "api:company-declaration-submit": (
            COMPANY_API_ONLY,
            expect(403, **ANON_API, company=WRITE_OK, company_other=404),
        ),
        "api:company-declaration-resubmit": (COMPANY_API_ONLY, expect(403, **ANON_API, company=409, company_other=404)),
    }
)
for name, (read, write) in list(SPECS.items()):
    if name.startswith(("companies:", "api:company-")):
        continue
    if name in COMPANY_OPEN:
        company_read, company_write = COMPANY_OPEN[name]
    elif name.startswith("api:"):
        company_read = company_write = 403
    else:
        company_read = company_write = 404
    SPECS[name] = (
        {**read, "company": company_read, "company_other": company_read},
        None if write is None else {**write, "company": company_write, "company_other": company_write},
    )

# Format-suffix variants (…/123.json) answer like the plain URL.
for name in list(SPECS):
    if (
        name.startswith("api:")
        and not name.startswith("api:company-")
        and name
        not in (
            "api:schema",
            "api:docs",
            "api:redoc",
            "api:yearly-report",
            *PUBLIC_PAGES,
        )
    ):
        SPECS[f"{name}.format"] = (SPECS[name][0], None)


def admin_expectation(route: Route, method: str) -> dict[str, object]:
    """Django admin: staff only (the superuser here). Anonymous visitors go to a login page (the app's, through the
    login-required middleware, or the admin's); logged-in people who are not staff go to the admin's login page.
    The superuser's own answers vary with the admin's options (read-only models, missing objects): any answer that
    is not a login page and not a server error."""
    if route.name == "admin:login":
        return expect(200, superuser=REDIRECT) if method == "get" else expect(WRITE_OK)
    if route.name == "admin:logout":
        if method == "get":
            return expect(REDIRECT, anonymous=ADMIN_LOGIN, superuser=405)
        return expect(REDIRECT, anonymous=ADMIN_LOGIN, superuser=LOGIN)
    return expect(ADMIN_LOGIN, anonymous=ANY_LOGIN, superuser=STAFF_IN)


# Tests --------------------------------------------------------------------------------------------------------------


def matches(expected, actual) -> bool:
    if expected == WRITE_OK:
        return actual in (200, 201, 204, 400, 422, REDIRECT)
    if expected == ANY_LOGIN:
        return actual in (LOGIN, ADMIN_LOGIN)
    if expected == STAFF_IN:
        return actual in (200, 403, 404, 405, REDIRECT)
    return expected == actual


def test_every_url_pattern_has_an_expectation():
    routes = walk()
    missing = sorted({route.key for route in routes if not route.is_admin and route.key not in SPECS})
    assert not missing, f"URL patterns without an expected answer in the access matrix: {missing}"
    unknown = sorted(set(SPECS) - {route.key for route in routes})
    assert not unknown, f"Expectations for URL patterns that no longer exist: {unknown}"


@pytest.mark.timeout(900)  # about 90 s on a quiet 2-core machine: every route for every role
def test_access_matrix():
    """Every URL × role × tenant (× GET and write); prints the number of cases checked."""
    world = build_world()
    _CLIENTS.clear()
    failures, cases = [], 0
    for route in walk():
        if route.is_admin:
            checks = [("get", admin_expectation(route, "get")), ("post", admin_expectation(route, "post"))]
        else:
            read, write = SPECS[route.key]
            checks = [("get", read)] + ([(write_method(route), write)] if write is not None else [])
        for method, expected in checks:
            for role in ROLES:
                for tenant, url in variants(route, world, role):
                    wanted = expected[relation(role, tenant)]
                    actual = outcome_of(request(route, url, world, role, method))
                    cases += 1
                    if not matches(wanted, actual):
                        failures.append(f"{method.upper()} {url} as {role}: expected {wanted}, got {actual}")
    print(f"\nMatrice d'accès : {cases} cas URL × rôle vérifiés.")
    assert cases > 1000
    assert not failures, f"{len(failures)} wrong answers:\n" + "\n".join(failures)
