"""Writes on operations, markets and lots: the web forms, the API and the admin call these, never `save()`.

Cross-field rules live in the models (`clean()` and constraints, run by `full_clean`); refusals are French
ValidationErrors keyed by field, with a code. The reporting summary copies a market's buyer, type and execution
territory and a lot's contractor: the services that change them refresh it in their transaction, through the
`summary` hook (config.hooks)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from config.hooks import summary
from markets.models import Lot, Market, Operation

OPERATION_FIELDS = frozenset({"name", "kind", "facilitator", "commune", "description"})
MARKET_FIELDS = frozenset(
    {
        "reference",
        "title",
        "buyer",
        "facilitator",
        "operation",
        "market_type",
        "execution_commune",
        "notified_on",
        "start_date",
        "end_date",
        "amount_excl_vat",
    }
)
LOT_FIELDS = frozenset({"number", "title", "trade", "contractor", "amount_excl_vat", "start_date", "end_date"})

LOT_HAS_PLACEMENTS = "Ce lot a des contrats : retirez-les avant de supprimer le lot."
MARKET_HAS_PLACEMENTS = "Un lot de ce marché a des contrats : retirez-les avant de supprimer le marché."
LOT_CHANGES_MARKET = "Un lot ne change pas de marché."


def _check_fields(changes: dict, allowed: frozenset) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")


def _apply(instance, changes: dict) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()


# Operations ---------------------------------------------------------------------------------------------


@transaction.atomic
def create_operation(**fields) -> Operation:
    _check_fields(fields, OPERATION_FIELDS)
    operation = Operation()
    _apply(operation, fields)
    return operation


@transaction.atomic
def update_operation(*, operation: Operation, **changes) -> Operation:
    """Reports copy nothing of an operation: no summary refresh."""
    _check_fields(changes, OPERATION_FIELDS)
    operation = Operation.objects.select_for_update().get(pk=operation.pk)
    _apply(operation, changes)
    return operation


@transaction.atomic
def delete_operation(*, operation: Operation) -> None:
    """Its markets stay, without operation (Market.operation is SET_NULL)."""
    Operation.objects.filter(pk=operation.pk).delete()


# Markets ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_market(**fields) -> Market:
    _check_fields(fields, MARKET_FIELDS)
    market = Market()
    _apply(market, fields)
    return market


@transaction.atomic
def update_market(*, market: Market, **changes) -> Market:
    """Reports copy the buyer (and its type), the market type and the execution commune's territory."""
    _check_fields(changes, MARKET_FIELDS)
    market = Market.objects.select_for_update().get(pk=market.pk)
    _apply(market, changes)
    summary.refresh_markets([market.pk])
    return market


@transaction.atomic
def delete_market(*, market: Market) -> None:
    """Refused while one of its lots has placements (their hours would lose their market)."""
    market = Market.objects.select_for_update().get(pk=market.pk)
    if Lot.objects.filter(market=market, placements__isnull=False).exists():
        raise ValidationError({"lots": ValidationError(MARKET_HAS_PLACEMENTS, code="has_placements")})
    market.delete()  # its lots and their clauses go with it (CASCADE); nothing was counted on them


# Lots ---------------------------------------------------------------------------------------------------


@transaction.atomic
def create_lot(*, market: Market, **fields) -> Lot:
    _check_fields(fields, LOT_FIELDS)
    lot = Lot(market=market)
    _apply(lot, fields)
    return lot


@transaction.atomic
def update_lot(*, lot: Lot, **changes) -> Lot:
    """Reports copy the contractor of the lot; its amount recalibrates its clause (Lot.save)."""
    if "market" in changes:
        if getattr(changes["market"], "pk", changes["market"]) != lot.market_id:
            raise ValidationError({"market": ValidationError(LOT_CHANGES_MARKET, code="market_unchangeable")})
        changes.pop("market")
    _check_fields(changes, LOT_FIELDS)
    lot = Lot.objects.select_for_update().select_related("market").get(pk=lot.pk)
    _apply(lot, changes)
    summary.refresh_lots([lot.pk])
    return lot


@transaction.atomic
def delete_lot(*, lot: Lot) -> None:
    """Refused while the lot has placements (DOMAIN §5: hours are counted per lot; they would be orphaned).
    A lot without placements has no hours: the summary holds nothing of it."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.placements.exists():
        raise ValidationError({"lot": ValidationError(LOT_HAS_PLACEMENTS, code="has_placements")})
    lot.delete()  # its clause goes with it (CASCADE)
