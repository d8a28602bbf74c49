"""Every output a buyer can read, searched for a person (issue 13, item 1).

A market with one worker (a woman living in a QPV, 358,25 h) must not reveal her profile anywhere: not on the
dashboard page or its CSV, XLSX, JSON and PDF, not on the market's bilan page or PDF, not in the API; no contract,
hours row, outcome or history route answers a buyer; the lot page shows aggregates only.
"""

import re

import pytest
from django.urls import reverse

from beneficiaries.choices import Modality
from reporting.calculations import SUPPRESSION_NOTE
from reporting.queries import PUBLICS
from tests.reporting.privacy import (
    PERSON_PATHS,
    PUBLIC_LABELS,
    YEAR,
    assert_no_person_trace,
    assert_rows_hidden,
    build_privacy_world,
    csv_rows,
    html_links,
    html_rows,
    json_rows,
    pdf_rows,
    pdf_text,
    rows_labelled,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

CDD = dict(Modality.choices)[Modality.HIRE_CDD]
ETTI = dict(Modality.choices)[Modality.ETTI_MISSION]
# On the 2025 dashboard (8 people): the lone woman and QPV resident, her modality and, in complement, the other.
DASHBOARD_HIDDEN = (PUBLIC_LABELS["women"], PUBLIC_LABELS["qpv"], CDD, ETTI)
# On the bilan of her market (1 person): every public, RQTH "0" included, and her modality.
BILAN_HIDDEN = (*(label for _code, label, _flag in PUBLICS), CDD)


@pytest.fixture
def privacy(db):
    return build_privacy_world()


@pytest.fixture
def buyer(client, privacy):
    client.force_login(privacy["buyer_user"])
    return client


def content_of(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def dashboard_outputs(client) -> dict[str, tuple[list[list[str]], str]]:
    """{format: (rows, text)} of the 2025 dashboard: the page and its four exports."""
    page = content_of(client.get(reverse("reporting:dashboard"), {"year": YEAR})).decode()
    outputs = {"page": (html_rows(page), page)}
    for fmt, reader in (("csv", csv_rows), ("xlsx", xlsx_rows), ("json", json_rows), ("pdf", pdf_rows)):
        content = content_of(client.get(reverse("reporting:dashboard_export", args=[fmt]), {"year": YEAR}))
        text = pdf_text(content) if fmt == "pdf" else str(reader(content))
        outputs[fmt] = (reader(content), text)
    return outputs


def bilan_outputs(client, market) -> dict[str, tuple[list[list[str]], str]]:
    page = content_of(client.get(reverse("reporting:market_bilan", args=[market.pk]))).decode()
    pdf = content_of(client.get(reverse("reporting:market_bilan_pdf", args=[market.pk])))
    return {"page": (html_rows(page), page), "pdf": (pdf_rows(pdf), pdf_text(pdf))}


def test_dashboard_and_its_exports_hide_the_lone_worker(buyer):
    for fmt, (rows, text) in dashboard_outputs(buyer).items():
        assert_rows_hidden(rows, DASHBOARD_HIDDEN, where=f"tableau de bord ({fmt})")
        assert_no_person_trace(text, where=f"tableau de bord ({fmt})")
        # Not over-hidden: 0 RQTH among 8 people, the 8 people themselves, and the hours toward the targets.
        rqth = rows_labelled(rows, PUBLIC_LABELS["rqth"])
        assert rqth and re.search(r"\b0\b", " ".join(rqth[0][1:])), (fmt, rqth)
        participants = rows_labelled(rows, "Participant·es")
        assert participants and re.match(r"8\b", participants[0][1]), (fmt, participants)
    page = dashboard_outputs(buyer)["page"][1]
    assert SUPPRESSION_NOTE.replace("<", "&lt;") in page or SUPPRESSION_NOTE in page
    # The charts receive the same hidden values: no bar for a hidden row.
    for data in re.findall(r'<script id="chart-data-[^"]+" type="application/json">(.*?)</script>', page):
        for label in DASHBOARD_HIDDEN:
            assert label.replace("'", "\\u0027") not in data and label not in data, label


def test_bilan_of_a_one_person_market_hides_every_public_and_its_modality(buyer, privacy):
    for fmt, (rows, text) in bilan_outputs(buyer, privacy["solo"]).items():
        assert_rows_hidden(rows, BILAN_HIDDEN, where=f"bilan ({fmt})")
        assert_no_person_trace(text, where=f"bilan ({fmt})")
        participants = rows_labelled(rows, "Participant·es")
        assert participants and re.match(r"<\s*5$", participants[0][1]), (fmt, participants)  # PDF text: "<5"
        # The contractual total stays visible: 358,25 h toward the lot's target.
        assert "358,3" in text or "358,25" in text, fmt


def test_no_link_of_a_buyer_page_leads_to_a_person(buyer, privacy):
    pages = [
        reverse("reporting:dashboard") + f"?year={YEAR}",
        reverse("reporting:market_bilan", args=[privacy["solo"].pk]),
        reverse("markets:market_detail", args=[privacy["solo"].pk]),
        reverse("lot_detail", args=[privacy["solo_lot"].pk]),
    ]
    for url in pages:
        page = content_of(buyer.get(url)).decode()
        assert_no_person_trace(page, where=url)
        for link in html_links(page):
            assert not link.startswith(PERSON_PATHS), f"{url} links to {link}"
            if link.startswith("/") and not link.startswith(("/static/", "/api/docs")):
                response = buyer.get(link)
                assert response.status_code in (200, 302, 404, 405), (link, response.status_code)
                if response.status_code == 200 and not link.startswith(("/tableau-de-bord/", "/api/")):
                    assert_no_person_trace(content_of(response).decode(errors="ignore"), where=link)


def test_person_level_routes_are_404_for_the_buyer_of_the_market(buyer, privacy):
    placement = privacy["placement"]
    record = placement.hours_records.first()
    for url in (
        reverse("placements:list"),
        reverse("placements:detail", args=[placement.pk]),
        reverse("placements:update", args=[placement.pk]),
        reverse("hours:grid") + f"?lot={privacy['solo_lot'].pk}",
        reverse("beneficiaries:list"),
        reverse("beneficiaries:detail", args=[privacy["worker"].pk]),
        "/api/v1/placements/",
        f"/api/v1/placements/{placement.pk}/",
        "/api/v1/hours/",
        f"/api/v1/hours/{record.pk}/",
        "/api/v1/outcomes/",
        "/api/v1/beneficiaries/",
        f"/api/v1/reports/yearly/?year={YEAR}",
    ):
        assert buyer.get(url).status_code == 404, url


def test_the_api_a_buyer_reads_names_nobody(buyer, privacy):
    for resource in ("markets", "lots", "clauses", "operations", "organisations"):
        url = f"/api/v1/{resource}/"
        response = buyer.get(url)
        assert response.status_code == 200, url
        assert_no_person_trace(response.content.decode(), where=url)
    assert privacy["solo"].reference in buyer.get("/api/v1/markets/").content.decode()


def test_facilitators_keep_the_contracts_of_the_lot(client, privacy):
    client.force_login(privacy["validator"])
    page = content_of(client.get(reverse("lot_detail", args=[privacy["solo_lot"].pk]))).decode()
    assert reverse("placements:detail", args=[privacy["placement"].pk]) in page
    assert "ANASTASIEVNA Perpétue" in page
    response = client.get(reverse("reporting:market_bilan", args=[privacy["solo"].pk]))
    women = rows_labelled(html_rows(content_of(response).decode()), PUBLIC_LABELS["women"])
    assert women and women[0][1:] in (["358,3", "1"], ["358,25", "1"]), women  # they see exact counts
