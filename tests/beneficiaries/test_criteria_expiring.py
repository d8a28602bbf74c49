"""The home's "Critères qui expirent dans les 30 jours": criteria of people with a running or future placement that
stop holding within 30 days (calculations.criterion_expires_on: 26th birthday for "moins de 26 ans", otherwise
CLAUSIER_CRITERION_VALIDITY_MONTHS after validation), counted exactly, each linking to the person's page."""

import re
from datetime import date

import pytest
from django.utils import timezone

from beneficiaries import calculations
from beneficiaries.choices import Criterion
from tests.beneficiaries.factories import BeneficiaryCriterionFactory, BeneficiaryFactory, PlacementFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)
RUNNING = {"start_date": date(2025, 6, 1), "end_date": date(2027, 6, 30)}


def test_youth_expires_on_the_26th_birthday_others_after_the_validity_period():
    expires = calculations.criterion_expires_on
    youth = Criterion.YOUTH_LOW_QUALIFICATION
    assert expires(
        criterion=youth, validated_on=date(2025, 6, 1), birth_date=date(2000, 12, 10), validity_months=24
    ) == date(2026, 12, 10)
    assert expires(
        criterion=youth, validated_on=date(2024, 12, 1), birth_date=date(1999, 2, 1), validity_months=24
    ) == date(2025, 2, 1)
    assert expires(criterion=Criterion.RSA, validated_on=date(2024, 2, 29), birth_date=None, validity_months=24) == (
        date(2026, 2, 28)
    )
    # "50 ans et plus" has no ending birthday.
    assert expires(
        criterion=Criterion.SENIOR_JOB_SEEKER,
        validated_on=date(2025, 1, 1),
        birth_date=date(1960, 1, 1),
        validity_months=12,
    ) == date(2026, 1, 1)


@pytest.fixture
def expiring_world(structure, other_structure, market, monkeypatch, settings):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    settings.CLAUSIER_CRITERION_VALIDITY_MONTHS = 24
    lot = market.lots.get()

    def person(name, criterion, validated_on, *, birth_date=None, dates=RUNNING, owner=structure):
        someone = BeneficiaryFactory(structure=owner, last_name=name, first_name="Zoé", birth_date=birth_date)
        BeneficiaryCriterionFactory(beneficiary=someone, criterion=criterion, validated_on=validated_on)
        if dates:
            PlacementFactory(beneficiary=someone, lot=lot, employer=lot.contractor, **dates)
        return someone

    youth = Criterion.YOUTH_LOW_QUALIFICATION
    return {
        "counted": [
            person("Arnaud", youth, date(2025, 6, 1), birth_date=date(2000, 12, 10)),  # 26 on 10/12/2026
            person("Bernard", Criterion.RSA, date(2024, 12, 1)),  # 24 months: 01/12/2026
            person(
                "Chevalier",
                Criterion.RSA,
                date(2024, 12, 1),
                dates={"start_date": date(2027, 1, 4), "end_date": date(2027, 6, 30)},
            ),
            person("Durand", Criterion.SENIOR_JOB_SEEKER, date(2024, 12, 26), birth_date=date(1970, 1, 1)),  # last day
            person("Roux", Criterion.RQTH, date(2024, 12, 5)),  # sensitive: not shown to a reader
        ],
        "not_counted": [
            person("Eloi", youth, date(2025, 6, 1), birth_date=date(2001, 1, 10)),  # 26 on 10/01/2027
            person("Fabre", Criterion.RSA, date(2024, 11, 20)),  # expired on 20/11/2026
            person(
                "Garnier",
                Criterion.RSA,
                date(2024, 12, 1),
                dates={"start_date": date(2025, 1, 1), "end_date": date(2026, 11, 25)},
            ),
            person("Hugo", Criterion.RSA, date(2024, 12, 1), dates=None),  # no placement
            person("Ailleurs", Criterion.RSA, date(2024, 12, 1), owner=other_structure),  # another structure
        ],
    }


def expiring_total(text):
    found = re.search(r'id="expiring-total">(\d+)<', text)
    return int(found.group(1)) if found else 0


def test_home_counts_the_criteria_expiring_within_30_days_exactly(owner_client, reader_client, expiring_world):
    response = owner_client.get("/")
    assert "Critères qui expirent dans les 30 jours" in response.text
    assert expiring_total(response.text) == 5
    for person in expiring_world["counted"]:
        assert f'href="/participants/{person.pk}/"' in response.text
    for person in expiring_world["not_counted"]:
        assert f'href="/participants/{person.pk}/"' not in response.text
    assert "expire le 10/12/2026" in response.text and "expire le 26/12/2026" in response.text
    # A reader does not see disability-related criteria.
    assert expiring_total(reader_client.get("/").text) == 4


def test_each_expiring_link_opens_the_persons_page(owner_client, expiring_world):
    person = expiring_world["counted"][1]
    response = owner_client.get(f"/participants/{person.pk}/")
    assert response.status_code == 200
    assert "Allocataire du RSA" in response.text


def test_another_structure_counts_only_its_own_people(outsider_client, expiring_world):
    response = outsider_client.get("/")
    assert expiring_total(response.text) == 1
    assert f'href="/participants/{expiring_world["not_counted"][-1].pk}/"' in response.text
    for person in expiring_world["counted"]:
        assert f'href="/participants/{person.pk}/"' not in response.text


def test_nothing_expiring_says_so(owner_client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    response = owner_client.get("/")
    assert 'id="expiring-total"' not in response.text
    assert "Aucun critère d'une personne en contrat n'expire dans les 30 prochains jours." in response.text
