from django.contrib import admin

from companies.models import CompanyAccess, Declaration, DeclarationEvent


@admin.register(CompanyAccess)
class CompanyAccessAdmin(admin.ModelAdmin):
    """Read-only: accesses are granted and revoked through companies.services (the lot's page), which keep the
    journal."""

    list_display = ("membership", "lot", "capacity", "granted_by", "granted_at", "accepted_at", "revoked_at")
    list_filter = ("capacity",)
    list_select_related = ("membership__user", "membership__organisation", "lot__market", "granted_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeclarationEventInline(admin.TabularInline):
    model = DeclarationEvent
    fields = ("created_at", "action", "from_status", "to_status", "user", "organisation", "comment", "placements")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    """Read-only: a declaration moves only through companies.declarations, which writes its timeline."""

    list_display = ("lot", "company", "month", "status", "updated_at")
    list_filter = ("status",)
    list_select_related = ("lot__market", "company")
    inlines = [DeclarationEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
