from decimal import Decimal

import pytest

from tests.beneficiaries.factories import HoursRecordFactory
from tests.clauses.factories import ClauseFactory


@pytest.mark.django_db
def test_factories_build_a_full_chain():
    clause = ClauseFactory()
    assert clause.calibrated_hours == 833
    assert clause.effective_target_hours == 833
    record = HoursRecordFactory(placement__lot=clause.lot)
    assert record.hours == Decimal("100")
