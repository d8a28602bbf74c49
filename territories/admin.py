"""Official reference data, read-only in the admin: it is changed only by its loaders (`load_territories`,
`import_qpv`) and the correction services of territories.services, which keep the reporting summary in step."""

from django.contrib import admin
from django.db.models import Count

from config.admin import ReadOnlyAdmin, ReadOnlyInline
from territories.models import Commune, Department, Epci, Qpv, Region


class DepartmentInline(ReadOnlyInline):
    model = Department
    fields = ["code", "name"]


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "department_count"]
    search_fields = ["code", "name"]
    inlines = [DepartmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(department_total=Count("departments"))

    @admin.display(description="départements", ordering="department_total")
    def department_count(self, obj):
        return obj.department_total


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name", "region__name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


@admin.register(Epci)
class EpciAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "commune_count"]
    search_fields = ["code", "name"]
    list_filter = [("communes__department__region", admin.RelatedOnlyFieldListFilter)]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commune_total=Count("communes", distinct=True))

    @admin.display(description="communes", ordering="commune_total")
    def commune_count(self, obj):
        return obj.commune_total


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "department", "epci", "population"]
    list_filter = ["department__region", "department"]
    search_fields = ["code", "name"]
    list_select_related = ["department", "epci"]
    autocomplete_fields = ["department", "epci"]
    show_full_result_count = False


@admin.register(Qpv)
class QpvAdmin(ReadOnlyAdmin):
    """A code absent from the official 2024 list is kept and shown here (filter « dans la liste officielle
    2024 : non »), for support staff to check the people and placements that point to it."""

    list_display = ["code", "name", "commune_list", "official"]
    list_filter = ["official", "communes__department__region", "communes__department"]
    search_fields = ["code", "name", "communes__name"]
    autocomplete_fields = ["communes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("communes")

    @admin.display(description="communes")
    def commune_list(self, obj):
        return ", ".join(commune.name for commune in obj.communes.all())
