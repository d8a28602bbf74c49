"""Filters of the dashboards and of the yearly report."""

from django import forms
from django.utils import timezone

from clauses.calculations import TargetStatus
from markets.models import MarketType
from organisations.models import BuyerType, OrganisationKind
from organisations.scoping import scope_memberships
from reporting import queries
from reporting.exports import LOT_COLUMNS
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


class LenientChoiceField(forms.ChoiceField):
    """A choice that falls back to "" (everything) when the value is unknown, so an old or edited link never
    makes the whole form invalid (and never changes the year shown)."""

    def clean(self, value):
        value = self.to_python(value)
        return value if value and self.valid_value(value) else ""


class DashboardFilterForm(YearForm):
    """The year of the figures, plus filters and sort of the lots table (applied to its exports too)."""

    status = LenientChoiceField(label="Statut", required=False)
    lot_year = LenientChoiceField(label="Lots en cours en", required=False)
    market_type = LenientChoiceField(
        label="Type de marché", required=False, choices=[("", "Tous les types"), *MarketType.choices]
    )
    sort = LenientChoiceField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Tous les statuts"), *TargetStatus.CHOICES]
        self.fields["lot_year"].choices = [("", "Toutes les années"), *year_choices()]
        keys = list(queries.LOT_SORT_KEYS)
        self.fields["sort"].choices = [(key, key) for key in keys] + [(f"-{key}", f"-{key}") for key in keys]

    def value_of(self, name: str) -> str:
        """The cleaned value of a lot filter, even when another field (an unknown year) is invalid."""
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get(name) or ""
        return ""

    def sort_key(self) -> tuple[str, bool]:
        """(column key, descending); ("", False) for the default order, lots at risk first."""
        value = self.value_of("sort")
        return (value[1:], True) if value.startswith("-") else (value, False)

    def lots(self, progress: list[queries.LotProgress]) -> list[queries.LotProgress]:
        """The lots of the table: filtered, then sorted."""
        lot_year = self.value_of("lot_year")
        rows = queries.filter_lots(
            progress,
            status=self.value_of("status"),
            year=int(lot_year) if lot_year else None,
            market_type=self.value_of("market_type"),
        )
        key, descending = self.sort_key()
        return queries.sort_lots(rows, key=key, descending=descending)

    def described(self) -> tuple[tuple[str, str], ...]:
        """The year and the filters of the lots in force, as (label, value) pairs for the exports."""
        result = [("Année", str(self.selected_year()))]
        for name in ("status", "lot_year", "market_type"):
            value = self.value_of(name)
            if value:
                result.append((self.fields[name].label, str(dict(self.fields[name].choices).get(value, value))))
        key, descending = self.sort_key()
        if key:
            header = next(column.header for column in LOT_COLUMNS if column.key == key)
            result.append(("Tri des lots", f"{header} ({'décroissant' if descending else 'croissant'})"))
        return tuple(result)
