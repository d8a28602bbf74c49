from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Bilans et indicateurs"

    def ready(self):
        from config import hooks
        from reporting import summary

        hooks.summary.register(summary)  # the domain services refresh the summary through it
