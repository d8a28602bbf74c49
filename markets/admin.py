from django.contrib import admin

from clauses.models import Clause
from markets.models import Lot, Market, Operation, Trade
from reporting.admin import RefreshesSummary


@admin.register(Trade)
class TradeAdmin(admin.ModelAdmin):
    list_display = ["name", "default_labour_share"]
    list_editable = ["default_labour_share"]
    search_fields = ["name"]


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "facilitator", "commune"]
    list_filter = ["kind", "facilitator"]
    search_fields = ["name"]
    autocomplete_fields = ["facilitator", "commune"]
    list_select_related = ["facilitator", "commune"]


class LotInline(admin.TabularInline):
    model = Lot
    extra = 0
    autocomplete_fields = ["contractor", "trade"]
    show_change_link = True


@admin.register(Market)
class MarketAdmin(RefreshesSummary, admin.ModelAdmin):
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


class ClauseInline(admin.StackedInline):
    model = Clause
    extra = 0
    readonly_fields = ["calibrated_hours", "target_hours"]


@admin.register(Lot)
class LotAdmin(RefreshesSummary, admin.ModelAdmin):
    list_display = ["__str__", "contractor", "trade", "amount_excl_vat", "start_date", "end_date"]
    list_filter = ["market__market_type", "trade"]
    search_fields = ["title", "market__reference", "market__title", "contractor__name"]
    autocomplete_fields = ["market", "trade", "contractor"]
    list_select_related = ["market", "contractor", "trade"]
    inlines = [ClauseInline]
