from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Tâches de fond et courriels"

    def ready(self):
        from config import hooks
        from notifications import checks, events  # noqa: F401 (checks registers the deployment check of SITE_URL)

        hooks.notify.register(events)  # companies' services queue their e-mails through it
