"""Every database constraint refuses a bad row by itself, without the forms or services (full_clean bypassed)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from beneficiaries.choices import Criterion, HoursStatus, OutcomeStage
from beneficiaries.models import BeneficiaryCriterion, HoursRecord, Outcome, Placement
from clauses.models import CalibrationMethod, Clause
from markets.models import Lot, Market, Trade
from organisations.models import Membership, Organisation, OrganisationKind
from reporting.models import PlacementYear
from tests.beneficiaries.factories import (
    BeneficiaryCriterionFactory,
    HoursRecordFactory,
    OutcomeFactory,
    PlacementFactory,
)
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import DecpMarketFactory, LotFactory, MarketFactory, TradeFactory
from tests.organisations.factories import (
    BuyerFactory,
    CompanyFactory,
    FacilitationStructureFactory,
    InsertionStructureFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("organisations", "territories", "markets", "clauses", "beneficiaries", "reporting")


def update(obj, **values):
    """Write values straight to the database, bypassing full_clean and save()."""
    type(obj).objects.filter(pk=obj.pk).update(**values)


def duplicate(obj, **changes):
    """Insert a copy of a row (new primary key) straight to the database."""
    model = type(obj)
    values = {
        field.attname: getattr(obj, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated
    }
    values.update(changes)
    model.objects.bulk_create([model(**values)])


def hours():
    return HoursRecordFactory()


def clause():
    return ClauseFactory()


def followed_decp_market():
    return DecpMarketFactory(market=MarketFactory())


def summary_row():
    # Validated, on a lot with a clause (hours count only there): the factory refreshes the summary.
    record = HoursRecordFactory(placement__lot=ClauseFactory().lot)
    return PlacementYear.objects.get(placement=record.placement)


def published(perimeter: str = "region"):
    """A version of a yearly report (issue 18), written straight: a region's, or a structure's."""
    from django.utils import timezone

    from reporting.models import PublishedReport
    from tests.territories.factories import RegionFactory

    owner = {"region": RegionFactory()} if perimeter == "region" else {"organisation": FacilitationStructureFactory()}
    return PublishedReport.objects.create(
        **owner, year=2025, version=1, payload={}, content_hash="0" * 64, published_at=timezone.now()
    )


# (constraint name, how to make the object, the violating write)
VIOLATIONS = [
    # Organisations.
    ("organisation_buyer_type_iff_buyer", BuyerFactory, lambda o: update(o, buyer_type="")),
    ("organisation_buyer_type_iff_buyer", CompanyFactory, lambda o: update(o, buyer_type="state")),
    ("organisation_insertion_type_iff_insertion", InsertionStructureFactory, lambda o: update(o, insertion_type="")),
    ("organisation_insertion_type_iff_insertion", CompanyFactory, lambda o: update(o, insertion_type="ei")),
    ("organisation_insertion_type_iff_insertion", BuyerFactory, lambda o: update(o, insertion_type="ai")),
    ("organisation_siret_unique", CompanyFactory, lambda o: duplicate(o, name="Homonyme")),
    ("membership_unique_user_organisation", MembershipFactory, lambda o: duplicate(o, role="reader")),
    # Markets.
    ("trade_labour_share_between_0_and_1", TradeFactory, lambda o: update(o, default_labour_share=Decimal("1.001"))),
    ("trade_labour_share_between_0_and_1", TradeFactory, lambda o: update(o, default_labour_share=Decimal("-0.001"))),
    ("markets.Trade.name", TradeFactory, lambda o: duplicate(o)),
    ("market_unique_reference_per_buyer", MarketFactory, lambda o: duplicate(o, title="Autre objet")),
    ("market_end_after_start", MarketFactory, lambda o: update(o, end_date=o.start_date - timedelta(days=1))),
    ("market_amount_non_negative", MarketFactory, lambda o: update(o, amount_excl_vat=Decimal("-0.01"))),
    ("lot_unique_number_per_market", LotFactory, lambda o: duplicate(o, title="Autre lot")),
    ("decp_market_unique_id_per_buyer", DecpMarketFactory, lambda o: duplicate(o, title="Autre objet")),
    ("markets.DecpMarket.market", followed_decp_market, lambda o: duplicate(o, decp_id="2")),
    ("lot_end_after_start", LotFactory, lambda o: update(o, end_date=o.start_date - timedelta(days=1))),
    ("lot_amount_non_negative", LotFactory, lambda o: update(o, amount_excl_vat=Decimal("-0.01"))),
    ("lot_number_positive", LotFactory, lambda o: update(o, number=0)),
    # Clauses.
    ("clauses.Clause.lot", clause, lambda o: duplicate(o)),
    ("clause_labour_share_between_0_and_1", clause, lambda o: update(o, labour_share=Decimal("1.001"))),
    ("clause_labour_share_between_0_and_1", clause, lambda o: update(o, labour_share=Decimal("-0.001"))),
    ("clause_insertion_rate_between_0_and_1", clause, lambda o: update(o, insertion_rate=Decimal("1.001"))),
    ("clause_insertion_rate_between_0_and_1", clause, lambda o: update(o, insertion_rate=Decimal("-0.001"))),
    ("clause_hourly_cost_positive", clause, lambda o: update(o, hourly_cost=Decimal("0"))),
    ("clause_hourly_cost_positive", clause, lambda o: update(o, hourly_cost=Decimal("-1"))),
    ("clause_penalty_non_negative", clause, lambda o: update(o, penalty_per_missing_hour=Decimal("-0.01"))),
    ("clause_override_requires_reason", clause, lambda o: update(o, override_hours=1000, override_reason="")),
    (
        "clause_cleaning_inputs_required",
        clause,
        lambda o: update(o, calibration_method=CalibrationMethod.CLEANING, cleaning_duration_months=12),
    ),
    (
        "clause_cleaning_inputs_required",
        clause,
        lambda o: update(o, calibration_method=CalibrationMethod.CLEANING, cleaning_taken_over_monthly_hours=10),
    ),
    # Beneficiaries.
    ("criterion_unique_per_beneficiary", BeneficiaryCriterionFactory, lambda o: duplicate(o)),
    (
        "criterion_derogation_requires_reason",
        BeneficiaryCriterionFactory,
        lambda o: update(o, criterion=Criterion.DEROGATION, derogation_reason=""),
    ),
    ("placement_end_after_start", PlacementFactory, lambda o: update(o, end_date=o.start_date - timedelta(days=1))),
    ("hours_unique_placement_month", hours, lambda o: duplicate(o, hours=Decimal("1"))),
    ("hours_between_0_and_220", hours, lambda o: update(o, hours=Decimal("220.01"))),
    ("hours_between_0_and_220", hours, lambda o: update(o, hours=Decimal("-0.01"))),
    ("training_hours_between_0_and_220", hours, lambda o: update(o, training_hours=Decimal("220.01"))),
    ("training_hours_between_0_and_220", hours, lambda o: update(o, training_hours=Decimal("-0.01"))),
    ("hours_invoiced_amount_non_negative", hours, lambda o: update(o, invoiced_amount_excl_vat=Decimal("-0.01"))),
    ("hours_month_is_first_day", hours, lambda o: update(o, month=date(2025, 3, 2))),
    ("hours_month_is_first_day", hours, lambda o: duplicate(o, month=date(2025, 4, 30))),
    (
        "hours_rejection_requires_reason",
        hours,
        lambda o: update(o, status=HoursStatus.REJECTED, rejection_reason=""),
    ),
    ("outcome_unique_per_stage", OutcomeFactory, lambda o: duplicate(o, result="unknown")),
    # Reporting summary: one row per placement and year.
    ("placement_year_unique", summary_row, lambda o: duplicate(o, hours=Decimal("1"))),
    # Published reports: one perimeter, numbered versions from 1, one version number per perimeter, year and filters.
    ("published_report_one_perimeter", published, lambda o: update(o, organisation=FacilitationStructureFactory())),
    ("published_report_one_perimeter", published, lambda o: update(o, region=None)),
    ("published_report_version_positive", published, lambda o: update(o, version=0)),
    ("published_report_region_version_unique", published, lambda o: duplicate(o, content_hash="1" * 64)),
    (
        "published_report_organisation_version_unique",
        lambda: published("organisation"),
        lambda o: duplicate(o, content_hash="1" * 64),
    ),
]


@pytest.mark.parametrize(("name", "make", "violate"), VIOLATIONS, ids=[case[0] for case in VIOLATIONS])
def test_the_database_refuses_the_bad_row(name, make, violate):
    obj = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        violate(obj)


# Boundaries the constraints must let through (so that the refusals above are about the limit, not the row).
ACCEPTED = [
    (hours, lambda o: update(o, hours=Decimal("220"), training_hours=Decimal("220"))),
    (hours, lambda o: update(o, hours=Decimal("0"), training_hours=Decimal("0"), invoiced_amount_excl_vat=0)),
    (hours, lambda o: update(o, status=HoursStatus.REJECTED, rejection_reason="Doublon")),
    (hours, lambda o: duplicate(o, month=date(2025, 4, 1))),
    (clause, lambda o: update(o, labour_share=Decimal("1"), insertion_rate=Decimal("0"), hourly_cost=Decimal("0.01"))),
    (clause, lambda o: update(o, override_hours=1000, override_reason="Délibération du conseil")),
    (
        clause,
        lambda o: update(
            o,
            calibration_method=CalibrationMethod.CLEANING,
            cleaning_taken_over_monthly_hours=Decimal("0"),
            cleaning_duration_months=1,
        ),
    ),
    (clause, lambda o: update(o, penalty_per_missing_hour=Decimal("0"))),
    (TradeFactory, lambda o: update(o, default_labour_share=Decimal("0"))),
    (MarketFactory, lambda o: update(o, end_date=o.start_date, amount_excl_vat=0)),
    (LotFactory, lambda o: update(o, end_date=o.start_date, amount_excl_vat=0, number=1)),
    (PlacementFactory, lambda o: update(o, end_date=o.start_date)),
    (
        BeneficiaryCriterionFactory,
        lambda o: update(o, criterion=Criterion.DEROGATION, derogation_reason="Avis motivé du PLIE"),
    ),
    (OutcomeFactory, lambda o: duplicate(o, stage=OutcomeStage.AFTER_6_MONTHS)),
    (lambda: OrganisationFactoryWithoutSiret(), lambda o: duplicate(o, name="Autre sans SIRET")),
    (FacilitationStructureFactory, lambda o: update(o, kind=OrganisationKind.COMPANY)),
]


def OrganisationFactoryWithoutSiret():
    return CompanyFactory(siret="")


@pytest.mark.parametrize(("make", "write"), ACCEPTED)
def test_the_database_accepts_rows_at_the_limits(make, write):
    obj = make()
    with transaction.atomic():
        write(obj)


def project_constraint_names() -> set[str]:
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        names |= {constraint.name for constraint in model._meta.constraints}
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                names.add(f"{model._meta.label}.{field.name}")
        names -= {f"{model._meta.label}.{name}" for name in ("email",) if model._meta.label == "organisations.User"}
    return names


def test_every_constraint_of_the_project_is_exercised_above():
    tested = {name for name, _, _ in VIOLATIONS}
    assert project_constraint_names() - tested == set()


def test_every_tested_name_is_a_real_constraint():
    tested = {name for name, _, _ in VIOLATIONS}
    assert tested - project_constraint_names() == set()


# full_clean gives the French message of the violated constraint.


def messages(error: ValidationError) -> list[str]:
    return error.messages


def test_full_clean_reports_the_hours_ceiling_in_french():
    # The field validator speaks first (Django then skips the constraint on that field).
    record = HoursRecordFactory.build(placement=PlacementFactory(), hours=Decimal("300"))
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert excinfo.value.message_dict == {"hours": ["Assurez-vous que cette valeur est inférieure ou égale à 220."]}


def test_full_clean_reports_missing_cleaning_inputs_in_french():
    clause = ClauseFactory.build(
        lot=LotFactory(), calibration_method=CalibrationMethod.CLEANING, cleaning_taken_over_monthly_hours=10
    )
    with pytest.raises(ValidationError) as excinfo:
        clause.full_clean()
    assert messages(excinfo.value) == [
        "La méthode propreté demande les heures mensuelles du personnel repris et la durée en mois."
    ]


def test_full_clean_reports_a_missing_rejection_reason_and_a_month_not_on_the_first_day():
    record = HoursRecordFactory.build(
        placement=PlacementFactory(), month=date(2025, 3, 15), status=HoursStatus.REJECTED, rejection_reason=""
    )
    with pytest.raises(ValidationError) as excinfo:
        record.full_clean()
    assert "Un rejet doit être motivé." in messages(excinfo.value)
    assert "Le mois d'un relevé est enregistré au premier jour du mois." in messages(excinfo.value)


def test_full_clean_reports_a_duplicate_market_reference_in_french():
    market = MarketFactory()
    copy = MarketFactory.build(
        buyer=market.buyer,
        facilitator=market.facilitator,
        execution_commune=market.execution_commune,
        reference=market.reference,
    )
    with pytest.raises(ValidationError) as excinfo:
        copy.full_clean()
    assert messages(excinfo.value) == ["Cet acheteur a déjà un marché avec cette référence."]


def test_full_clean_reports_an_organisation_kind_mismatch_in_french():
    buyer = Organisation(name="Ville sans type", kind=OrganisationKind.BUYER)
    with pytest.raises(ValidationError) as excinfo:
        buyer.full_clean()
    # On the field at fault, with a code (Organisation.clean); the constraint stays as the database's guard.
    assert excinfo.value.message_dict == {"buyer_type": ["Indiquez le type d'acheteur."]}
    assert excinfo.value.error_dict["buyer_type"][0].code == "buyer_type_required"
    company = Organisation(name="Entreprise sans SIRET", kind=OrganisationKind.COMPANY)
    with pytest.raises(ValidationError) as excinfo:
        company.full_clean()
    assert excinfo.value.error_dict["siret"][0].code == "siret_required"


def test_full_clean_reports_a_placement_ending_before_its_start_in_french():
    placement = PlacementFactory.build(
        lot=LotFactory(), beneficiary=PlacementFactory().beneficiary, employer=CompanyFactory()
    )
    placement.end_date = placement.start_date - timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        placement.full_clean()
    assert messages(excinfo.value) == ["La fin du contrat ne peut pas précéder son début."]


def test_full_clean_reports_an_override_without_reason_in_french():
    clause = ClauseFactory.build(lot=LotFactory(), override_hours=100, override_reason="")
    with pytest.raises(ValidationError) as excinfo:
        clause.full_clean()
    assert messages(excinfo.value) == ["Un objectif saisi à la main doit être accompagné de son motif."]


def test_models_used_here_are_the_models_under_test():
    # Guards the table above against a silent rename.
    for model in (Organisation, Membership, Trade, Market, Lot, Clause, BeneficiaryCriterion, Placement, HoursRecord):
        assert issubclass(model, models.Model)
    assert Outcome._meta.get_field("stage")
