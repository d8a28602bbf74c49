import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Sum

from beneficiaries.models import HoursRecord
from demo.seed import seed_demo
from markets.models import Market
from organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_scale_multiplies_structures_markets_and_hours():
    call_command("load_territories", region="27", stdout=io.StringIO())
    summary = seed_demo(scale=2, size=0.05, log=lambda message: None)
    year = date.today().year - 1
    hours = HoursRecord.objects.filter(month__year=year, status="validated").aggregate(total=Sum("hours"))["total"]
    assert Organisation.objects.filter(kind="facilitation").count() == 28
    assert Market.objects.count() == 40
    assert 90_000 <= hours <= 110_000  # 2 × 5 % of 1,000,000
    assert summary.created


def test_seed_is_deterministic():
    call_command("load_territories", region="27", stdout=io.StringIO())
    seed_demo(size=0.03, log=lambda message: None)
    first = list(Market.objects.order_by("reference").values_list("reference", "title", "amount_excl_vat"))
    HoursRecord.objects.all().delete()
    from beneficiaries.models import Beneficiary, Outcome, Placement

    Outcome.objects.all().delete()
    Placement.objects.all().delete()
    Beneficiary.objects.all().delete()
    Market.objects.all().delete()
    from markets.models import DecpMarket, Operation

    DecpMarket.objects.all().delete()  # the demo's published markets (DECP) hold their buyers
    from organisations.models import User

    Operation.objects.all().delete()
    User.objects.all().delete()
    Organisation.objects.all().delete()
    seed_demo(size=0.03, log=lambda message: None)
    second = list(Market.objects.order_by("reference").values_list("reference", "title", "amount_excl_vat"))
    assert first == second
