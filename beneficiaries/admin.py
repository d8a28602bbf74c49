from operator import attrgetter

from django.contrib import admin
from django.contrib.admin.utils import unquote

from audit.models import AccessAction
from audit.services import log_access, log_views
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from reporting import summary


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


class CriterionInline(admin.TabularInline):
    model = BeneficiaryCriterion
    extra = 0
    autocomplete_fields = ["validated_by"]


@admin.register(Beneficiary)
class BeneficiaryAdmin(JournalledAdmin):
    list_display = ["__str__", "sex", "birth_date", "structure", "commune", "qpv", "prescriber_type"]
    list_filter = ["sex", "structure", "prescriber_type", "qualification_level"]
    search_fields = ["last_name", "first_name"]
    autocomplete_fields = ["structure", "commune", "qpv"]
    list_select_related = ["structure", "commune", "qpv"]
    inlines = [CriterionInline]


class ReadOnlyHoursMixin:
    """Hours records are written only through beneficiaries.services (grid, import, API), which check the version
    their author saw and keep the history: the admin shows them and never writes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HoursRecordInline(ReadOnlyHoursMixin, admin.TabularInline):
    model = HoursRecord
    extra = 0
    fields = ["month", "hours", "training_hours", "status", "source", "is_converted"]
    readonly_fields = fields


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0


@admin.register(Placement)
class PlacementAdmin(JournalledAdmin):
    person = "beneficiary"
    list_display = ["beneficiary", "lot", "employer", "modality", "start_date", "end_date"]
    list_filter = ["modality", "is_woman", "is_youth", "is_senior", "is_qpv_resident"]
    search_fields = ["beneficiary__last_name", "lot__market__reference", "employer__name"]
    autocomplete_fields = ["beneficiary", "lot", "employer"]
    readonly_fields = [
        "age_at_start",
        "is_woman",
        "is_youth",
        "is_senior",
        "is_qpv_resident",
        "is_rqth",
        "is_long_term_job_seeker",
        "is_rsa",
    ]
    list_select_related = ["beneficiary", "lot__market", "employer"]
    inlines = [HoursRecordInline, OutcomeInline]

    def get_readonly_fields(self, request, obj=None):
        # The person of a contract changes through beneficiaries.services.update_placement only (same structure,
        # written in both people's journal): the web form or the API.
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "beneficiary"] if obj is not None else readonly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        summary.refresh([form.instance.pk])  # the placement may have changed (its hours are read-only here)


@admin.register(HoursRecord)
class HoursRecordAdmin(ReadOnlyHoursMixin, JournalledAdmin):
    person = "placement.beneficiary"
    list_display = ["placement", "month", "hours", "training_hours", "status", "source"]
    list_filter = ["status", "source", "is_converted", "placement__modality"]
    search_fields = ["placement__beneficiary__last_name", "placement__lot__market__reference"]
    date_hierarchy = "month"
    list_select_related = ["placement__beneficiary", "placement__lot__market"]


@admin.register(Outcome)
class OutcomeAdmin(JournalledAdmin):
    person = "placement.beneficiary"
    list_display = ["placement", "stage", "result", "observed_on"]
    list_filter = ["stage", "result"]
    autocomplete_fields = ["placement"]
    list_select_related = ["placement__beneficiary"]


@admin.register(BeneficiaryCriterion)
class BeneficiaryCriterionAdmin(JournalledAdmin):
    person = "beneficiary"
    list_display = ["beneficiary", "criterion", "validated_on", "validated_by", "evidence_type"]
    list_filter = ["criterion", "evidence_type"]
    search_fields = ["beneficiary__last_name"]
    autocomplete_fields = ["beneficiary", "validated_by"]
    list_select_related = ["beneficiary", "validated_by"]
