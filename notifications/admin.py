# The tasks themselves (pending, running, failed with their traceback) are in django_tasks_db's own read-only
# admin, « Database task results »; the scheduler's records beside them.
from django.contrib import admin

from config.admin import ReadOnlyAdmin
from notifications.models import RecurringRun


@admin.register(RecurringRun)
class RecurringRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "period", "enqueued_at", "task_result_id")
    list_filter = ("job",)
