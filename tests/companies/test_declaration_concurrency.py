"""Two transitions of one declaration at the same moment, each on its own database connection: exactly one
happens, the other is refused with the French message of a transition out of order, and nothing is half-written.
The declaration's row is locked (select_for_update) before its status is read; on PostgreSQL the second one waits for
the lock, then sees the new status. Run on PostgreSQL (DATABASE_URL) as on SQLite."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

from beneficiaries import services as people
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.choices import DeclarationStatus
from companies.models import Declaration, DeclarationEvent
from tests.companies.test_declarations import MARCH, _entry

pytestmark = pytest.mark.django_db(transaction=True)


def _race(monkeypatch, slowed: str, calls: dict) -> dict[str, object]:
    """Run `calls` (name → function) in threads started together; the service `slowed` of beneficiaries.services
    sleeps inside the first transaction, so the other really arrives while it is being written."""
    original = getattr(people, slowed)

    def slow(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(people, slowed, slow)
    start = threading.Barrier(len(calls))
    outcomes: dict[str, object] = {}

    def run(name, call):
        try:
            start.wait(timeout=10)
            call()
            outcomes[name] = "done"
        except ValidationError as error:
            outcomes[name] = error
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _refused_in_order(outcome) -> bool:
    if connection.vendor == "sqlite" and isinstance(outcome, OperationalError):
        # The in-memory SQLite test database cannot make a writer wait (tests/test_concurrency.py says why).
        return "locked" in str(outcome)
    return isinstance(outcome, ValidationError) and outcome.code == "transition"


def test_validating_and_asking_a_correction_at_once(monkeypatch, contact, owner, lot, holder, employee):
    declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "100")], user=contact)
    declaration = declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)
    events = DeclarationEvent.objects.count()
    outcomes = _race(
        monkeypatch,
        "validate_hours",
        {
            "validate": lambda: declarations.validate(declaration=declaration, user=owner),
            "correction": lambda: declarations.request_correction(
                declaration=declaration, placements=[employee], comment="À revoir", user=owner
            ),
        },
    )
    done = [name for name, outcome in outcomes.items() if outcome == "done"]
    assert len(done) == 1, outcomes
    (loser,) = [outcome for outcome in outcomes.values() if outcome != "done"]
    assert _refused_in_order(loser), outcomes
    assert DeclarationEvent.objects.count() == events + 1
    status = Declaration.objects.get().status
    record = HoursRecord.objects.get()
    if done == ["validate"]:
        assert (status, record.status) == (DeclarationStatus.VALIDATED, HoursStatus.VALIDATED)
    else:
        assert (status, record.status) == (DeclarationStatus.CORRECTION_REQUESTED, HoursStatus.REJECTED)


def test_two_first_saves_of_a_month_at_once(monkeypatch, contact, lot, holder, employee):
    """Two tabs of the company save the first hours of a month not declared yet: one declaration is created, one
    save wins, the other is told the record changed (beneficiaries.services' version check), nothing is mixed."""
    calls = {
        hours: (
            lambda hours=hours: declarations.save_rows(
                lot=lot, company=holder, month=MARCH, entries=[_entry(employee, hours, version=0)], user=contact
            )
        )
        for hours in ("100", "80")
    }
    outcomes = _race(monkeypatch, "declare_month", calls)
    done = [hours for hours, outcome in outcomes.items() if outcome == "done"]
    assert len(done) == 1, outcomes
    (loser,) = [outcome for outcome in outcomes.values() if outcome != "done"]
    if not (connection.vendor == "sqlite" and isinstance(loser, OperationalError)):
        assert isinstance(loser, ValidationError) and loser.messages == [f"Ligne 1 : {people.CONFLICT_MESSAGE}"], (
            outcomes
        )
    assert Declaration.objects.count() == 1
    assert HoursRecord.objects.get().hours == Decimal(done[0])
    assert DeclarationEvent.objects.filter(action="saved").count() == 1


def test_two_submissions_at_once(monkeypatch, contact, lot, holder, employee):
    declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "100")], user=contact)
    submit = lambda: declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)  # noqa: E731
    monkeypatch.setattr(declarations, "_missing_rows", _slow(declarations._missing_rows))
    outcomes = _race(monkeypatch, "validate_hours", {"first": submit, "second": submit})
    assert sorted(outcome == "done" for outcome in outcomes.values()) == [False, True], outcomes
    (loser,) = [outcome for outcome in outcomes.values() if outcome != "done"]
    assert _refused_in_order(loser), outcomes
    assert DeclarationEvent.objects.filter(action="submitted").count() == 1


def _slow(function):
    def slow(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(0.3)
        return result

    return slow


def _grid_write(owner, employee, hours, pause: float, times: dict):
    """The facilitator's grid (beneficiaries.services.declare_month) writing one row, slow inside its transaction."""
    from django.db import transaction

    def call():
        time.sleep(pause)
        with transaction.atomic():
            people.declare_month(entries=[_entry(employee, hours)], user=owner)
            time.sleep(0.3)
            # Taken before the commit: after it, the waiting submit may run before this thread is scheduled again.
            times["grid_committed"] = time.monotonic()

    return call


def _submission(contact, lot, holder, pause: float):
    def call():
        time.sleep(pause)
        declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)

    return call


@pytest.mark.parametrize("company_saved_first", [True, False], ids=["declaration-row", "no-declaration-row-yet"])
@pytest.mark.parametrize("grid_first", [True, False], ids=["grid-first", "submit-first"])
def test_the_grid_writing_while_the_company_submits(
    monkeypatch, grid_first, company_saved_first, contact, owner, lot, holder, employee
):
    """The grid and « Transmettre » at once: either the grid's write is committed before the submission reads the
    month under its lock, or it is refused with the lock's message; never a record changed once its month is being
    transmitted. Without a declaration row yet (the facilitator typed the month), the lock inserts it so that both
    wait on the same row."""
    if company_saved_first:
        declarations.save_rows(lot=lot, company=holder, month=MARCH, entries=[_entry(employee, "100")], user=contact)
    else:
        people.declare_month(entries=[_entry(employee, "100")], user=owner)
        Declaration.objects.all().delete()  # as before the lock existed: no row to wait on
    times = {}
    missing_rows = declarations._missing_rows

    def reading(declaration):
        times["submit_reads"] = time.monotonic()
        result = missing_rows(declaration)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(declarations, "_missing_rows", reading)
    outcomes = _race(
        monkeypatch,
        "reject_hours",
        {
            "grid": _grid_write(owner, employee, "90", 0 if grid_first else 0.15, times),
            "submit": _submission(contact, lot, holder, 0.15 if grid_first else 0),
        },
    )
    if connection.vendor == "sqlite" and any(isinstance(item, OperationalError) for item in outcomes.values()):
        return  # the in-memory SQLite test database cannot make a writer wait (see _refused_in_order)
    assert outcomes["submit"] == "done", outcomes
    assert Declaration.objects.get().status == DeclarationStatus.SUBMITTED
    record = HoursRecord.objects.get()
    if outcomes["grid"] == "done":
        assert record.hours == Decimal("90")
        assert times["grid_committed"] <= times["submit_reads"], times
    else:
        error = outcomes["grid"]
        assert isinstance(error, ValidationError), outcomes
        assert "« transmise »" in error.messages[0], error.messages
        assert record.hours == Decimal("100")
