"""No answer holding personal data lands in a cache: every URL pattern of the project (web, API, exports, PDF and
Django admin, enumerated like the access matrix) answers a logged-in user with `Cache-Control: no-store, private`
and `Vary: Cookie`, whatever its status. The public pages of the published reports (issue 18) are the exception:
rendered without the request, the same for everyone, they say `public` and set no cookie."""

import pytest

from tests.audit.world import build_world
from tests.test_access_matrix import _CLIENTS, PUBLIC_PAGES, request, variants, walk

pytestmark = pytest.mark.django_db


def cache_problems(response) -> list[str]:
    directives = {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")}
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")}
    problems = [name for name in ("no-store", "private") if name not in directives]
    if "public" in directives:
        problems.append("public")
    if "cookie" not in vary:
        problems.append("Vary: Cookie")
    return problems


def test_every_answer_to_a_logged_in_user_is_no_store():
    world = build_world()
    _CLIENTS.clear()
    failures, cases, statuses = [], 0, set()
    for route in walk():
        role = "superuser" if route.is_admin else "fac_a"
        for _tenant, url in variants(route, world, role):
            response = request(route, url, world, role, "get")
            cases += 1
            statuses.add(response.status_code)
            if route.name in PUBLIC_PAGES and not route.is_api:
                if not response["Cache-Control"].startswith("public") or response.cookies:
                    failures.append(f"GET {url} ({response.status_code}): a public page not public")
            elif problems := cache_problems(response):
                failures.append(f"GET {url} ({response.status_code}): {', '.join(problems)}")
    print(f"\nCache-Control : {cases} URL vérifiées ({sorted(statuses)}).")
    assert cases > 200
    assert {200, 302, 404} <= statuses  # pages, redirects and refusals alike
    assert not failures, f"{len(failures)} answers could be cached:\n" + "\n".join(failures)


def test_the_login_page_and_a_refusal_are_not_cached_either(client):
    for response in (client.get("/compte/connexion/"), client.get("/api/v1/markets/")):
        assert not cache_problems(response)
