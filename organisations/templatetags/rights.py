"""Rights predicates for templates: {% load rights %}{% can_edit object as editable %}."""

from django import template

from organisations import permissions

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def can_edit(context, obj):
    return permissions.can_edit(_user(context), obj)


@register.simple_tag(takes_context=True)
def can_manage_members(context, organisation):
    return permissions.can_manage_members(_user(context), organisation)


@register.simple_tag(takes_context=True)
def can_see_identity(context, beneficiary):
    return permissions.can_see_identity(_user(context), beneficiary)


@register.simple_tag(takes_context=True)
def can_see_sensitive_criteria(context, beneficiary):
    return permissions.can_see_sensitive_criteria(_user(context), beneficiary)


@register.simple_tag(takes_context=True)
def can_edit_hours(context, placement):
    return permissions.can_edit_hours(_user(context), placement)


@register.simple_tag(takes_context=True)
def can_validate_hours(context, placement):
    return permissions.can_validate_hours(_user(context), placement)


@register.simple_tag(takes_context=True)
def is_facilitator(context):
    return permissions.is_facilitator(_user(context))
