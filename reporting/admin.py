"""Admin support for the reporting summary (reporting.models.PlacementYear)."""

from reporting import summary


class RefreshesSummary:
    """For the admin of a model that report rows copy (market, lot, clause, organisation): edits made in the
    admin bypass the services, so the rows copying the edited object (inlines included) are refreshed."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        summary.refresh_after_edit(form.instance)
