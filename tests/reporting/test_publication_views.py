"""Publishing the yearly report from its page, correcting, republishing (issue 18, item 1), end to end."""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from beneficiaries import services
from beneficiaries.models import HoursRecord
from organisations.models import Role
from reporting import publication
from reporting.models import PublishedReport
from tests.organisations.factories import MembershipFactory, UserFactory

D = Decimal
REPORT = reverse("reporting:yearly_report")
PUBLISH = reverse("reporting:yearly_report_publish")
FORMATS = ("csv", "xlsx", "json", "pdf")


def as_user(client, user):
    client.force_login(user)
    return client


def correct_bernard_december(world, hours: str):
    """A facilitator corrects Bernard's December hours (80 h) and validates them, through the services."""
    record = HoursRecord.objects.get(placement__lot=world["lot1"], month=datetime.date(2025, 12, 1))
    user = world["facilitator_member"]
    entry = services.HoursEntry(
        placement=record.placement, month=record.month, hours=D(hours), expected_version=services.UNCHECKED
    )
    declared = services.declare_hours(entry=entry, user=user).record
    services.validate_hours(records=[declared], user=user, versions=services.UNCHECKED)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def downloads(client, version: PublishedReport) -> dict[str, str]:
    """The sha256 of each download of a version."""
    result = {}
    for fmt in FORMATS:
        response = client.get(reverse("reporting:published_report_export", args=[version.pk, fmt]))
        assert response.status_code == 200, fmt
        result[fmt] = hashlib.sha256(body(response)).hexdigest()
    return result


HOURS_DIFFERENCES = [
    # (table, row, column, published, live, change): Bernard (a senior, on the works market of the city of Dijon,
    # hired on a fixed-term contract, no QPV) worked 92.5 h in December 2025 instead of 80 h.
    ("Synthèse", "Heures d'insertion", "2025", "250", "262,5", "+12,5"),
    ("Par public", "Seniors de 50 ans et plus", "Heures 2025", "80", "92,5", "+12,5"),
    ("Par département", "Côte-d'Or", "Heures 2025", "180", "192,5", "+12,5"),
    ("Par EPCI", "Dijon Métropole", "Heures 2025", "180", "192,5", "+12,5"),
    ("Par QPV de résidence", "Non renseigné", "Heures 2025", "250", "262,5", "+12,5"),
    ("Par type de marché", "Travaux", "Heures 2025", "180", "192,5", "+12,5"),
    ("Par type d'acheteur", "Commune ou intercommunalité", "Heures 2025", "180", "192,5", "+12,5"),
    ("Par modalité", "Embauche directe en CDD", "Heures 2025", "180", "192,5", "+12,5"),
    ("Par mécanisme juridique", "Condition d'exécution (L2112-2)", "Heures 2025", "250", "262,5", "+12,5"),
    ("Par mois", "décembre 2025", "Heures 2025", "80", "92,5", "+12,5"),
    # The national headline set and the ESF bands (issue 18, item 5); a band row is named by both its text columns.
    ("Chiffres clés nationaux", "Heures d'insertion", "2025", "250", "262,5", "+12,5"),
    ("Par âge (FSE et clauses)", "FSE — Âge non renseigné", "Heures", "250", "262,5", "+12,5"),
    ("Par âge (FSE et clauses)", "Clauses sociales — 50 ans et plus", "Heures", "80", "92,5", "+12,5"),
    ("Par niveau d'études (FSE)", "FSE — Niveau non renseigné", "Heures", "250", "262,5", "+12,5"),
]


def test_publish_correct_and_republish(client, world):
    as_user(client, world["coordinator"])
    page = client.get(REPORT, {"year": "2025"})
    assert "n'a pas encore été publié" in page.content.decode() and "Publier ce bilan" in page.content.decode()

    # Without the confirmation: refused on the checkbox, nothing stored.
    refused = client.post(PUBLISH, {"year": "2025"})
    assert refused.status_code == 400
    assert "Cochez la confirmation pour publier ce bilan." in refused.content.decode()
    assert not PublishedReport.objects.exists()

    assert client.post(PUBLISH, {"year": "2025", "confirmer": "oui"}).status_code == 302
    first = PublishedReport.objects.get()
    assert (first.version, first.region, first.organisation, first.filters) == (1, world["region"], None, {})
    assert first.published_by == world["coordinator"]
    assert first.payload["summary"]["hours"] == "250.00"
    page = client.get(REPORT, {"year": "2025"}).content.decode()
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Publié le {today} (version 1) ; aucun chiffre n'a changé depuis." in page
    assert "Publier une nouvelle version" not in page
    payload, content_hash = json.dumps(first.payload, sort_keys=True), first.content_hash
    before = downloads(client, first)

    correct_bernard_december(world, "92.5")
    page = client.get(REPORT, {"year": "2025"})
    html = page.content.decode()
    assert f'Publié le {today} (version 1) ; depuis, <strong id="publication-ecart">+12,5\u00a0h</strong>.' in html
    shown = [
        (d["table"], d["row"], d["column"], d["published"], d["live"], d["change"])
        for d in page.context["publication"]["differences"]
    ]
    assert shown == HOURS_DIFFERENCES
    assert "Publier une nouvelle version" in html

    # The first version is untouched: same payload, same hash, the same bytes in every format.
    first.refresh_from_db()
    assert json.dumps(first.payload, sort_keys=True) == payload and first.content_hash == content_hash
    assert first.content_hash == publication.content_hash(first.payload)
    assert downloads(client, first) == before

    assert client.post(PUBLISH, {"year": "2025", "confirmer": "oui"}).status_code == 302
    second = PublishedReport.objects.get(version=2)
    assert second.payload["summary"]["hours"] == "262.50" and second.content_hash != content_hash
    html = client.get(REPORT, {"year": "2025"}).content.decode()
    assert "(version 2) ; aucun chiffre n'a changé depuis." in html
    for version in (first, second):
        assert f'href="{reverse("reporting:published_report", args=[version.pk])}"' in html
    first.refresh_from_db()
    assert first.content_hash == content_hash and downloads(client, first) == before

    # Version 1 reads as published, marked as such.
    version_page = client.get(reverse("reporting:published_report", args=[first.pk])).content.decode()
    assert f"Version publiée le {today} par" in version_page
    assert '<p class="key-figure" id="heures-annee">250\u00a0h</p>' in version_page


def test_a_version_follows_the_public_small_count_rule(client, world):
    """The world counts 2 people: a published version shows "< 5" where the coordinator's live page shows 2."""
    as_user(client, world["coordinator"])
    client.post(PUBLISH, {"year": "2025", "confirmer": "oui"})
    version = PublishedReport.objects.get()
    assert version.payload["summary"]["participants"] == 2  # the payload keeps the exact figures
    page = client.get(reverse("reporting:published_report", args=[version.pk]))
    synthesis = next(table for table in page.context["tables"] if table.code == "synthese")
    participants = next(row for row in synthesis.rows if row[0].text == "Participant·es")
    assert participants[1].text == "< 5"
    document = json.loads(client.get(reverse("reporting:published_report_export", args=[version.pk, "json"])).content)
    lines = document["tableaux"][0]["lignes"]
    assert next(line for line in lines if line["indicateur"] == "Participant·es")["annee_2025"] == "< 5"
    live = client.get(REPORT, {"year": "2025"})
    synthesis = next(table for table in live.context["tables"] if table.code == "synthese")
    assert next(row for row in synthesis.rows if row[0].text == "Participant·es")[1].text == "2"


def test_filters_make_their_own_series_of_versions(client, world):
    as_user(client, world["coordinator"])
    client.post(PUBLISH, {"year": "2025", "confirmer": "oui"})
    client.post(PUBLISH, {"year": "2025", "department": "21", "confirmer": "oui"})
    filtered = PublishedReport.objects.get(filters={"department": "21"})
    assert filtered.version == 1 and filtered.payload["summary"]["hours"] == "180.00"
    assert filtered.filters_label == "Département : 21 – Côte-d'Or"


def structure_admin(world):
    return MembershipFactory(organisation=world["facilitator"], role=Role.ADMIN, user=UserFactory()).user


def test_a_structure_admin_publishes_the_structure_and_its_members_read_it(client, world):
    as_user(client, structure_admin(world))
    assert client.post(PUBLISH, {"year": "2025", "confirmer": "oui"}).status_code == 302
    version = PublishedReport.objects.get()
    assert version.organisation == world["facilitator"] and version.region is None
    for role in ("facilitator_member", "facilitator_reader"):
        as_user(client, world[role])
        assert client.get(reverse("reporting:published_report", args=[version.pk])).status_code == 200
        page = client.get(REPORT, {"year": "2025"}).content.decode()
        assert "Version 1" in page and "Publier ce bilan" not in page
        assert client.post(PUBLISH, {"year": "2025", "confirmer": "oui"}).status_code == 404
    # The coordination sees the région's versions, not the structure's.
    as_user(client, world["coordinator"])
    assert client.get(reverse("reporting:published_report", args=[version.pk])).status_code == 404


OUTSIDERS = ("city_admin", "city_reader", "landlord_member", "stranger", "facilitator_member", "facilitator_reader")


@pytest.mark.parametrize("role", [*OUTSIDERS, "coordination_reader"])
def test_who_may_not_publish_a_region_or_read_its_versions(client, world, role):
    version = publication.publish(user=world["coordinator"], year=2025, region=world["region"])
    as_user(client, world[role])
    assert client.post(PUBLISH, {"year": "2025", "confirmer": "oui"}).status_code == 404
    assert PublishedReport.objects.count() == 1
    expected = 200 if role == "coordination_reader" else 404
    assert client.get(reverse("reporting:published_report", args=[version.pk])).status_code == expected
    for fmt in FORMATS:
        url = reverse("reporting:published_report_export", args=[version.pk, fmt])
        assert client.get(url).status_code == expected


def test_anonymous_is_sent_to_the_login(client, world):
    version = publication.publish(user=world["coordinator"], year=2025, region=world["region"])
    for url in (reverse("reporting:published_report", args=[version.pk]), PUBLISH):
        response = client.get(url) if url != PUBLISH else client.post(url, {"year": "2025", "confirmer": "oui"})
        assert response.status_code == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    assert PublishedReport.objects.count() == 1
