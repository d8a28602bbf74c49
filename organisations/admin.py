from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from api.services import revoke_all_tokens
from config.admin import ReadOnlyInline, ServiceAdmin
from organisations import services
from organisations.models import Membership, Organisation, Role, User


class MembershipInline(ReadOnlyInline):
    """Memberships are shown; they are written on the membership admin page (organisations.services)."""

    model = Membership
    fields = ["user", "organisation", "role", "created_at"]
    readonly_fields = ["created_at"]


class PasswordChangeByStaffForm(AdminPasswordChangeForm):
    """The admin's password form (set or disable a password); the user's API tokens are revoked with it."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            revoke_all_tokens(user=user, reason="mot de passe modifié dans l'administration")
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = PasswordChangeByStaffForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "memberships__role"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        ("Droits", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdmin):
    list_display = ["name", "kind", "buyer_type", "insertion_type", "siret", "commune", "region"]
    list_filter = ["kind", "buyer_type", "insertion_type", "region"]
    search_fields = ["name", "siret"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune", "region"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if obj is not None else []  # its nature never changes (services.update_organisation)

    def create_object(self, request, values):
        return services.create_organisation(user=request.user, **values)

    def update_object(self, request, obj, values):
        # Its history (audit.OrganisationChange) and the reports' copies of a buyer's type follow.
        return services.update_organisation(organisation=obj, user=request.user, **values)

    def delete_object(self, request, obj):
        services.delete_organisation(organisation=obj)

    def delete_refusal(self, obj):
        return services.delete_refusal(organisation=obj)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__email", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation"] if obj is not None else []  # only the role changes

    def create_object(self, request, values):
        membership, _created = services.add_member(
            organisation=values["organisation"], email=values["user"].email, role=values["role"]
        )
        return membership

    def update_object(self, request, obj, values):
        return services.change_role(membership=obj, role=values["role"])

    def delete_object(self, request, obj):
        services.remove_member(membership=obj)

    def delete_refusal(self, obj):
        last_admin = (
            obj.role == Role.ADMIN
            and not Membership.objects.filter(organisation_id=obj.organisation_id, role=Role.ADMIN)
            .exclude(pk=obj.pk)
            .exists()
        )
        return "Dernier administrateur·rice de l'organisation." if last_admin else ""
