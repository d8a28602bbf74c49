"""Two people saving the same month of the same placement at once: neither save is silently lost.

Every save carries the version of the record its author saw (HoursEntry.expected_version); the service locks
the record and refuses a stale version with a French message, so the second author is told and the first
author's value stays.
"""

import threading
import time
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.test import Client

from beneficiaries import services
from beneficiaries.models import HoursRecord
from beneficiaries.services import CONFLICT_MESSAGE
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import MarketFactory
from tests.organisations.factories import FacilitationStructureFactory, MembershipFactory, UserFactory

GRID = "/heures/?month=2025-03"
MARCH = date(2025, 3, 1)


def grid_values(client) -> dict[str, str]:
    data = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "search"):
                data[attrs["name"]] = attrs.get("value") or ""

    response = client.get(GRID)
    assert response.status_code == 200
    Inputs().feed(response.text)
    return data


def setting():
    """A structure with two facilitators, and one placement running in March 2025."""
    structure = FacilitationStructureFactory()
    market = MarketFactory(facilitator=structure)
    lot = ClauseFactory(lot__market=market).lot
    placement = PlacementFactory(
        beneficiary=BeneficiaryFactory(structure=structure), lot=lot, start_date=date(2025, 1, 1)
    )
    people = []
    for email in ("premiere@exemple.fr", "seconde@exemple.fr"):
        user = UserFactory(email=email)
        MembershipFactory(user=user, organisation=structure, role="member")
        people.append(user)
    return placement, people


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("existing", [False, True], ids=["nouveau-releve", "releve-existant"])
def test_through_the_grid_the_second_save_is_told_and_the_first_value_stays(existing):
    placement, (first, second) = setting()
    if existing:
        services.declare_hours(
            entry=services.HoursEntry(
                placement=placement, month=MARCH, hours=Decimal("50"), expected_version=services.UNCHECKED
            ),
            user=first,
        )
    first_client, second_client = client_of(first), client_of(second)
    # Both open the same grid, then both save a different value.
    first_form, second_form = grid_values(first_client), grid_values(second_client)
    assert first_form[f"p{placement.pk}-version"] == second_form[f"p{placement.pk}-version"]
    first_form.update({f"p{placement.pk}-hours": "120", "action": "save"})
    second_form.update({f"p{placement.pk}-hours": "80", "action": "save"})
    assert first_client.post(GRID, first_form).status_code == 302
    response = second_client.post(GRID, second_form)
    assert response.status_code == 422
    assert CONFLICT_MESSAGE.replace("'", "&#x27;") in response.text
    assert "Rien n'a été enregistré." in response.text
    record = HoursRecord.objects.get(placement=placement, month=MARCH)
    assert record.hours == Decimal("120")
    assert record.declared_by == first
    assert record.version == (2 if existing else 1)
    # Reloaded, the grid shows the first value and the second author can now save knowingly.
    reloaded = grid_values(second_client)
    assert reloaded[f"p{placement.pk}-hours"] == "120,00"
    reloaded.update({f"p{placement.pk}-hours": "80", "action": "save"})
    assert second_client.post(GRID, reloaded).status_code == 302
    assert HoursRecord.objects.get(placement=placement, month=MARCH).hours == Decimal("80")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["nouveau-releve", "releve-existant"])
def test_two_real_connections_saving_at_once(existing, monkeypatch):
    """Two threads, each with its own database connection, save the same month at the same moment.

    The first one to hold the record keeps it a moment inside its transaction (the check is slowed down), so
    the other really arrives while it is being written. Whatever the order, exactly one save wins and the
    other one is refused: PostgreSQL makes it wait on the row lock then sees the new version; SQLite serialises
    writers. Nothing is overwritten without its author being told.
    """
    placement, people = setting()
    seen_version = 0
    if existing:
        record = services.declare_hours(
            entry=services.HoursEntry(
                placement=placement, month=MARCH, hours=Decimal("50"), expected_version=services.UNCHECKED
            ),
            user=people[0],
        ).record
        seen_version = record.version
    check = services.check_hours_entry

    def slow_check(entry, **kwargs):
        errors = check(entry, **kwargs)
        time.sleep(0.3)
        return errors

    monkeypatch.setattr(services, "check_hours_entry", slow_check)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def save(user, hours):
        try:
            start.wait(timeout=10)
            services.declare_hours(
                entry=services.HoursEntry(
                    placement=placement, month=MARCH, hours=Decimal(hours), expected_version=seen_version
                ),
                user=user,
            )
            outcomes[hours] = "saved"
        except ValidationError as error:
            outcomes[hours] = error.messages
        except Exception as error:
            outcomes[hours] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(user, hours)) for user, hours in zip(people, ("120", "80"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    saved = [hours for hours, outcome in outcomes.items() if outcome == "saved"]
    refused = [outcome for outcome in outcomes.values() if outcome != "saved"]
    assert len(saved) == 1, outcomes
    assert len(refused) == 1, outcomes
    if connection.vendor == "sqlite" and not isinstance(refused[0], list):
        # The in-memory test database of SQLite (shared cache) cannot make a writer wait: the second one fails
        # at once, loudly (the web answers it with a French 503, tests/security/test_errors.py). On a database
        # file, as in production, it waits for the lock (transaction_mode IMMEDIATE) and gets the message.
        assert isinstance(refused[0], OperationalError) and "locked" in str(refused[0]), outcomes
    else:
        assert refused == [[CONFLICT_MESSAGE]], outcomes
    record = HoursRecord.objects.get(placement=placement, month=MARCH)
    assert record.hours == Decimal(saved[0])
    assert record.version == seen_version + 1
