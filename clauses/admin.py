from django.contrib import admin

from clauses.models import Clause
from reporting.admin import RefreshesSummary


@admin.register(Clause)
class ClauseAdmin(RefreshesSummary, admin.ModelAdmin):
    list_display = ["lot", "mechanism", "calibration_method", "calibrated_hours", "override_hours", "target_hours"]
    list_filter = ["mechanism", "calibration_method", "counts_training_hours", "added_by_amendment"]
    search_fields = ["lot__title", "lot__market__reference", "lot__market__title"]
    autocomplete_fields = ["lot"]
    readonly_fields = ["calibrated_hours", "target_hours"]
    list_select_related = ["lot__market"]
