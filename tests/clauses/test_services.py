from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clauses.models import CalibrationMethod, Clause, Mechanism
from clauses.services import save_clause
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory

pytestmark = pytest.mark.django_db


def test_save_clause_creates_the_clause_with_the_general_calibration():
    lot = LotFactory(amount_excl_vat=Decimal("1000000"))
    clause, warning = save_clause(
        lot=lot, labour_share=Decimal("0.5"), insertion_rate=Decimal("0.05"), hourly_cost=Decimal("30")
    )
    assert warning == ""
    clause.refresh_from_db()
    assert clause.lot == lot
    assert clause.calibrated_hours == 833
    assert clause.target_hours == 833


def test_save_clause_updates_the_existing_clause():
    clause = ClauseFactory()
    updated, _ = save_clause(lot=clause.lot, insertion_rate=Decimal("0.10"), mechanism=Mechanism.AWARD_CRITERION)
    assert updated.pk == clause.pk
    assert Clause.objects.count() == 1
    updated.refresh_from_db()
    assert updated.calibrated_hours == 1667  # 1,000,000 × 0.5 × 0.1 ÷ 30 = 1,666.7
    assert updated.mechanism == Mechanism.AWARD_CRITERION


def test_override_requires_a_reason():
    lot = LotFactory()
    with pytest.raises(ValidationError) as excinfo:
        save_clause(lot=lot, override_hours=1000, override_reason="  ")
    assert excinfo.value.messages == ["Un objectif saisi à la main doit être accompagné de son motif."]
    assert not Clause.objects.exists()
    clause, _ = save_clause(lot=lot, override_hours=1000, override_reason="Objectif fixé par la délibération")
    clause.refresh_from_db()
    assert (clause.calibrated_hours, clause.target_hours) == (833, 1000)


def test_cleaning_calibration_normal_case_uses_the_branch_hourly_cost():
    # A = 600,000 €, N = 24, S = 300 h, C = 25 € → P = 0.7, I = 0.7 × 600,000 ÷ 25 × 0.05 = 840 h.
    lot = LotFactory(amount_excl_vat=Decimal("600000"))
    clause, warning = save_clause(
        lot=lot,
        calibration_method=CalibrationMethod.CLEANING,
        insertion_rate=Decimal("0.05"),
        cleaning_taken_over_monthly_hours=Decimal("300"),
        cleaning_duration_months=24,
    )
    assert warning == ""
    clause.refresh_from_db()
    assert clause.hourly_cost == Decimal("25")
    assert clause.calibrated_hours == 840


def test_cleaning_calibration_below_150_hours_is_saved_with_a_warning():
    # A = 120,000 €, N = 12, S = 200 h → P = 0.5, I = 0.5 × 120,000 ÷ 25 × 0.05 = 120 h.
    lot = LotFactory(amount_excl_vat=Decimal("120000"))
    clause, warning = save_clause(
        lot=lot,
        calibration_method=CalibrationMethod.CLEANING,
        insertion_rate=Decimal("0.05"),
        cleaning_taken_over_monthly_hours=Decimal("200"),
        cleaning_duration_months=12,
    )
    assert warning == ("Moins de 150 heures : l'accord de branche de la propreté déconseille la clause pour ce lot.")
    clause.refresh_from_db()
    assert clause.calibrated_hours == 120


def test_cleaning_calibration_with_no_room_left_is_refused():
    # A = 120,000 €, N = 12 → 10,000 €/month; S × C = 450 × 25 = 11,250 € → P < 0.
    lot = LotFactory(amount_excl_vat=Decimal("120000"))
    with pytest.raises(ValidationError) as excinfo:
        save_clause(
            lot=lot,
            calibration_method=CalibrationMethod.CLEANING,
            cleaning_taken_over_monthly_hours=Decimal("450"),
            cleaning_duration_months=12,
        )
    assert excinfo.value.messages == [
        "Aucune clause possible : le personnel repris absorbe déjà le marché "
        "(part disponible P inférieure ou égale à zéro)."
    ]
    assert not Clause.objects.exists()


def test_cleaning_calibration_requires_its_inputs():
    with pytest.raises(ValidationError) as excinfo:
        save_clause(lot=LotFactory(), calibration_method=CalibrationMethod.CLEANING)
    assert excinfo.value.messages == [
        "La méthode propreté demande les heures mensuelles du personnel repris et la durée en mois."
    ]


def test_save_clause_refuses_out_of_range_values_in_french():
    with pytest.raises(ValidationError) as excinfo:
        save_clause(lot=LotFactory(), labour_share=Decimal("1.5"), hourly_cost=Decimal("0"))
    errors = excinfo.value.message_dict
    assert "labour_share" in errors
    assert "hourly_cost" in errors
    assert errors["labour_share"] == [
        "La part de main-d'œuvre doit être comprise entre 0 et 1 (soit entre 0 et 100 %)."
    ]
    assert not Clause.objects.exists()


def test_save_clause_refuses_unknown_fields():
    with pytest.raises(TypeError):
        save_clause(lot=LotFactory(), calibrated_hours=12)
