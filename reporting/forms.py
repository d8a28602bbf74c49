"""Filters of the dashboards and of the yearly report."""

from django import forms
from django.utils import timezone

from markets.models import MarketType
from organisations.models import BuyerType, OrganisationKind
from organisations.scoping import scope_memberships
from territories.models import Department

FIRST_YEAR = 2015


def year_choices() -> list[tuple[int, str]]:
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in range(this_year + 1, FIRST_YEAR - 1, -1)]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label="Année", coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()
        self.fields["year"].initial = timezone.localdate().year

    def selected_year(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year


def region_codes_of(user) -> set[str] | None:
    """Regions whose départements the user may filter on: the region of their coordination body or
    facilitation structure; None for a superuser (every département)."""
    if user.is_superuser:
        return None
    return {
        membership.organisation.region_id
        for membership in scope_memberships(user)
        if membership.organisation.kind in (OrganisationKind.COORDINATION, OrganisationKind.FACILITATION)
        and membership.organisation.region_id
    }


class ReportFilterForm(YearForm):
    department = forms.ChoiceField(label="Département", required=False)
    buyer_type = forms.ChoiceField(
        label="Type d'acheteur", required=False, choices=[("", "Tous les types"), *BuyerType.choices]
    )
    market_type = forms.ChoiceField(
        label="Type de marché", required=False, choices=[("", "Tous les types"), *MarketType.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("code")
        regions = region_codes_of(user)
        if regions is not None:
            departments = departments.filter(region__in=regions)
        self.fields["department"].choices = [("", "Tous les départements")] + [
            (department.code, f"{department.code} – {department.name}") for department in departments
        ]

    def value_of(self, name: str) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get(name) or ""
        return ""

    def described(self) -> tuple[tuple[str, str], ...]:
        """The filters in force, as (label, value) pairs for the exports."""
        result = [("Année", str(self.selected_year()))]
        for name in ("department", "buyer_type", "market_type"):
            value = self.value_of(name)
            if value:
                result.append((self.fields[name].label, dict(self.fields[name].choices).get(value, value)))
        return tuple(result)
