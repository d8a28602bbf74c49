"""The public page of a région and its open data (issue 18, items 2 and 3): anonymous, published figures only, the
small-count rule on every cell, every file valid against its Table Schema, the API throttled."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.test import override_settings
from frictionless import Resource, Schema

from reporting import publication
from tests.reporting.public_world import (
    COMPLEMENT_HOURS,
    HIDDEN_HOURS,
    SLUG,
    YEAR,
    build_public_world,
    person_names,
)

PAGE = f"/public/{SLUG}/"
CSV = f"/public/{SLUG}/{YEAR}/donnees.csv"
SCHEMA = f"/public/{SLUG}/{YEAR}/donnees.schema.json"
API = f"/api/v1/public/regions/27/{YEAR}/"


@pytest.fixture
def public_world(db):
    cache.clear()
    return build_public_world()


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def validate(path_or_rows, schema: dict):
    """The frictionless report of a CSV file or of rows (a list of lists, header first) against the schema."""
    if isinstance(path_or_rows, list):
        resource = Resource(data=path_or_rows, schema=Schema.from_descriptor(schema))
    else:
        resource = Resource(
            path=path_or_rows.name, basepath=str(path_or_rows.parent), schema=Schema.from_descriptor(schema)
        )
    return resource.validate()


def outputs(client) -> dict[str, str]:
    return {
        "page": client.get(PAGE).content.decode(),
        "page_year": client.get(f"/public/{SLUG}/{YEAR}/").content.decode(),
        "index": client.get("/public/").content.decode(),
        "csv": client.get(CSV).content.decode(),
        "version_csv": client.get(f"/public/{SLUG}/{YEAR}/v1/donnees.csv").content.decode(),
        "api": client.get(API).content.decode(),
        "api_regions": client.get("/api/v1/public/regions/").content.decode(),
    }


def test_anonymous_visitors_read_every_public_url(client, public_world):
    for name, url in {
        "index": "/public/",
        "page": PAGE,
        "page by code": "/public/27/",
        "year": f"/public/{SLUG}/{YEAR}/",
        "csv": CSV,
        "schema": SCHEMA,
        "api": API,
        "api regions": "/api/v1/public/regions/",
    }.items():
        response = client.get(url)
        assert response.status_code == 200, name
    page = client.get(PAGE)
    assert page["Cache-Control"] == "public, max-age=300" and page["ETag"]
    assert "Set-Cookie" not in page.headers and "csrfmiddlewaretoken" not in page.content.decode()
    assert client.get(PAGE, headers={"If-None-Match": page["ETag"]}).status_code == 304
    assert client.get(CSV)["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get("/public/inconnue/").status_code == 404
    assert client.get(f"/public/{SLUG}/2019/").status_code == 404


def test_every_other_page_still_asks_to_log_in(client, public_world):
    for url in ("/", "/tableau-de-bord/", "/bilan-annuel/", f"/bilan-annuel/export.csv?annee={YEAR}"):
        response = client.get(url)
        assert response.status_code == 302 and "/compte/connexion/" in response["Location"], url
    assert client.get("/api/v1/reports/yearly/?year=2025").status_code in (401, 403)


def test_the_page_shows_the_published_figures_and_the_map(client, public_world):
    html = client.get(PAGE).content.decode()
    assert "Bourgogne-Franche-Comté" in html and "version 1" in html
    assert "1\u00a0514,6" in html  # total hours (count no one)
    assert "1\u00a0261,4" in html  # Côte-d'Or, 12 people: shown
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="map"' in html and 'data-code="25"' in html
    assert 'id="tableau-carte"' in html and 'id="tableau-tendance"' in html
    assert 'id="tableau-market_type"' in html and 'id="tableau-buyer_type"' in html and 'id="tableau-publics"' in html


def test_no_name_and_no_value_a_small_count_hides_in_any_output(client, public_world):
    texts = outputs(client)
    for name, text in texts.items():
        for index in range(1, 23):
            assert person_names(index) not in text, name
        for hidden in HIDDEN_HOURS:
            assert hidden not in text, (name, hidden)
        assert "PLIE Public" not in text and "Acheteur Unique Publicus" not in text, name
    for name in ("csv", "version_csv"):
        rows = csv_rows(texts[name].encode())
        by_line = {(row["tableau"], row["ligne"], row["indicateur"]): row for row in rows}
        for line, hidden in (("Doubs", "< 5"), ("Jura", "secret")):
            people = by_line[("department", line, f"participants_{YEAR}")]
            hours = by_line[("department", line, f"heures_{YEAR}")]
            assert (people["valeur"], people["masque"]) == ("", hidden)
            assert (hours["valeur"], hours["masque"]) == ("", "secret")
        qpv = by_line[("publics", "Habitant·es des QPV", f"participants_{YEAR}")]
        assert (qpv["valeur"], qpv["masque"]) == ("", "< 5")
        assert not [row for row in rows if row["valeur"] in (*COMPLEMENT_HOURS, "113.25", "161.35")]
        people = [row for row in rows if row["indicateur"].startswith("participants_")]
        assert people and not [row for row in people if row["valeur"] in ("1", "2", "3", "4")]
    api_rows = json.loads(texts["api"])["donnees"]
    doubs = [row for row in api_rows if row["ligne"] == "Doubs" and row["indicateur"] == f"participants_{YEAR}"]
    assert doubs == [dict(doubs[0], valeur=None, masque="< 5")]
    assert not [row for row in api_rows if row["valeur"] in (113.25, 161.35, 140)]
    # The map: the two hidden départements are drawn in the hidden grey, with no figure in their title.
    html = texts["page"]
    assert "Doubs (25) : secret h, &lt; 5 participant·es" in html
    assert "Jura (39) : secret h, secret participant·es" in html


def test_a_correction_stays_invisible_until_it_is_published(client, public_world):
    before = client.get(PAGE).content.decode()
    public_world["person"]("21", "200.5")  # a late record: the live figures change
    assert client.get(PAGE).content.decode() == before
    assert "1\u00a0715,1" not in client.get(PAGE).content.decode()
    assert all(row["version"] == "1" for row in csv_rows(client.get(CSV).content))
    second = publication.publish(user=public_world["coordinator"], year=YEAR, region=public_world["region"])
    assert second.version == 2
    page = client.get(PAGE).content.decode()
    assert "1\u00a0715,1" in page and "version 2" in page  # 1 514,6 + 200,5
    latest = csv_rows(client.get(CSV).content)
    assert {row["version"] for row in latest} == {"2"}
    first = csv_rows(client.get(f"/public/{SLUG}/{YEAR}/v1/donnees.csv").content)
    synthesis = {row["indicateur"]: row["valeur"] for row in first if row["ligne"] == "Heures d'insertion"}
    assert synthesis[f"annee_{YEAR}"] == "1514.6"
    assert json.loads(client.get(API).content)["version"] == 2
    assert json.loads(client.get(API + "?version=1").content)["version"] == 1


def test_the_trend_spans_the_published_years(client, public_world):
    publication.publish(user=public_world["coordinator"], year=YEAR - 1, region=public_world["region"])
    html = client.get(PAGE).content.decode()
    table = html.split('id="tableau-tendance"')[1].split("</table>")[0]
    assert f">{YEAR - 1}<" in table and f">{YEAR}<" in table
    assert f'href="/public/{SLUG}/{YEAR - 1}/"' in html  # the year selector


def test_every_open_data_file_validates_against_its_schema(client, public_world, tmp_path):
    schema = json.loads(client.get(SCHEMA).content)
    for url in (CSV, f"/public/{SLUG}/{YEAR}/v1/donnees.csv"):
        path = tmp_path / "donnees.csv"
        path.write_bytes(client.get(url).content)
        report = validate(path, schema)
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
        assert report.tasks[0].stats["rows"] > 50
    api_rows = json.loads(client.get(API).content)["donnees"]
    names = [field["name"] for field in schema["fields"]]
    report = validate([names, *[[row[name] for name in names] for row in api_rows]], schema)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_file_that_breaks_the_schema_fails_validation(client, public_world, tmp_path):
    schema = json.loads(client.get(SCHEMA).content)
    lines = client.get(CSV).content.decode().splitlines()
    for broken in (
        lines[1].replace(",1514.6,", ",beaucoup,"),  # a value that is not a number
        lines[1].replace(",heures,", ",kilos,"),  # a unit outside the list
        lines[1],  # a duplicate of the primary key
    ):
        path = tmp_path / "casse.csv"
        path.write_text("\n".join([*lines, broken]) + "\n", encoding="utf-8")
        assert not validate(path, schema).valid, broken


@override_settings(CLAUSIER_PUBLIC_API_RATE="3/minute")
def test_the_public_api_is_throttled_with_a_json_answer(client, public_world):
    answers = [client.get(API) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1]["Content-Type"].startswith("application/json")
    assert "detail" in json.loads(answers[-1].content)


def test_a_region_without_publication_has_no_page(client, public_world):
    from tests.territories.factories import RegionFactory

    RegionFactory(code="11", name="Île-de-France")
    assert client.get("/public/ile-de-france/").status_code == 404
    assert "Île-de-France" not in client.get("/public/").content.decode()
    assert client.get(f"/api/v1/public/regions/11/{YEAR}/").status_code == 404


def test_the_openapi_schema_documents_the_public_api(client, public_world):
    schema = client.get("/api/schema/?format=json").content.decode()
    assert "/api/v1/public/regions/{region}/{year}/" in schema
    assert "/api/v1/public/regions/" in schema


def test_outcomes_and_the_headline_set_are_published_under_the_small_count_rule(client, public_world):
    # Every contract ended on 31/12/2025; three people (Doubs) were in a CDI at the end, the others' outcome is not
    # recorded: « 3 » is a small count, hidden, with its complement; the total of 22 people and the headline stay.
    html = client.get(PAGE).content.decode()
    assert 'id="tableau-sorties"' in html and 'id="tableau-chiffres_cles"' in html
    rows = csv_rows(client.get(f"{PAGE}{YEAR}/donnees.csv").content)
    outcomes = {(row["ligne"], row["indicateur"]): row for row in rows if row["tableau"] == "sorties"}
    assert outcomes, "no outcome in the open data"
    durable = [
        row for (line, key), row in outcomes.items() if line.startswith("Emploi durable") and key == "fin_personnes"
    ]
    assert durable and all(row["valeur"] == "" and row["masque"] == "< 5" for row in durable)
    people = [row for (_line, key), row in outcomes.items() if key.endswith("_personnes")]
    small = [row for row in people if row["valeur"] in ("1", "2", "3", "4")]
    assert not small, [(row["ligne"], row["indicateur"], row["valeur"]) for row in small]
    headline = {row["ligne"]: row for row in rows if row["tableau"] == "chiffres_cles"}
    assert headline["Participant·es"]["valeur"] == "22" and headline["Heures d'insertion"]["valeur"] == "1514.6"


def test_a_publication_prepares_the_public_pages_for_the_first_visitors(client, public_world, monkeypatch):
    # The coordinator publishes 2025 again through the page: the list of régions, the région's page and its CSV
    # are prepared in the cache before anyone asks, so the first visitors are served without rendering anything.
    from django.urls import reverse

    from reporting import public_views

    cache.clear()
    client.force_login(public_world["coordinator"])
    response = client.post(reverse("reporting:yearly_report_publish"), {"year": str(YEAR), "confirmer": "oui"})
    assert response.status_code == 302
    client.logout()

    def not_rendered(*args, **kwargs):
        raise AssertionError("rendered on a visit: the publication did not prepare it")

    for name in ("_index_body", "_page_body", "_csv_body"):
        monkeypatch.setattr(public_views, name, not_rendered)
    for url in ("/public/", PAGE, f"{PAGE}{YEAR}/", CSV):
        answer = client.get(url)
        assert answer.status_code == 200, url
    assert "version 2" in client.get(PAGE).content.decode()


def test_publishing_leaves_the_preparation_to_the_worker(client, public_world, monkeypatch, settings):
    """« Publier » answers without rendering the public pages: it enqueues warm_public_pages for the région (run by
    `manage.py db_worker`), whose run then prepares them."""
    from django.tasks import task_backends
    from django.urls import reverse

    from reporting import public_views

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    real_warm = public_views.warm

    def not_now(region):
        raise AssertionError("the public pages were rendered while the coordinator waited")

    monkeypatch.setattr(public_views, "warm", not_now)
    client.force_login(public_world["coordinator"])
    response = client.post(reverse("reporting:yearly_report_publish"), {"year": str(YEAR), "confirmer": "oui"})
    assert response.status_code == 302
    (enqueued,) = task_backends["default"].results
    assert enqueued.task.func is public_views.warm_public_pages.func and enqueued.args == ["27"]
    monkeypatch.setattr(public_views, "warm", real_warm)
    cache.clear()
    assert public_views.warm_public_pages.call("27") >= 2  # the index, then a page and a CSV per published year
    assert public_views.warm_public_pages.call("99") == 0  # an unknown région: nothing to prepare


def test_a_failed_preparation_leaves_the_publication_saved(client, public_world, monkeypatch, caplog):
    from django.urls import reverse

    from reporting import public_views
    from reporting.models import PublishedReport

    def broken(region):
        raise RuntimeError("cache indisponible")

    monkeypatch.setattr(public_views, "warm", broken)
    client.force_login(public_world["coordinator"])
    before = PublishedReport.objects.count()
    assert (
        client.post(reverse("reporting:yearly_report_publish"), {"year": str(YEAR), "confirmer": "oui"}).status_code
        == 302
    )
    assert PublishedReport.objects.count() == before + 1
    assert "Pages publiques de la région 27 non préparées" in caplog.text
