"""The shared world of tests/audit/world.py, plus a contract crossing tenants (used by the related-choices guard
and the outcome-notes tests)."""

from types import SimpleNamespace

from beneficiaries import services
from beneficiaries.choices import Modality, OutcomeResult, OutcomeStage
from beneficiaries.models import Outcome
from tests.audit.world import build_world


def build_crossed_world():
    """The shared world, plus a contract crossing tenants: B's person on A's market (A sees the contract, not the
    person), with an outcome whose notes only B may read; every outcome gets private notes."""
    world = build_world()
    placement = services.start_placement(
        beneficiary=world.b.person,
        lot=world.a.lot,
        employer=world.company,
        modality=Modality.HIRE_CDD,
        start_date=world.a.placement.start_date,
        end_date=world.a.placement.end_date,
    )
    outcome = services.record_outcome(
        placement=placement,
        stage=OutcomeStage.AT_END,
        result=OutcomeResult.DURABLE_CDI,
        observed_on=placement.end_date,
        notes="Note croisée : suivi psychiatrique",
    )
    Outcome.objects.filter(pk=world.a.outcome.pk).update(notes="Note A : grossesse en cours")
    Outcome.objects.filter(pk=world.b.outcome.pk).update(notes="Note B : hospitalisation du conjoint")
    world.crossed = SimpleNamespace(placement=placement, outcome=outcome)
    return world
