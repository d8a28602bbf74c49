from operator import attrgetter

from django.contrib import admin
from django.contrib.admin.utils import unquote

from audit.models import AccessAction
from audit.services import log_access, log_views
from beneficiaries import services
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement


class JournalledAdmin(admin.ModelAdmin):
    """Admin pages of a person's records write the access journal like the application's: one "viewed" entry per
    person listed (in one statement), or for the person of the object shown, changed, or about to be deleted.
    `person` is the path from the object to its person ("placement.beneficiary")."""

    person = ""

    def _person_of(self, obj):
        return attrgetter(self.person)(obj) if self.person else obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            people = [self._person_of(obj) for obj in changelist.result_list]
            log_views(
                user=request.user,
                beneficiaries=people,
                detail=f"Administration : liste ({self.opts.verbose_name_plural})",
            )
        return response

    def _log_object(self, request, object_id, page: str):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if obj is not None:
            detail = f"Administration : {page} ({self.opts.verbose_name} n° {obj.pk})"
            log_access(user=request.user, beneficiary=self._person_of(obj), action=AccessAction.VIEWED, detail=detail)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self._log_object(request, object_id, "fiche")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._log_object(request, object_id, "historique")
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "GET":
            self._log_object(request, object_id, "confirmation de suppression")
        return super().delete_view(request, object_id, extra_context)


class ReadOnlyAdminMixin:
    """Records written only through beneficiaries.services (web forms, API, imports), which check the rules,
    freeze the publics, refresh the reporting summary and write the journal: the admin shows them and never
    writes them (no add, change, delete or bulk delete). Hours records keep the history and `version` of every
    change there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BeneficiaryCriterion
    extra = 0
    fields = ["criterion", "validated_on", "validated_by", "evidence_type", "derogation_reason"]
    readonly_fields = fields


@admin.register(Beneficiary)
class BeneficiaryAdmin(JournalledAdmin):
    """A person is added and changed through beneficiaries.services (the model's rules, among them the QPV lying
    in the commune, and the access journal); never deleted here: a person leaves through anonymisation."""

    list_display = ["__str__", "sex", "birth_date", "structure", "commune", "qpv", "prescriber_type"]
    list_filter = ["sex", "structure", "prescriber_type", "qualification_level"]
    search_fields = ["last_name", "first_name"]
    autocomplete_fields = ["structure", "commune", "qpv"]
    list_select_related = ["structure", "commune", "qpv"]
    readonly_fields = ["anonymised_at", "qpv_source"]
    inlines = [CriterionInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The ModelForm already ran Beneficiary.full_clean (its errors sit on their fields); the service checks
        # again under lock, writes and journals.
        values = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.BENEFICIARY_FIELDS}
        if change:
            saved = services.update_beneficiary(beneficiary=obj, user=request.user, **values)
        else:
            saved = services.create_beneficiary(user=request.user, **values)
        obj.pk = saved.pk
        obj._state.adding = False


class HoursRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = HoursRecord
    extra = 0
    fields = ["month", "hours", "training_hours", "status", "source", "is_converted"]
    readonly_fields = fields


class OutcomeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ["stage", "result", "observed_on"]
    readonly_fields = fields


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdminMixin, JournalledAdmin):
    """Read-only: a placement is started and changed through beneficiaries.services (start_placement,
    update_placement), which check the clause, re-freeze the publics on a change of person or start, keep the
    person within their structure and refresh the summary. Never deleted: its hours reference it."""

    person = "beneficiary"
    list_display = ["beneficiary", "lot", "employer", "modality", "start_date", "end_date"]
    list_filter = ["modality", "is_woman", "is_youth", "is_senior", "is_qpv_resident"]
    search_fields = ["beneficiary__last_name", "lot__market__reference", "employer__name"]
    list_select_related = ["beneficiary", "lot__market", "employer"]
    inlines = [HoursRecordInline, OutcomeInline]


@admin.register(HoursRecord)
class HoursRecordAdmin(ReadOnlyAdminMixin, JournalledAdmin):
    person = "placement.beneficiary"
    list_display = ["placement", "month", "hours", "training_hours", "status", "source"]
    list_filter = ["status", "source", "is_converted", "placement__modality"]
    search_fields = ["placement__beneficiary__last_name", "placement__lot__market__reference"]
    date_hierarchy = "month"
    list_select_related = ["placement__beneficiary", "placement__lot__market"]


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdminMixin, JournalledAdmin):
    """Read-only: outcomes are recorded through beneficiaries.services.record_outcome (placement page, API)."""

    person = "placement.beneficiary"
    list_display = ["placement", "stage", "result", "observed_on"]
    list_filter = ["stage", "result"]
    list_select_related = ["placement__beneficiary"]


@admin.register(BeneficiaryCriterion)
class BeneficiaryCriterionAdmin(ReadOnlyAdminMixin, JournalledAdmin):
    """Read-only: criteria are added and removed through beneficiaries.services (person page, API)."""

    person = "beneficiary"
    list_display = ["beneficiary", "criterion", "validated_on", "validated_by", "evidence_type"]
    list_filter = ["criterion", "evidence_type"]
    search_fields = ["beneficiary__last_name"]
    list_select_related = ["beneficiary", "validated_by"]
