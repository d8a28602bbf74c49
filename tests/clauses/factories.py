from decimal import Decimal

import factory

from clauses.models import Clause, Mechanism


class ClauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clause

    lot = factory.SubFactory("tests.markets.factories.LotFactory")
    mechanism = Mechanism.EXECUTION_CONDITION
    labour_share = Decimal("0.50")
    insertion_rate = Decimal("0.05")
    hourly_cost = Decimal("30")
