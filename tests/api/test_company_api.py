"""The company API (issue 15, point 6): a company contact's lots, contracts and monthly declarations through
/api/v1/company/, every write through companies.declarations, every refusal a French message that changes nothing;
the rest of the API stays closed to a company-only account."""

import datetime

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.permissions import COMPANY_REFUSED
from api.services import create_token
from audit.models import AccessAction, AccessLog, Channel
from beneficiaries import services as people
from beneficiaries.choices import HoursStatus, Modality
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.choices import DeclarationStatus
from companies.models import Declaration, DeclarationEvent
from companies.services import accept_invitation, invite_contact
from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.companies import conftest as company_world
from tests.markets.factories import LotFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# The company world of tests/companies: a lot held by a company, its contact, its employees, a subcontractor.
contact, employee, holder = company_world.contact, company_world.employee, company_world.holder
lot, second_employee, subcontractor = company_world.lot, company_world.second_employee, company_world.subcontractor

MARCH = "2026-03"
S = DeclarationStatus


def _token_client(user) -> APIClient:
    _token, key = create_token(user=user, name="logiciel de paie")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _urls(lot_id, month=MARCH) -> dict[str, tuple[str, str]]:
    base = f"/api/v1/company/lots/{lot_id}/"
    month_url = f"{base}declarations/{month}/"
    return {
        "lot": ("get", base),
        "placements": ("get", f"{base}placements/"),
        "declaration": ("get", month_url),
        "rows": ("post", f"{month_url}rows/"),
        "submit": ("post", f"{month_url}submit/"),
        "resubmit": ("post", f"{month_url}resubmit/"),
    }


def _rows_url(lot, month=MARCH):
    return f"/api/v1/company/lots/{lot.pk}/declarations/{month}/rows/"


def _state(lot):
    """Everything a refused write must leave as it was."""
    records = HoursRecord.objects.filter(placement__lot=lot).order_by("pk")
    return (
        list(Declaration.objects.filter(lot=lot).values_list("pk", "status")),
        DeclarationEvent.objects.count(),
        list(records.values_list("pk", "hours", "training_hours", "status", "version")),
    )


def _version(placement, month=datetime.date(2026, 3, 1)) -> int:
    record = HoursRecord.objects.filter(placement=placement, month=month).first()
    return record.version if record else 0


def _declare(client, lot, *rows):
    return client.post(_rows_url(lot), {"rows": list(rows)}, format="json")


# Reading ----------------------------------------------------------------------------------------------------------


def test_a_company_lists_its_lots_with_target_and_its_validated_hours(contact, owner, lot, holder, employee):
    rival = CompanyFactory(name="Rival Construction")
    invite_contact(
        company=rival,
        lots=[LotFactory(market=lot.market, number=2, title="Lot du concurrent", contractor=rival)],
        email="rh@rival.fr",
        invited_by=owner,
    )
    client = _token_client(contact)
    assert (
        _declare(
            client, lot, {"placement": employee.pk, "hours": "120.5", "training_hours": "7", "version": 0}
        ).status_code
        == 200
    )
    before = client.get("/api/v1/company/lots/").json()
    assert before[0]["validated_hours"] == "0.00"  # declared, not validated yet
    client.post(f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/submit/")
    declarations.validate(declaration=Declaration.objects.get(lot=lot), user=owner)

    response = client.get("/api/v1/company/lots/")

    assert response.status_code == 200
    (item,) = response.json()  # its lot only, never the rival's
    assert item["id"] == lot.pk
    assert item["market_reference"] == "2026-CHANTIER-07"
    assert item["company"] == {"id": holder.pk, "name": "Maçonnerie Dupuis"}
    assert item["capacity"] == "holder"
    assert item["target_hours"] == lot.clause.target_hours
    assert item["validated_hours"] == "120.50"
    assert item["validated_training_hours"] == "7.00"
    detail = client.get(f"/api/v1/company/lots/{lot.pk}/").json()
    march = next(month for month in detail["months"] if month["month"] == MARCH)
    assert march == {
        "month": MARCH,
        "status": "validated",
        "status_label": "Validée",
        "next_step": "À la facilitatrice de clôturer",
    }


def test_its_placements_show_the_name_and_the_contract_only(contact, structure, lot, holder, employee, subcontractor):
    other_person = BeneficiaryFactory(structure=structure, last_name="Xérophile", first_name="Wolfgangine")
    people.start_placement(
        beneficiary=other_person,
        lot=lot,
        employer=subcontractor,
        modality=Modality.TEMP_AGENCY,
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 5, 31),
    )

    response = _token_client(contact).get(f"/api/v1/company/lots/{lot.pk}/placements/")

    assert response.status_code == 200
    (row,) = response.json()  # the subcontractor's employee is not the holder's
    assert row == {
        "id": employee.pk,
        "last_name": "Ravignac",
        "first_name": "Hermeline",
        "modality": Modality.HIRE_CDD,
        "modality_label": Modality.HIRE_CDD.label,
        "job_title": employee.job_title,
        "start_date": "2026-01-05",
        "end_date": "2026-06-30",
    }
    body = response.content.decode()
    for secret in ("1987", "Glycines", "Mission locale", "Xérophile"):
        assert secret not in body


def test_reads_naming_people_write_the_access_journal_through_the_api_channel(
    contact, structure, lot, holder, employee, subcontractor
):
    # The company's pages journal who read its employees' names (companies.views.log_people_read); the API's
    # answers that name them do the same, channel API, one entry per person, and a refused read writes nothing.
    hidden = BeneficiaryFactory(structure=structure, last_name="Xérophile")
    people.start_placement(
        beneficiary=hidden,
        lot=lot,
        employer=subcontractor,
        modality=Modality.TEMP_AGENCY,
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 5, 31),
    )
    AccessLog.objects.all().delete()
    client = _token_client(contact)

    assert client.get(f"/api/v1/company/lots/{lot.pk}/placements/").status_code == 200
    assert client.get(f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/").status_code == 200
    assert client.get("/api/v1/company/lots/").status_code == 200  # names no one

    entries = list(AccessLog.objects.order_by("pk").values_list("user", "beneficiary", "action", "channel", "detail"))
    assert entries == [
        (
            contact.pk,
            employee.beneficiary_id,
            AccessAction.VIEWED,
            Channel.API,
            f"/api/v1/company/lots/{lot.pk}/placements/",
        ),
        (
            contact.pk,
            employee.beneficiary_id,
            AccessAction.VIEWED,
            Channel.API,
            f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/",
        ),
    ]
    AccessLog.objects.all().delete()
    assert client.get(f"/api/v1/company/lots/{LotFactory().pk}/placements/").status_code == 404
    assert not AccessLog.objects.exists()


def test_another_company_lot_and_a_lot_not_opened_are_404_on_every_operation(contact, owner, lot, holder, employee):
    rival_lot = LotFactory(market=lot.market, number=2, contractor=CompanyFactory())
    not_opened = LotFactory(market=lot.market, number=3, contractor=holder)
    client = _token_client(contact)
    before = _state(rival_lot), _state(not_opened)
    for target in (rival_lot, not_opened, LotFactory()):
        for name, (method, url) in _urls(target.pk).items():
            response = (
                getattr(client, method)(
                    url, {"rows": [{"placement": employee.pk, "hours": "1", "version": 0}]}, format="json"
                )
                if method == "post"
                else client.get(url)
            )
            assert response.status_code == 404, (name, url, response.content)
            assert response.json()["detail"] == "Ce lot n'est pas ouvert à votre entreprise."
    assert (_state(rival_lot), _state(not_opened)) == before
    assert client.get("/api/v1/company/lots/99999999999999999999/").status_code == 404


def test_buyers_facilitators_and_the_superuser_are_refused_on_the_company_operations(owner, lot, contact):
    buyer = UserFactory()
    MembershipFactory(user=buyer, organisation=BuyerFactory(), role=Role.ADMIN)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    before = _state(lot)
    for user in (owner, buyer, superuser):
        client = _token_client(user)
        for name, (method, url) in [("list", ("get", "/api/v1/company/lots/")), *_urls(lot.pk).items()]:
            response = getattr(client, method)(url)
            assert response.status_code == 403, (user, name, response.status_code)
            assert "réservées aux comptes d'entreprise" in response.json()["detail"]
    for name, (method, url) in _urls(lot.pk).items():
        assert getattr(APIClient(), method)(url).status_code == 401, name
    assert _state(lot) == before


# The workflow -----------------------------------------------------------------------------------------------------


def test_a_month_declared_submitted_corrected_and_resubmitted_through_the_api(
    contact, owner, lot, holder, employee, second_employee
):
    client = _token_client(contact)
    url = f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/"

    empty = client.get(url).json()
    assert (empty["status"], empty["next_step"], empty["editable"], empty["timeline"]) == (
        "to_declare",
        "À l'entreprise de déclarer",
        True,
        [],
    )
    assert [(row["last_name"], row["hours"], row["version"]) for row in empty["rows"]] == [
        ("Bellerose", None, 0),
        ("Ravignac", None, 0),
    ]

    saved = _declare(
        client,
        lot,
        {"placement": employee.pk, "hours": "120", "training_hours": "7", "version": 0},
        {"placement": second_employee.pk, "no_activity": True, "version": 0},
    )
    assert saved.status_code == 200, saved.content
    rows = {row["placement"]: row for row in saved.json()["rows"]}
    assert (rows[employee.pk]["hours"], rows[employee.pk]["training_hours"]) == ("120.00", "7.00")
    assert rows[second_employee.pk]["no_activity"] is True
    assert HoursRecord.objects.get(placement=employee).status == HoursStatus.DECLARED

    submitted = client.post(f"{url}submit/")
    assert submitted.status_code == 200, submitted.content
    assert (submitted.json()["status"], submitted.json()["next_step"]) == ("submitted", "À la facilitatrice de valider")

    declaration = Declaration.objects.get(lot=lot, company=holder)
    declarations.request_correction(
        declaration=declaration, placements=[employee.pk], comment="Il manque les heures du 31.", user=owner
    )
    corrected = client.get(url).json()
    assert (corrected["status"], corrected["next_step"]) == ("correction", "À l'entreprise de corriger")
    rows = {row["placement"]: row for row in corrected["rows"]}
    assert rows[employee.pk]["correction_requested"] == "Il manque les heures du 31."

    again = _declare(
        client, lot, {"placement": employee.pk, "hours": "127", "training_hours": "7", "version": _version(employee)}
    )
    assert again.status_code == 200, again.content
    resubmitted = client.post(f"{url}resubmit/")
    assert resubmitted.status_code == 200, resubmitted.content

    timeline = resubmitted.json()["timeline"]
    assert [(step["action"], step["next_step"]) for step in timeline] == [
        ("saved", "À l'entreprise de déclarer"),
        ("submitted", "À la facilitatrice de valider"),
        ("correction", "À l'entreprise de corriger"),
        ("saved", "À l'entreprise de corriger"),
        ("resubmitted", "À la facilitatrice de valider"),
    ]
    assert timeline[1]["actor"] == contact.email
    assert timeline[1]["organisation"] == "Maçonnerie Dupuis"
    assert timeline[2]["actor"] == (owner.get_full_name() or owner.email)
    assert timeline[2]["comment"] == "Il manque les heures du 31."
    assert timeline[2]["placements"] == [employee.pk]
    assert timeline[3]["changes"] == [
        {
            "placement": employee.pk,
            "hours_before": "120.00",
            "hours_after": "127.00",
            "training_before": "7.00",
            "training_after": "7.00",
        }
    ]
    assert timeline[0]["date"]


def test_a_step_out_of_order_is_a_409_with_its_code_and_changes_nothing(contact, owner, lot, holder, employee):
    client = _token_client(contact)
    url = f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/"
    _declare(client, lot, {"placement": employee.pk, "hours": "100", "version": 0})

    before = _state(lot)
    response = client.post(f"{url}resubmit/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "On ne peut pas retransmettre cette déclaration : elle est « À déclarer » (à l'entreprise de "
        "déclarer).",
        "code": "transition",
    }
    assert _state(lot) == before

    assert client.post(f"{url}submit/").status_code == 200
    before = _state(lot)
    twice = client.post(f"{url}submit/")
    assert (twice.status_code, twice.json()["code"]) == (409, "transition")
    assert "On ne peut pas transmettre cette déclaration" in twice.json()["detail"]
    waiting = _declare(client, lot, {"placement": employee.pk, "hours": "90", "version": _version(employee)})
    assert (waiting.status_code, waiting.json()) == (409, {"detail": declarations.WAITING, "code": "waiting"})
    assert _state(lot) == before


def test_a_validated_month_is_locked_for_the_api(contact, owner, lot, holder, employee):
    client = _token_client(contact)
    url = f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/"
    _declare(client, lot, {"placement": employee.pk, "hours": "100", "version": 0})
    client.post(f"{url}submit/")
    declarations.validate(declaration=Declaration.objects.get(lot=lot), user=owner)
    before = _state(lot)

    locked = _declare(client, lot, {"placement": employee.pk, "hours": "90", "version": _version(employee)})

    assert locked.status_code == 409
    assert locked.json() == {
        "detail": "Le mois 03/2026 est validé : ses heures sont verrouillées. Demandez à la facilitatrice de le "
        "rouvrir.",
        "code": "locked",
    }
    assert client.post(f"{url}resubmit/").json()["code"] == "transition"
    read = client.get(url).json()
    assert (read["locked"], read["editable"], read["status"]) == (True, False, "validated")
    assert _state(lot) == before


def test_refused_rows_carry_a_french_message_at_their_rank_and_nothing_is_written(
    contact, structure, lot, holder, employee, second_employee, subcontractor
):
    stranger = people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure),
        lot=lot,
        employer=subcontractor,
        modality=Modality.TEMP_AGENCY,
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 5, 31),
    )
    client = _token_client(contact)
    before = _state(lot)

    fields = _declare(
        client,
        lot,
        {"placement": employee.pk, "hours": "10", "no_activity": True, "version": 0},
        {"placement": second_employee.pk, "version": 0},
        {"placement": employee.pk, "hours": "-3", "version": "deux"},
    )
    assert fields.status_code == 400
    errors = fields.json()["rows"]  # by rank, from "0"
    assert errors["0"] == {"no_activity": ["« Aucune activité » : laissez les heures vides ou à 0."]}
    assert errors["1"] == {"hours": ["Indiquez les heures du mois, ou « aucune activité » (no_activity: true)."]}
    assert errors["2"] == {"version": ["Un nombre entier valide est requis."]}

    foreign = _declare(client, lot, {"placement": stranger.pk, "hours": "10", "version": 0})
    assert foreign.status_code == 400
    assert foreign.json() == {"rows": {"0": {"placement": [declarations.NOT_A_ROW]}}}

    ceiling = _declare(
        client,
        lot,
        {"placement": second_employee.pk, "hours": "35", "version": 0},
        {"placement": employee.pk, "hours": "400", "version": 0},
    )
    assert ceiling.status_code == 400
    body = ceiling.json()
    assert body["detail"] == "Rien n'a été enregistré : corrigez les lignes signalées."
    assert list(body["rows"]) == ["1"]  # the valid row has no message
    assert body["rows"]["1"]["non_field_errors"]
    assert _state(lot) == before  # the valid row was not written either

    assert client.post(_rows_url(lot), {}, format="json").json() == {"rows": ["Ce champ est obligatoire."]}
    assert client.post(_rows_url(lot), {"rows": []}, format="json").status_code == 400
    assert _state(lot) == before


def test_a_stale_version_is_refused_on_its_row(contact, owner, lot, holder, employee):
    client = _token_client(contact)
    _declare(client, lot, {"placement": employee.pk, "hours": "100", "version": 0})
    before = _state(lot)
    stale = _declare(client, lot, {"placement": employee.pk, "hours": "90", "version": 0})
    assert stale.status_code == 400
    assert "modifié par quelqu'un d'autre" in stale.json()["rows"]["0"]["non_field_errors"][0]
    assert _state(lot) == before


def test_every_row_must_be_declared_before_submitting(contact, lot, holder, employee, second_employee):
    client = _token_client(contact)
    _declare(client, lot, {"placement": employee.pk, "hours": "100", "version": 0})
    before = _state(lot)
    response = client.post(f"/api/v1/company/lots/{lot.pk}/declarations/{MARCH}/submit/")
    assert response.status_code == 400
    assert response.json()["code"] == "missing_rows"
    assert "BELLEROSE Anatole" in response.json()["detail"]
    assert _state(lot) == before


def test_a_future_or_malformed_month_is_refused(contact, lot, holder, employee):
    client = _token_client(contact)
    future = (datetime.date.today().replace(day=1) + datetime.timedelta(days=40)).strftime("%Y-%m")
    for method, url in (
        ("get", f"/api/v1/company/lots/{lot.pk}/declarations/{future}/"),
        ("post", f"/api/v1/company/lots/{lot.pk}/declarations/{future}/submit/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 400
        assert "n'est pas encore commencé" in response.json()["month"][0]
    for month in ("2026-13", "mars", "2026-3-1"):
        response = client.get(f"/api/v1/company/lots/{lot.pk}/declarations/{month}/")
        assert response.status_code == 404
        assert response.json()["detail"] == "Ce mois n'est pas valide : indiquez-le au format AAAA-MM."
    assert not Declaration.objects.exists()


# The rest of the API, the session, the tokens -----------------------------------------------------------------------


def test_every_other_operation_stays_closed_to_a_company_account(contact, lot, employee):
    token = _token_client(contact)
    session = APIClient()
    session.force_login(contact)
    for url in ("/api/v1/lots/", f"/api/v1/lots/{lot.pk}/", "/api/v1/placements/", "/api/v1/hours/"):
        response = token.get(url)
        assert (response.status_code, response.json()["detail"]) == (403, COMPANY_REFUSED), url
        assert session.get(url).status_code == 404, url  # the portal's closed garden (companies.middleware)
    assert token.post("/api/v1/hours/", {}, format="json").status_code == 403
    # The company operations by session, as the browsable API does.
    assert session.get("/api/v1/company/lots/").status_code == 200
    assert session.get(f"/api/v1/company/lots/{lot.pk}/placements/").json()[0]["last_name"] == "Ravignac"


def test_a_company_contact_creates_a_token_on_its_account_page_and_uses_it(owner, lot, holder, employee):
    invitation = invite_contact(company=holder, lots=[lot], email="paie@dupuis.fr", invited_by=owner)
    user = accept_invitation(user=invitation.user, password="un-mot-de-passe-solide-2026")
    web = Client()
    web.force_login(user)
    home = web.get("/entreprise/").content.decode()
    assert 'href="/compte/jetons/"' in home  # the account menu links to the page

    page = web.get("/compte/jetons/")
    assert page.status_code == 200
    assert "/api/v1/company/" in page.content.decode()  # what the token opens, for a company account
    created = web.post("/compte/jetons/", {"name": "Logiciel de paie"}, follow=True)
    key = created.context["new_key"]["key"]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert [item["id"] for item in api.get("/api/v1/company/lots/").json()] == [lot.pk]
    assert api.get("/api/v1/markets/").status_code == 403

    token_id = created.context["new_key"]["id"]
    assert web.post(f"/compte/jetons/{token_id}/revoquer/").status_code == 302
    assert api.get("/api/v1/company/lots/").status_code == 401
