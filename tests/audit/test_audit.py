"""The access journal, the hours records history and the right-of-access export."""

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client

from audit.models import AccessAction, AccessLog, HoursChange
from beneficiaries import services
from beneficiaries.choices import HoursStatus
from tests.audit.world import NAMES, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_hours_history_records_who_when_before_after(world):
    a = world.a
    changes = list(HoursChange.objects.filter(record=a.record).order_by("at", "pk"))
    assert [(c.hours_before, c.status_before, c.hours_after, c.status_after) for c in changes] == [
        (None, "", Decimal("100"), HoursStatus.DECLARED),  # declared
        (Decimal("100"), HoursStatus.DECLARED, Decimal("100"), HoursStatus.VALIDATED),  # validated
    ]
    assert {c.user_email for c in changes} == {"fac-a@exemple.fr"}
    # A correction, then a rejection with its reason.
    services.declare_hours(
        entry=services.HoursEntry(
            placement=a.placement,
            month=datetime.date(2025, 4, 1),
            hours=Decimal("70"),
            training_hours=Decimal("5"),
            expected_version=services.UNCHECKED,
        ),
        user=world.users["fac_a"],
    )
    services.reject_hours(
        records=[a.declared], user=world.users["fac_a"], reason="Relevé illisible", versions=services.UNCHECKED
    )
    last = list(HoursChange.objects.filter(record=a.declared).order_by("at", "pk"))[-2:]
    assert (last[0].hours_before, last[0].hours_after, last[0].training_hours_after) == (
        Decimal("60"),
        Decimal("70"),
        Decimal("5"),
    )
    assert (last[1].status_before, last[1].status_after, last[1].reason) == (
        HoursStatus.DECLARED,
        HoursStatus.REJECTED,
        "Relevé illisible",
    )
    # Saving the same values again writes no history.
    count = HoursChange.objects.count()
    services.declare_hours(
        entry=services.HoursEntry(
            placement=a.placement,
            month=datetime.date(2025, 4, 1),
            hours=Decimal("70"),
            training_hours=Decimal("5"),
            expected_version=services.UNCHECKED,
        ),
        user=world.users["fac_a"],
    )
    assert HoursChange.objects.count() == count


def test_hours_history_on_the_placement_page(world):
    body = client_for(world.users["fac_a"]).get(f"/contrats/{world.a.placement.pk}/").content.decode()
    assert "Historique des relevés d" in body
    assert "fac-a@exemple.fr" in body
    assert "100 h, formation 0 h, déclarées" in body
    assert "100 h, formation 0 h, validées" in body


def test_views_and_changes_are_logged(world):
    person = world.a.person
    fac = world.users["fac_a"]
    client = client_for(fac)
    client.get(f"/participants/{person.pk}/")
    assert AccessLog.objects.filter(beneficiary=person, user=fac, action=AccessAction.VIEWED, channel="web").exists()
    api = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['fac_a'][1]}")
    api.get(f"/api/v1/beneficiaries/{person.pk}/")
    assert AccessLog.objects.filter(beneficiary=person, action=AccessAction.VIEWED, channel="api").exists()
    # Hours declared through the services are changes of the person's record.
    assert AccessLog.objects.filter(
        beneficiary=person, action=AccessAction.CHANGED, detail__startswith="Relevé d'heures de 03/2025 validé"
    ).exists()
    # A refused view (another structure) is not logged as a view of the person.
    client_for(world.users["fac_b"]).get(f"/participants/{person.pk}/")
    assert not AccessLog.objects.filter(beneficiary=person, user=world.users["fac_b"]).exists()
    # No entry ever quotes the person's name.
    last_name, first_name = NAMES["a"]
    assert not AccessLog.objects.filter(detail__icontains=last_name).exists()
    assert not AccessLog.objects.filter(detail__icontains=first_name).exists()


def test_journal_only_for_the_structure_admin_filterable_by_person(world):
    a, b = world.a, world.b
    client_for(world.users["fac_a"]).get(f"/participants/{a.person.pk}/")
    client_for(world.users["fac_b"]).get(f"/participants/{b.person.pk}/")
    admin = client_for(world.users["fac_a"])
    response = admin.get("/journal-des-acces/")
    assert response.status_code == 200
    entries = list(response.context["page_obj"])
    assert entries and {entry.structure_id for entry in entries} == {a.structure.pk}
    filtered = admin.get(f"/journal-des-acces/?personne={a.person.pk}&action=viewed").context["page_obj"]
    assert [entry.action for entry in filtered] == [AccessAction.VIEWED]
    # Another structure's person cannot be picked.
    assert not list(admin.get(f"/journal-des-acces/?personne={b.person.pk}").context["page_obj"])
    for role in ("fac_b", "reader_a", "buyer_x", "coord_27"):  # a member, a reader, a buyer, a coordinator
        assert client_for(world.users[role]).get("/journal-des-acces/").status_code == 403


def test_right_of_access_export_holds_everything(world):
    person = world.a.person
    client = client_for(world.users["fac_a"])
    client.get(f"/participants/{person.pk}/")
    response = client.get(f"/participants/{person.pk}/droit-d-acces.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="droit-d-acces-{person.pk}.json"'
    data = json.loads(response.content)
    identity = data["identité"]
    assert (identity["nom"], identity["prénom"]) == NAMES["a"]
    assert identity["date de naissance"] == "03/04/1999"
    assert identity["adresse"] == "12 rue des Secrets A"
    assert identity["prescripteur"] == "Agence Confidentielle A"
    assert len(data["critères d'éligibilité"]) == 2
    (placement,) = data["contrats et missions"]
    assert placement["numéro"] == world.a.placement.pk
    assert [(h["mois"], h["heures d'insertion"], h["statut"]) for h in placement["heures"]] == [
        ("03/2025", "100", "Validées"),
        ("04/2025", "60", "Déclarées"),
    ]
    assert len(placement["heures"][0]["historique"]) == 2
    assert placement["sorties"][0]["situation"] == "Emploi durable : CDI"
    actions = [entry["action"] for entry in data["journal des accès et modifications"]]
    assert "Consultation" in actions and "Export" in actions
    assert AccessLog.objects.filter(beneficiary=person, action=AccessAction.EXPORTED).count() == 1
    # The printable page shows the same, and the person's page links to it.
    page = client.get(f"/participants/{person.pk}/droit-d-acces/").content.decode()
    assert "12 rue des Secrets A" in page and "Emploi durable : CDI" in page
    detail = client.get(f"/participants/{person.pk}/").content.decode()
    assert f"/participants/{person.pk}/droit-d-acces/" in detail


def test_right_of_access_refused_to_others(world):
    person = world.a.person
    url = f"/participants/{person.pk}/droit-d-acces.json"
    assert client_for(world.users["reader_a"]).get(url).status_code == 403
    for role in ("fac_b", "buyer_x", "coord_27"):
        assert client_for(world.users[role]).get(url).status_code == 404
    assert not AccessLog.objects.filter(beneficiary=person, action=AccessAction.EXPORTED).exists()


# Views of identity on lists (issue 11, item 8): one entry per person shown, written in one statement.


def test_api_list_of_many_people_journals_each_in_one_insert(world):
    """`GET /api/v1/beneficiaries/?page_size=1000` once returned 500 people and left no trace."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.beneficiaries.factories import BeneficiaryFactory

    BeneficiaryFactory.create_batch(30, structure=world.a.structure)
    client = Client(HTTP_AUTHORIZATION=f"Token {world.tokens['fac_a'][1]}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/beneficiaries/?page_size=1000")
    assert response.status_code == 200 and response.json()["count"] == 31
    inserts = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len([sql for sql in inserts if "audit_accesslog" in sql]) == 1
    entries = AccessLog.objects.filter(user=world.users["fac_a"], action=AccessAction.VIEWED, channel="api")
    assert entries.count() == 31
    assert set(entries.values_list("beneficiary__structure", flat=True)) == {world.a.structure.pk}
    assert set(entries.values_list("detail", flat=True)) == {"/api/v1/beneficiaries/"}


def test_placement_list_journals_only_the_people_named(world):
    """The market's structure sees the contracts of people another structure follows, without their names: no
    entry for them."""
    from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory

    stranger = BeneficiaryFactory(structure=world.b.structure, last_name="Inconnaissable")
    PlacementFactory(beneficiary=stranger, lot=world.a.lot)
    response = client_for(world.users["fac_a"]).get("/contrats/")
    page = response.content.decode().casefold()
    assert NAMES["a"][0].casefold() in page and "inconnaissable" not in page
    viewed = AccessLog.objects.filter(user=world.users["fac_a"], action=AccessAction.VIEWED)
    assert list(viewed.values_list("beneficiary", "detail")) == [(world.a.person.pk, "Liste des contrats")]


def test_edit_form_and_placement_pages_journal_the_person(world):
    client = client_for(world.users["fac_a"])
    for url in (
        f"/participants/{world.a.person.pk}/modifier/",
        f"/contrats/{world.a.placement.pk}/",
        f"/contrats/{world.a.placement.pk}/modifier/",
    ):
        assert client.get(url).status_code == 200
    details = AccessLog.objects.filter(
        user=world.users["fac_a"], beneficiary=world.a.person, action=AccessAction.VIEWED
    ).values_list("detail", flat=True)
    assert sorted(details) == sorted(
        [
            "Formulaire de modification",
            f"Contrat n° {world.a.placement.pk}",
            f"Formulaire de modification du contrat n° {world.a.placement.pk}",
        ]
    )


def test_home_journals_the_people_it_lists(world):
    from django.utils import timezone

    from beneficiaries.models import Placement

    today = timezone.localdate()
    Placement.objects.filter(pk=world.a.placement.pk).update(end_date=today + datetime.timedelta(days=10))
    response = client_for(world.users["fac_a"]).get("/")
    assert NAMES["a"][0].upper() in response.content.decode()
    entry = AccessLog.objects.get(user=world.users["fac_a"], action=AccessAction.VIEWED)
    assert entry.beneficiary == world.a.person
    assert entry.detail.startswith("Accueil")


def test_admin_list_journals_the_people_listed(world):
    response = client_for(world.users["superuser"]).get("/admin/beneficiaries/hoursrecord/")
    assert response.status_code == 200
    viewed = AccessLog.objects.filter(user=world.users["superuser"], action=AccessAction.VIEWED)
    assert set(viewed.values_list("beneficiary", flat=True)) == {world.a.person.pk, world.b.person.pk}
