"""Clauses in the admin: read, and removed through clauses.services.remove_clause (the lot's hours stop counting,
the summary follows). They are written on the lot's page, where the calibration is computed and explained."""

from django.contrib import admin

from clauses.models import Clause
from clauses.services import remove_clause
from config.admin import ServiceAdmin


@admin.register(Clause)
class ClauseAdmin(ServiceAdmin):
    list_display = ["lot", "mechanism", "calibration_method", "calibrated_hours", "override_hours", "target_hours"]
    list_filter = ["mechanism", "calibration_method", "counts_training_hours", "added_by_amendment"]
    search_fields = ["lot__title", "lot__market__reference", "lot__market__title"]
    list_select_related = ["lot__market"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_object(self, request, obj):
        remove_clause(clause=obj)
