import datetime
from decimal import Decimal

import factory

from beneficiaries.choices import (
    Criterion,
    EvidenceType,
    HoursStatus,
    Modality,
    OutcomeResult,
    OutcomeStage,
    PrescriberType,
    Sex,
)
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from reporting import summary


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    structure = factory.SubFactory("tests.organisations.factories.FacilitationStructureFactory")
    last_name = factory.Sequence(lambda n: f"Durand{n}")
    first_name = "Alex"
    sex = Sex.MALE
    birth_date = datetime.date(1990, 6, 15)
    commune = factory.SubFactory("tests.territories.factories.CommuneFactory")
    prescriber_type = PrescriberType.FRANCE_TRAVAIL


class BeneficiaryCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BeneficiaryCriterion

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    criterion = Criterion.LONG_TERM_JOB_SEEKER
    validated_on = datetime.date(2024, 1, 10)
    evidence_type = EvidenceType.FRANCE_TRAVAIL_CERTIFICATE


class PlacementFactory(factory.django.DjangoModelFactory):
    """A bare placement row. Use beneficiaries.services.start_placement to get frozen publics."""

    class Meta:
        model = Placement

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    lot = factory.SubFactory("tests.markets.factories.LotFactory")
    employer = factory.SelfAttribute("lot.contractor")
    modality = Modality.HIRE_CDD
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2025, 12, 31)


class HoursRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HoursRecord

    placement = factory.SubFactory(PlacementFactory)
    month = datetime.date(2025, 3, 1)
    hours = Decimal("100")
    status = HoursStatus.VALIDATED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved directly (not through the services), so the reporting summary is refreshed as they would."""
        record = super()._create(model_class, *args, **kwargs)
        summary.refresh([record.placement_id])
        return record


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    placement = factory.SubFactory(PlacementFactory)
    stage = OutcomeStage.AT_END
    result = OutcomeResult.DURABLE_CDI
    observed_on = datetime.date(2026, 1, 5)
