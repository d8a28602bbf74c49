# The tasks themselves (pending, running, failed with their traceback) are in django_tasks_db's own read-only
# admin, « Database task results »; the scheduler's records beside them.
from django.contrib import admin

from config.admin import ReadOnlyAdmin
from notifications.models import NotificationEvent, NotificationSetting, RecurringRun, SentNotification


@admin.register(RecurringRun)
class RecurringRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "period", "enqueued_at", "task_result_id")
    list_filter = ("job",)


@admin.register(NotificationSetting)
class NotificationSettingAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "enabled", "frequency", "updated_at")
    list_filter = ("kind", "enabled")


@admin.register(NotificationEvent)
class NotificationEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "email", "kind", "action", "via", "detail")
    list_filter = ("kind", "action", "via")


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("queued_at", "user", "kind", "company", "lot", "month", "task_result_id")
    list_filter = ("kind",)
