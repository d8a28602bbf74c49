"""The facilitator's work queue of company declarations (issue 15, point 5): the one rule of a late declaration
(companies.declarations.late_declarations) and the declarations to check."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries import services as people
from beneficiaries.choices import Modality
from companies import declarations
from companies.models import CompanyAccess
from companies.services import invite_contact, revoke_access
from markets.models import Lot
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.beneficiaries.test_home_queue import total
from tests.companies.test_declarations import MARCH, _entry

pytestmark = pytest.mark.django_db

APRIL_5, APRIL_6 = datetime.date(2026, 4, 5), datetime.date(2026, 4, 6)


def _late(today):
    return [
        (item.lot.pk, item.company.name, item.month)
        for item in declarations.late_declarations(Lot.objects.all(), today)
    ]


def test_the_deadline_is_the_fifth_of_the_next_month(contact, lot, holder, employee):
    assert declarations.DEFAULT_DECLARATION_DEADLINE_DAY == 5
    assert declarations.declaration_deadline(MARCH) == APRIL_5
    assert _late(APRIL_5) == []  # still on time on the 5th
    assert _late(APRIL_6) == [(lot.pk, "Maçonnerie Dupuis", MARCH)]
    (item,) = declarations.late_declarations(Lot.objects.all(), APRIL_6)
    assert item.deadline == APRIL_5


def test_the_deadline_is_the_one_the_structure_chose(contact, lot, holder, employee):
    """The late list and the reminders read the same day: the structure's declaration_deadline_day."""
    structure = lot.market.facilitator
    structure.declaration_deadline_day = 10
    structure.save(update_fields=["declaration_deadline_day"])
    assert _late(APRIL_6) == []
    assert _late(datetime.date(2026, 4, 10)) == []
    (item,) = declarations.late_declarations(Lot.objects.all(), datetime.date(2026, 4, 11))
    assert item.deadline == datetime.date(2026, 4, 10)
    from notifications.reminders import deadline

    assert deadline(structure, MARCH) == item.deadline


def test_a_month_saved_but_not_transmitted_is_late_a_transmitted_or_corrected_one_is_not(
    contact, owner, lot, holder, employee
):
    declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "35")], user=contact)
    assert _late(APRIL_6) == [(lot.pk, "Maçonnerie Dupuis", MARCH)]  # « à déclarer » still
    declaration = declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)
    assert _late(APRIL_6) == []
    assert list(declarations.to_review(Lot.objects.all())) == [declaration]
    declarations.request_correction(declaration=declaration, placements=[employee], comment="À revoir", user=owner)
    assert _late(APRIL_6) == []  # the company is now asked to correct, not late to declare
    assert list(declarations.to_review(Lot.objects.all())) == []


def test_only_a_company_with_an_active_access_and_people_that_month(
    contact, owner, structure, lot, holder, employee, subcontractor
):
    # A subcontractor with access but nobody on the lot in March: nothing expected from it.
    invite_contact(company=subcontractor, lots=[lot], email="paie@geiq.fr", invited_by=owner)
    assert _late(APRIL_6) == [(lot.pk, "Maçonnerie Dupuis", MARCH)]
    people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure),
        lot=lot,
        employer=subcontractor,
        modality=Modality.ETTI_MISSION,
        start_date=datetime.date(2026, 3, 10),
        end_date=datetime.date(2026, 9, 30),
    )
    assert _late(APRIL_6) == [(lot.pk, "GEIQ BTP 21", MARCH), (lot.pk, "Maçonnerie Dupuis", MARCH)]
    # Once its access is revoked, the holder is no longer expected on the portal.
    revoke_access(access=CompanyAccess.objects.get(membership__organisation=holder), user=owner)
    assert _late(APRIL_6) == [(lot.pk, "GEIQ BTP 21", MARCH)]


def test_only_the_lots_given(contact, lot, holder, employee):
    assert declarations.late_declarations(Lot.objects.exclude(pk=lot.pk), APRIL_6) == []


# The facilitator home (beneficiaries.views_home): « Déclarations à vérifier » and « Entreprises en retard ».


@pytest.fixture
def april_20(monkeypatch):
    """Today is 20/04/2026: March was due by 05/04/2026."""
    today = datetime.date(2026, 4, 20)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    return today


def _declare(contact, lot, holder, month, *placements):
    entries = [
        people.HoursEntry(placement=placement, month=month, hours=Decimal("35"), expected_version=0)
        for placement in placements
    ]
    declarations.save_rows(lot=lot, company=holder, month=month, entries=entries, user=contact)
    return declarations.submit(lot=lot, company=holder, month=month, user=contact)


def test_home_declarations_to_review_and_late_companies(
    april_20, owner_client, outsider_client, contact, lot, holder, employee, second_employee
):
    february = datetime.date(2026, 2, 1)
    _declare(contact, lot, holder, february, employee, second_employee)
    text = owner_client.get("/").text
    assert total(text, "declarations-to-review-total") == 1
    # Its records are not also « relevés à valider » in the grid (which cannot review them while transmitted).
    assert "to-validate-total" not in text and "Aucun relevé déclaré n'attend de validation." in text
    review = f"/entreprise/suivi/lot/{lot.pk}/2026-02/#declaration-{holder.pk}"
    assert f'href="{review}"' in text
    assert "Février 2026 – 2026-CHANTIER-07 lot 1</a> : Maçonnerie Dupuis" in text
    # March is still « à déclarer » after 05/04: the holder is late, with a link to March's review page.
    assert total(text, "late-declarations-total") == 1
    assert "n'a pas transmis mars 2026 (attendu au plus tard le 05/04/2026)" in text
    assert f'href="/entreprise/suivi/lot/{lot.pk}/2026-03/#declaration-{holder.pk}"' in text
    assert owner_client.get(review.split("#")[0]).status_code == 200
    # Another structure sees neither.
    other = outsider_client.get("/").text
    assert "declarations-to-review-total" not in other and "late-declarations-total" not in other
    assert "Maçonnerie Dupuis" not in other


def test_home_a_transmitted_month_is_no_longer_late_and_a_validated_one_no_longer_to_review(
    april_20, owner, owner_client, contact, lot, holder, employee
):
    march = _declare(contact, lot, holder, datetime.date(2026, 3, 1), employee)
    text = owner_client.get("/").text
    assert "late-declarations-total" not in text and "Aucune entreprise en retard" in text
    assert total(text, "declarations-to-review-total") == 1
    declarations.validate(declaration=march, user=owner)
    text = owner_client.get("/").text
    assert "declarations-to-review-total" not in text
    assert "Aucune déclaration d'entreprise n'attend de vérification." in text
