from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Tâches de fond et courriels"

    def ready(self):
        from config import hooks
        from notifications import events

        hooks.notify.register(events)  # companies' services queue their e-mails through it
