"""The write lock of a declared month (issue 15, point 3): while a company's month is transmitted, validated or
closed, the facilitator's grid, the hours import and the API cannot change its records (a French refusal naming the
company and the status, nothing half-written); the workflow itself (correction, validation, reopening) still can.
The rule lives in the hours services' single write path (beneficiaries.services, through config.hooks.declarations).
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from beneficiaries import imports
from beneficiaries import services as people
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.choices import DeclarationStatus
from companies.models import Declaration
from tests.beneficiaries.test_views_hours import _grid_data
from tests.companies.test_declarations import _entry, _save, _submit
from tests.markets.factories import LotFactory

pytestmark = pytest.mark.django_db

S = DeclarationStatus
TRANSMITTED = "La déclaration de Maçonnerie Dupuis pour 03/2026 est « transmise »"
VALIDATED = "La déclaration de Maçonnerie Dupuis pour 03/2026 est « validée » : ses heures sont verrouillées."


def _records():
    return list(HoursRecord.objects.order_by("pk").values_list("pk", "hours", "status", "version", "declared_by"))


@pytest.fixture
def submitted(contact, lot, holder, employee, second_employee):
    _save(contact, lot, holder, (employee, "120"), (second_employee, "35"))
    return _submit(contact, lot, holder)


@pytest.fixture
def validated(submitted, owner):
    return declarations.validate(declaration=submitted, user=owner)


def _same_person_elsewhere(placement, *, lot, employer):
    """A second contract of the same person over the same dates, outside the locked declaration."""
    return people.start_placement(
        beneficiary=placement.beneficiary,
        lot=lot,
        employer=employer,
        modality=placement.modality,
        start_date=placement.start_date,
        end_date=placement.end_date,
    )


def _grid_url(lot):
    return f"{reverse('hours:grid')}?month=2026-03&lot={lot.pk}"


def _shown_then_transmitted(client, contact, lot, holder, *people_hours):
    """The grid's form as a facilitator's browser holds it while the company is still typing its month, then the
    company transmits: the page posted afterwards is a stale one (a fresh one shows those rows read-only)."""
    _save(contact, lot, holder, *people_hours)
    data = _grid_data(client, _grid_url(lot))
    return data, _submit(contact, lot, holder)


def test_the_grid_cannot_change_a_transmitted_month(owner_client, contact, lot, holder, employee, second_employee):
    data, _declaration = _shown_then_transmitted(
        owner_client, contact, lot, holder, (employee, "120"), (second_employee, "35")
    )
    before = _records()
    data[f"p{employee.pk}-hours"] = "90"
    response = owner_client.post(_grid_url(lot), data)
    assert response.status_code == 422
    assert TRANSMITTED in response.content.decode()
    assert "Demandez une correction à l&#x27;entreprise" in response.content.decode()
    assert _records() == before
    assert Declaration.objects.get().status == S.SUBMITTED


def test_a_fresh_grid_shows_a_transmitted_month_read_only(owner_client, submitted, lot, employee, structure):
    """No input, no review box and no « Aucune activité » on the company's rows, but the figures, the reason and
    the link to the declaration; a row outside the declaration on the same page stays editable."""
    from tests.organisations.factories import CompanyFactory

    free = _same_person_elsewhere(employee, lot=lot, employer=CompanyFactory(name="Menuiserie Arnal"))
    response = owner_client.get(_grid_url(lot))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="p{employee.pk}-hours"' not in page
    assert f'name="p{employee.pk}-version"' not in page
    record = HoursRecord.objects.get(placement=employee)
    assert f'value="{record.pk}:{record.version}"' not in page  # no review box
    assert f'value="none:{employee.pk}"' not in page
    review = reverse("companies:review", args=[lot.pk, "2026-03"])
    row = page[page.index(f'id="row-{employee.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Lecture seule : mois déclaré par l'entreprise." in row
    assert f'<a href="{review}">Vérifier la déclaration<span class="visually-hidden"> de ' in row
    notice = page[page.index('id="grid-locked"') :]
    assert notice[: notice.index("</div>")].count(TRANSMITTED) == 1  # the reason once, above the rows
    assert "votre rôle ne permet pas" not in page
    assert ">120<" in row  # the figures stay readable
    assert f'name="p{free.pk}-hours"' in page


def test_the_grid_cannot_validate_or_reject_a_transmitted_month(owner_client, submitted, lot, employee):
    record = HoursRecord.objects.get(placement=employee)
    before = _records()
    for action in ("validate", "reject"):
        response = owner_client.post(
            _grid_url(lot), {"action": action, "review": f"{record.pk}:{record.version}", "reject_reason": "Non"}
        )
        assert response.status_code == 422
        assert TRANSMITTED in response.content.decode()
    assert _records() == before


def test_a_validated_month_is_locked_for_the_grid(owner, owner_client, contact, lot, holder, employee):
    data, declaration = _shown_then_transmitted(owner_client, contact, lot, holder, (employee, "120"))
    declarations.validate(declaration=declaration, user=owner)
    before = _records()
    # The version the record has now (validation changed it): the refusal is the lock, not a concurrent change.
    data[f"p{employee.pk}-version"] = str(HoursRecord.objects.get(placement=employee).version)
    data[f"p{employee.pk}-hours"] = "90"
    response = owner_client.post(_grid_url(lot), data)
    assert response.status_code == 422
    assert VALIDATED in response.content.decode()
    assert _records() == before


def test_a_batch_with_one_locked_row_writes_nothing(owner, submitted, structure, lot, holder, employee):
    """A free row of another lot in the same batch is not written either (all or nothing)."""
    from tests.clauses.factories import ClauseFactory

    other_lot = ClauseFactory(lot=LotFactory(market=lot.market, number=2, contractor=holder)).lot
    free = _same_person_elsewhere(employee, lot=other_lot, employer=holder)
    before = _records()
    with pytest.raises(people.HoursBatchError) as refused:
        people.declare_month(entries=[_entry(free, "10", version=0), _entry(employee, "90")], user=owner)
    assert set(refused.value.row_errors) == {1}
    (message,) = refused.value.row_errors[1]
    assert message.code == "declaration_locked" and message.startswith(TRANSMITTED)
    assert _records() == before


def test_an_unchanged_row_is_not_refused(owner, submitted, employee):
    """Sending back the very figures of a locked month changes nothing, so it is not refused (a re-import)."""
    (result,) = people.declare_month(entries=[_entry(employee, "120")], user=owner)
    assert not result.changed


def test_the_import_cannot_change_a_transmitted_month(owner, submitted, lot, holder):
    before = _records()
    header = "reference_marche;numero_lot;siret_titulaire;nom;prenom;date_naissance;mois;heures;heures_formation"
    row = f"2026-CHANTIER-07;1;{holder.siret};Ravignac;Hermeline;23/11/1987;03/2026;90;0"
    report = imports.import_file(f"{header}\r\n{row}\r\n".encode(), user=owner, filename="heures.csv", commit=True)
    assert not report.committed
    (result,) = report.rows
    assert result.status == imports.REFUSED
    assert any(error.startswith(TRANSMITTED) for error in result.errors), result.errors
    assert _records() == before


def test_the_api_cannot_change_validate_or_reject_a_transmitted_month(owner, submitted, employee):
    api = APIClient()
    api.force_authenticate(owner)
    record = HoursRecord.objects.get(placement=employee)
    before = _records()
    url = f"/api/v1/hours/{record.pk}/"
    response = api.patch(url, {"hours": "90", "version": record.version}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["non_field_errors"][0].startswith(TRANSMITTED)
    response = api.post(
        "/api/v1/hours/",
        {"placement": employee.pk, "month": "2026-03-01", "hours": "90", "version": record.version},
        format="json",
    )
    assert response.status_code == 400 and response.json()["non_field_errors"][0].startswith(TRANSMITTED)
    for action, extra in (("validate", {}), ("reject", {"reason": "Non"})):
        response = api.post(f"{url}{action}/", {"version": record.version, **extra}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["non_field_errors"][0].startswith(TRANSMITTED)
    assert _records() == before


def test_the_workflow_still_asks_a_correction_and_the_grid_may_then_write(
    owner, owner_client, submitted, lot, employee
):
    declarations.request_correction(declaration=submitted, placements=[employee], comment="À revoir", user=owner)
    assert HoursRecord.objects.get(placement=employee).status == HoursStatus.REJECTED
    # « Correction demandée »: the month is open again, to the company and to the facilitator's grid.
    data = _grid_data(owner_client, _grid_url(lot))
    data[f"p{employee.pk}-hours"] = "90"
    assert owner_client.post(_grid_url(lot), data).status_code == 302
    assert HoursRecord.objects.get(placement=employee).hours == Decimal("90")


def test_reopening_a_validated_month_unlocks_it(owner, validated, employee):
    declarations.reopen(declaration=validated, reason="Erreur de saisie", user=owner)
    (result,) = people.declare_month(entries=[_entry(employee, "90")], user=owner)
    assert result.changed and result.record.status == HoursStatus.DECLARED


def test_the_grid_write_of_a_company_month_creates_its_declaration(owner, lot, holder, contact, employee):
    """A month of a company with access to the lot gets its declaration row (« à déclarer ») at the first write,
    whoever writes: the lock always finds a row to wait on (see lock_months)."""
    people.declare_month(entries=[_entry(employee, "10", version=0)], user=owner)
    assert Declaration.objects.get().status == S.TO_DECLARE


def test_only_the_workflow_passes_the_lock():
    """`declaration_workflow=True` bypasses the lock: only companies.declarations, which holds the declaration's
    row lock, may pass it (a new caller fails here)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = {
        str(path.relative_to(root))
        for folder in ("api", "beneficiaries", "companies", "config", "demo", "notifications", "reporting", "audit")
        if (root / folder).is_dir()
        for path in (root / folder).rglob("*.py")
        if "declaration_workflow=True" in path.read_text(encoding="utf-8")
    }
    assert callers == {"companies/declarations.py"}
