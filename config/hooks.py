"""Explicit hooks: how a lower layer's service gets work done by a higher layer without importing it.

The layers (README, "Architecture"; checked by tests/test_layers.py) put `reporting` and `audit` above the
domain apps, yet an hours write must refresh the reporting summary and write the hours history in its own
transaction. The domain service calls a hook by name, explicitly, at the point where the work must happen:

    from config.hooks import summary
    summary.refresh(placement_ids)

and the app that does the work registers its implementation once, at start-up (`AppConfig.ready`):

    hooks.summary.register(reporting.summary)

A hook is not a signal: nothing is hidden, there is exactly one implementation, and calling a hook that nobody
registered is an error, never a silent no-op.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Hook:
    """One implementation (a module or an object), reached through this hook's attributes."""

    def __init__(self, name: str, registered_by: str):
        self._name = name
        self._registered_by = registered_by
        self._implementation: Any = None

    def register(self, implementation: Any) -> None:
        if self._implementation is not None and self._implementation is not implementation:
            raise ImproperlyConfigured(f"Le crochet « {self._name} » a déjà une implémentation.")
        self._implementation = implementation

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        if self._implementation is None:
            raise ImproperlyConfigured(
                f"Le crochet « {self._name} » n'est pas enregistré : {self._registered_by} doit être installée."
            )
        return getattr(self._implementation, attribute)


# The reporting summary (reporting.summary): refresh the rows of the placements, lots, markets or organisations
# a service changed, inside its transaction.
summary = Hook("summary", "l'application reporting")
# The audit trail (audit.services): access journal, hours history, organisation history.
audit = Hook("audit", "l'application audit")
# E-mails queued by the services of the company portal (notifications.events): a declaration's steps, invitations.
notify = Hook("notify", "l'application notifications")
# The company declarations (companies.declarations): which (placement, month) records are locked by a month a company
# transmitted, or the facilitator validated or closed, so that no write outside the workflow changes them.
declarations = Hook("declarations", "l'application companies")
