"""Admin building blocks for domain models: support staff read them, and write only through the services.

- `ReadOnlyAdmin`: nothing is added, changed or deleted here (official reference data, changed by its loaders;
  or a model edited on the application's own pages);
- `ServiceAdmin`: the admin form parses and validates the input (the model's clean() and constraints), then the
  app's service writes, with its side effects (reporting summary, history); deletions, single or in bulk, go
  through the removal service too, and an object the service would refuse to remove shows no delete button;
- `ReadOnlyInline`: an inline that only shows the related rows (they are written on their own admin page).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or ())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(admin.ModelAdmin):
    """Subclasses implement `create_object`, `update_object` (given the validated form's values) and `delete_object`
    (and may implement `delete_refusal`: the French reason why an object cannot be removed, or "")."""

    def create_object(self, request, values: dict):
        raise NotImplementedError

    def update_object(self, request, obj, values: dict):
        raise NotImplementedError

    def delete_object(self, request, obj) -> None:
        raise NotImplementedError

    def delete_refusal(self, obj) -> str:
        return ""

    def form_values(self, form) -> dict:
        """The values the form edits (read-only fields are not in the form)."""
        return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}

    def save_model(self, request, obj, form, change):
        values = self.form_values(form)
        if change:
            saved = self.update_object(request, obj, values)
        else:
            saved = self.create_object(request, values)
            obj.pk = saved.pk
            obj._state.adding = False
        # The admin logs and redirects with `obj`: give it what the service stored.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def save_related(self, request, form, formsets, change):
        """Inlines of a ServiceAdmin are read-only (ReadOnlyInline): nothing else to write (the admin's change
        message still reads what each formset saved)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.delete_refusal(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        self.delete_object(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_object(request, obj)
            except ValidationError as error:
                messages.error(request, f"« {obj} » n'a pas été supprimé : {' '.join(error.messages)}")
