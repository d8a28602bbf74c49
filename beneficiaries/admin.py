from django.contrib import admin

from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from reporting import summary


class CriterionInline(admin.TabularInline):
    model = BeneficiaryCriterion
    extra = 0
    autocomplete_fields = ["validated_by"]


@admin.register(Beneficiary)
class BeneficiaryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sex", "birth_date", "structure", "commune", "qpv", "prescriber_type"]
    list_filter = ["sex", "structure", "prescriber_type", "qualification_level"]
    search_fields = ["last_name", "first_name"]
    autocomplete_fields = ["structure", "commune", "qpv"]
    list_select_related = ["structure", "commune", "qpv"]
    inlines = [CriterionInline]


class HoursRecordInline(admin.TabularInline):
    model = HoursRecord
    extra = 0
    fields = ["month", "hours", "training_hours", "status", "source", "is_converted"]
    readonly_fields = ["is_converted"]


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
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
        summary.refresh([form.instance.pk])  # the placement or its records (inline) may have changed


@admin.register(HoursRecord)
class HoursRecordAdmin(admin.ModelAdmin):
    list_display = ["placement", "month", "hours", "training_hours", "status", "source"]
    list_filter = ["status", "source", "is_converted", "placement__modality"]
    search_fields = ["placement__beneficiary__last_name", "placement__lot__market__reference"]
    date_hierarchy = "month"
    autocomplete_fields = ["placement", "declared_by", "reviewed_by"]
    list_select_related = ["placement__beneficiary", "placement__lot__market"]

    # Edits here bypass the services: the reporting summary of the placements concerned is refreshed.
    def save_model(self, request, obj, form, change):
        previous = form.initial.get("placement")
        super().save_model(request, obj, form, change)
        summary.refresh([obj.placement_id, previous])

    def delete_model(self, request, obj):
        placement_id = obj.placement_id
        super().delete_model(request, obj)
        summary.refresh([placement_id])

    def delete_queryset(self, request, queryset):
        placement_ids = list(queryset.values_list("placement_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        summary.refresh(placement_ids)


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["placement", "stage", "result", "observed_on"]
    list_filter = ["stage", "result"]
    autocomplete_fields = ["placement"]
    list_select_related = ["placement__beneficiary"]


@admin.register(BeneficiaryCriterion)
class BeneficiaryCriterionAdmin(admin.ModelAdmin):
    list_display = ["beneficiary", "criterion", "validated_on", "validated_by", "evidence_type"]
    list_filter = ["criterion", "evidence_type"]
    search_fields = ["beneficiary__last_name"]
    autocomplete_fields = ["beneficiary", "validated_by"]
    list_select_related = ["beneficiary", "validated_by"]
