from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Journal des accès et des modifications"

    def ready(self):
        from audit import services
        from config import hooks

        hooks.audit.register(services)  # the domain services write the journal and the histories through it
