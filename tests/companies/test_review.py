"""The facilitator's review of a company's month (issue 15, point 5): each row beside the previous month, the rows
that differ highlighted (new person, person gone, hours moved by more than CHANGE_THRESHOLD_HOURS) and the warnings
of the hours rules, from beneficiaries.services.record_warnings (the very checks of a write, not a copy)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils.html import strip_tags

from beneficiaries import services as people
from beneficiaries.choices import HoursStatus, Modality
from companies import declarations
from companies.views_declarations import CHANGE_THRESHOLD_HOURS
from organisations.models import InsertionType
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory
from tests.organisations.factories import InsertionStructureFactory

pytestmark = pytest.mark.django_db

FEBRUARY, MARCH = datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def _person(structure, lot, employer, last_name, start, end, modality=Modality.HIRE_CDD):
    return people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure, last_name=last_name, first_name="Zoé"),
        lot=lot,
        employer=employer,
        modality=modality,
        start_date=start,
        end_date=end,
    )


def _declare(contact, lot, company, month, figures):
    entries = [
        people.HoursEntry(placement=placement, month=month, hours=Decimal(hours), expected_version=0)
        for placement, hours in figures
    ]
    declarations.save_rows(lot=lot, company=company, month=month, entries=entries, user=contact)
    return declarations.submit(lot=lot, company=company, month=month, user=contact)


def _rows(text: str) -> dict[str, str]:
    """Each row of the page's tables, by its person, as plain text."""
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", text, flags=re.S)
    return {name: " ".join(strip_tags(cells).split()) for name, cells in rows}


def _flagged(text: str) -> set[str]:
    return set(re.findall(r'<tr class="row--flagged"><th scope="row">(.*?)</th>', text))


def test_the_review_shows_the_previous_month_and_highlights_what_differs(
    owner_client, contact, structure, lot, holder, employee, second_employee
):
    assert Decimal("35") == CHANGE_THRESHOLD_HOURS
    leaving = _person(structure, lot, holder, "Partant", datetime.date(2026, 1, 5), datetime.date(2026, 2, 27))
    newcomer = _person(structure, lot, holder, "Arrivant", datetime.date(2026, 3, 2), datetime.date(2026, 9, 30))
    _declare(contact, lot, holder, FEBRUARY, [(employee, "100"), (second_employee, "35"), (leaving, "50")])
    _declare(contact, lot, holder, MARCH, [(employee, "160"), (second_employee, "70"), (newcomer, "20")])
    text = owner_client.get(f"/entreprise/suivi/lot/{lot.pk}/2026-03/").text
    rows = _rows(text)
    # +60 h and above full time; +35 h is not more than the threshold; a new person; a person gone.
    assert rows["RAVIGNAC Hermeline"].startswith("100 160 0 Déclarées")
    assert "Heures en hausse de 60 h par rapport au mois précédent." in rows["RAVIGNAC Hermeline"]
    assert "160 h dépasse un temps plein (151,67 h par mois) : vérifiez ce relevé." in rows["RAVIGNAC Hermeline"]
    assert rows["BELLEROSE Anatole"] == "35 70 0 Déclarées"
    assert rows["ARRIVANT Zoé"].startswith("— 20 0 Déclarées Nouvelle personne : aucun relevé le mois précédent.")
    assert rows["PARTANT Zoé"] == "50 — — Hors contrat Plus de contrat ce mois-ci : 50 h le mois précédent."
    assert _flagged(text) == {"RAVIGNAC Hermeline", "ARRIVANT Zoé", "PARTANT Zoé"}
    assert "3 lignes à vérifier" in text and "écart de plus de 35 h avec février 2026" in text
    # The person gone cannot be picked for a correction (no row this month); the others can.
    assert f'value="{leaving.pk}"' not in text and f'value="{newcomer.pk}"' in text


def test_the_ai_cap_computed_by_the_hours_services_is_shown(owner_client, structure, lot):
    """Records of an AI provision over 480 h in 24 months: the cap of beneficiaries.services, read on the page."""
    ai = InsertionStructureFactory(name="AI Solidarité", insertion_type=InsertionType.AI)
    provided = _person(
        structure, lot, ai, "Prêtée", datetime.date(2025, 10, 1), datetime.date(2026, 6, 30), Modality.AI_PROVISION
    )
    for month in (datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1)):
        HoursRecordFactory(placement=provided, month=month, hours=Decimal("150"), status=HoursStatus.VALIDATED)
    HoursRecordFactory(placement=provided, month=FEBRUARY, hours=Decimal("100"), status=HoursStatus.DECLARED)
    assert people.record_warnings(list(provided.hours_records.filter(month=FEBRUARY)))  # the services' own check
    text = owner_client.get(f"/entreprise/suivi/lot/{lot.pk}/2026-02/").text
    row = _rows(text)["PRÊTÉE Zoé"]
    assert "Plafond de mise à disposition par une association intermédiaire dépassé de 70 h" in row
    assert _flagged(text) == {"PRÊTÉE Zoé"}


def test_the_review_asks_a_fixed_number_of_queries(
    django_assert_max_num_queries, owner_client, contact, structure, lot, holder, employee, second_employee
):
    _declare(contact, lot, holder, MARCH, [(employee, "100"), (second_employee, "35")])
    with django_assert_max_num_queries(60) as few:
        owner_client.get(f"/entreprise/suivi/lot/{lot.pk}/2026-03/")
    for index in range(6):
        _person(structure, lot, holder, f"Renfort{index}", datetime.date(2026, 3, 2), datetime.date(2026, 5, 30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get(f"/entreprise/suivi/lot/{lot.pk}/2026-03/")
