from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Portail des entreprises"

    def ready(self):
        from companies import declarations
        from config import hooks

        hooks.declarations.register(declarations)  # the hours services refuse a write into a locked month through it
