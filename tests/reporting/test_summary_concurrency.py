"""A validation and a change of the market's buyer at the same moment, on two real connections.

On PostgreSQL (READ COMMITTED) the validation's INSERT … SELECT used to copy the old buyer while the market's
refresh, in the other transaction, could not see the uncommitted row: both committed, the row kept the old
buyer, silently. The refresh now locks the parents it copies (FOR SHARE) and the market's refresh locks the
market (FOR NO KEY UPDATE): whichever comes second waits for the first one to commit. An Event forces each
interleaving; the first transaction waits for the second one at most a moment (the second is blocked on the
lock when the fix is in place, and commits meanwhile when it is not).

SQLite serialises writers (its in-memory test database makes the second writer fail at once, loudly): the test
runs there too and checks that no stale row is committed either way.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction

from beneficiaries import services
from markets.models import Market
from reporting import summary
from reporting.models import PlacementYear
from tests.beneficiaries.factories import PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.organisations.factories import BuyerFactory, UserFactory

MARCH = date(2025, 3, 1)
HOLD = 1.5  # seconds the first transaction keeps its locks, waiting for the other one


def change_buyer(market_id: int, buyer_id: int) -> None:
    """What every writer of a market does (its service): the UPDATE, then the refresh, in one transaction."""
    with transaction.atomic():
        Market.objects.filter(pk=market_id).update(buyer_id=buyer_id)
        summary.refresh_markets([market_id])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["validation", "buyer"])
def test_a_validation_and_a_buyer_change_at_once_commit_no_stale_row(first, monkeypatch):
    lot = ClauseFactory().lot
    placement = PlacementFactory(lot=lot, start_date=date(2025, 1, 1))
    user = UserFactory()
    record = services.declare_hours(
        entry=services.HoursEntry(
            placement=placement, month=MARCH, hours=Decimal("100"), expected_version=services.UNCHECKED
        ),
        user=user,
    ).record
    market_id, new_buyer = lot.market_id, BuyerFactory()
    first_done, second_done = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}
    real_refresh = summary.refresh

    def refresh(placement_ids):
        real_refresh(placement_ids)
        if threading.current_thread().name == first:
            # First transaction: its rows are written, not committed; let the other one run, a moment.
            first_done.set()
            second_done.wait(timeout=HOLD)

    monkeypatch.setattr(summary, "refresh", refresh)

    def run(name, work):
        try:
            if name != first:
                assert first_done.wait(timeout=20)
            work()
            outcomes[name] = "ok"
        except OperationalError as error:
            outcomes[name] = error
        except Exception as error:  # reported by the assertion below
            outcomes[name] = error
        finally:
            if name != first:
                second_done.set()
            connection.close()

    works = {
        "validation": lambda: services.validate_hours(records=[record], user=user, versions=services.UNCHECKED),
        "buyer": lambda: change_buyer(market_id, new_buyer.pk),
    }
    threads = [threading.Thread(target=run, name=name, args=(name, work)) for name, work in works.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    failed = {name: outcome for name, outcome in outcomes.items() if outcome != "ok"}
    if connection.vendor == "sqlite" and failed:
        # The in-memory SQLite test database refuses the second writer at once: loud, never stale.
        assert all(isinstance(error, OperationalError) and "locked" in str(error) for error in failed.values())
    else:
        assert outcomes == {"validation": "ok", "buyer": "ok"}, outcomes
        assert PlacementYear.objects.get(placement=placement).buyer_id == new_buyer.pk
    assert summary.differences() == []
