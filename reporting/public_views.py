"""The public pages (no login): the list of régions with a published report, the page of a région, and its open
data (CSV and Table Schema). Figures come from reporting.public only (published versions, public small-count rule).

Every answer is rendered once per set of published versions and kept in the Django cache (reporting.public
.PAGE_KEY); it is the same for everyone (no user, no CSRF token, no cookie), so it carries `Cache-Control: public`
and an ETag (config.middleware.NoStoreMiddleware leaves such answers alone).
"""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET

from reporting import exports, public
from reporting.models import PublishedReport
from territories.models import Region

logger = logging.getLogger(__name__)

MAX_AGE = 300  # seconds a browser or a proxy may keep a page without asking again (then the ETag answers 304)


def _cached(request, key: str, build, content_type: str, *, filename: str = "") -> HttpResponse:
    """The answer kept under `key` (built by `build()` on a miss), with its public cache headers; 304 when the
    client already holds it."""
    etag = public.etag_of(key)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        body = cache.get(key)
        if body is None:
            body = build()
            cache.set(key, body, public.CACHE_SECONDS)
        response = HttpResponse(body, content_type=content_type)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def _region(slug: str):
    region = public.region_of(slug)
    if region is None:
        raise Http404("Région inconnue.")
    return region


def _index_key() -> str:
    state = PublishedReport.objects.filter(region__isnull=False).aggregate(last=Max("pk"), count=Count("pk"))
    return public.PAGE_KEY.format(kind="index", region="", year="", versions=f"{state['last']}-{state['count']}")


def _index_body() -> str:
    regions = [
        {"region": region, "slug": public.slug_of(region), "years": years}
        for region, years in public.regions_published()
    ]
    return render_to_string("public/index.html", {"regions": regions})


@login_not_required
@require_GET
def index(request):
    return _cached(request, _index_key(), _index_body, "text/html; charset=utf-8")


def _page_key(region, year: int, latest: dict) -> str:
    return public.PAGE_KEY.format(kind="page", region=region.code, year=year, versions=public.versions_key(latest))


def _page_body(region, year: int, latest: dict) -> str:
    selected = public.published_year(region, year=year)
    others = [
        public.published_year(region, year=other)
        for other in latest
        if other != year and year - public.TREND_YEARS < other < year
    ]
    slug = public.slug_of(region)
    context = {
        "region": region,
        "slug": slug,
        "published": selected,
        "years": sorted(latest, reverse=True),
        "tables": exports.rendered_tables(public.public_tables(selected)),
        "overview": public.trend_and_map(region, selected, others),
        "csv_url": reverse("public:data_csv", args=[slug, year]),
        "version_csv_url": reverse("public:version_csv", args=[slug, year, selected.version]),
        "schema_url": reverse("public:data_schema", args=[slug, year]),
        "api_url": reverse("api:public-report", args=[region.code, year]),
    }
    return render_to_string("public/region.html", context)


@login_not_required
@require_GET
def region_page(request, region: str, year: int | None = None):
    region = _region(region)
    latest = public.latest_versions(region)
    if not latest:
        raise Http404("Aucun bilan publié pour cette région.")
    if year is None:
        year = max(latest)
    elif year not in latest:
        raise Http404("Aucun bilan publié pour cette année.")
    return _cached(
        request, _page_key(region, year, latest), lambda: _page_body(region, year, latest), "text/html; charset=utf-8"
    )


def _csv_key(region, year: int, pk: int) -> str:
    return public.PAGE_KEY.format(kind="csv", region=region.code, year=year, versions=pk)


def _csv_body(region, year: int, version: int) -> bytes:
    return public.csv_text(public.published_year(region, year=year, version=version)).encode()


def warm(region) -> int:
    """Prepare, in the cache, what the visitors of a région's public pages will ask for after a publication (the
    list of régions, the page of each published year, each year's CSV), so that no visitor pays the first
    rendering and a crowd arriving at once does not render the same page many times. Returns the number of
    answers prepared."""
    latest = public.latest_versions(region)
    prepared = {_index_key(): _index_body}
    for year, (pk, version) in latest.items():
        prepared[_page_key(region, year, latest)] = lambda year=year: _page_body(region, year, latest)
        prepared[_csv_key(region, year, pk)] = lambda year=year, version=version: _csv_body(region, year, version)
    for key, build in prepared.items():
        if cache.get(key) is None:
            cache.set(key, build(), public.CACHE_SECONDS)
    return len(prepared)


@task()
def warm_public_pages(region_code: str) -> int:
    """After a publication, by the worker (« Publier » only enqueues it): `warm` for the région. A cache, not data:
    a failure is logged and the publication stands; a visitor who comes first renders the page himself."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        return 0
    try:
        return warm(region)
    except Exception:
        logger.exception("Pages publiques de la région %s non préparées après la publication.", region_code)
        return 0


def _csv(request, region, year: int, version: int | None):
    versions = public.latest_versions(region) if version is None else {}
    if version is None:
        if year not in versions:
            raise Http404("Aucun bilan publié pour cette année.")
        pk, version = versions[year]
    else:
        pk = public._published(region).filter(year=year, version=version).values_list("pk", flat=True).first()
        if pk is None:
            raise Http404("Cette version n'existe pas.")
    key = _csv_key(region, year, pk)

    def build():
        return _csv_body(region, year, version)

    filename = f"clauses-sociales-{public.slug_of(region)}-{year}-v{version}.csv"
    return _cached(request, key, build, "text/csv; charset=utf-8", filename=filename)


@login_not_required
@require_GET
def data_csv(request, region: str, year: int):
    return _csv(request, _region(region), year, None)


@login_not_required
@require_GET
def version_csv(request, region: str, year: int, version: int):
    return _csv(request, _region(region), year, version)


@login_not_required
@require_GET
def data_schema(request, region: str, year: int):
    region = _region(region)
    if year not in public.latest_versions(region):
        raise Http404("Aucun bilan publié pour cette année.")
    body = json.dumps(public.schema(), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
