"""Markets in the admin: support staff edit operations, markets and lots through markets.services (rules, summary
refresh); the lots of a market and the clause of a lot are shown, written on their own pages."""

from django import forms
from django.contrib import admin

from clauses.models import Clause
from config.admin import ReadOnlyInline, ServiceAdmin
from markets import services
from markets.models import Lot, Market, Operation, Trade, share_bounds_message


class TradeForm(forms.ModelForm):
    class Meta:
        model = Trade
        fields = ["name", "default_labour_share"]
        error_messages = {
            "default_labour_share": dict.fromkeys(
                ("min_value", "max_value", "max_digits", "max_whole_digits"),
                # Django formats these messages with their limits: a literal "%" is doubled.
                share_bounds_message("default_labour_share", percent=False).replace("%", "%%"),
            )
        }


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    """The editable reference table of trades (DOMAIN §4): a default share, copied into a clause when it is
    calibrated; nothing in the reports copies it."""

    form = TradeForm
    list_display = ["name", "default_labour_share"]
    list_editable = ["default_labour_share"]
    search_fields = ["name"]


@admin.register(Operation)
class OperationAdmin(ServiceAdmin):
    list_display = ["name", "kind", "facilitator", "commune"]
    list_filter = ["kind", "facilitator"]
    search_fields = ["name"]
    autocomplete_fields = ["facilitator", "commune"]
    list_select_related = ["facilitator", "commune"]

    def create_object(self, request, values):
        return services.create_operation(**values)

    def update_object(self, request, obj, values):
        return services.update_operation(operation=obj, **values)

    def delete_object(self, request, obj):
        services.delete_operation(operation=obj)


class LotInline(ReadOnlyInline):
    model = Lot
    fields = ["number", "title", "contractor", "amount_excl_vat", "start_date", "end_date"]


@admin.register(Market)
class MarketAdmin(ServiceAdmin):
    list_display = [
        "reference",
        "title",
        "buyer",
        "market_type",
        "notified_on",
        "start_date",
        "end_date",
        "amount_excl_vat",
    ]
    list_filter = ["market_type", "buyer__buyer_type", "facilitator", "execution_commune__department"]
    search_fields = ["reference", "title", "buyer__name"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["buyer", "facilitator", "operation", "execution_commune"]
    list_select_related = ["buyer"]
    inlines = [LotInline]

    def create_object(self, request, values):
        return services.create_market(**values)

    def update_object(self, request, obj, values):
        return services.update_market(market=obj, **values)

    def delete_object(self, request, obj):
        services.delete_market(market=obj)

    def delete_refusal(self, obj):
        in_use = Lot.objects.filter(market=obj, placements__isnull=False).exists()
        return services.MARKET_HAS_PLACEMENTS if in_use else ""


class ClauseInline(ReadOnlyInline):
    model = Clause
    fields = ["mechanism", "calibration_method", "calibrated_hours", "override_hours", "target_hours"]


@admin.register(Lot)
class LotAdmin(ServiceAdmin):
    list_display = ["__str__", "contractor", "trade", "amount_excl_vat", "start_date", "end_date"]
    list_filter = ["market__market_type", "trade"]
    search_fields = ["title", "market__reference", "market__title", "contractor__name"]
    autocomplete_fields = ["market", "trade", "contractor"]
    list_select_related = ["market", "contractor", "trade"]
    inlines = [ClauseInline]

    def get_readonly_fields(self, request, obj=None):
        return ["market"] if obj is not None else []  # a lot does not change market

    def create_object(self, request, values):
        return services.create_lot(**values)

    def update_object(self, request, obj, values):
        return services.update_lot(lot=obj, **values)

    def delete_object(self, request, obj):
        services.delete_lot(lot=obj)

    def delete_refusal(self, obj):
        return services.LOT_HAS_PLACEMENTS if obj.placements.exists() else ""
