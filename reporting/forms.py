"""Filters of the dashboards and of the yearly report."""

from django import forms
from django.db.models import Min
from django.utils import timezone

from clauses.calculations import TargetStatus
from markets.models import MarketType
from organisations.models import BuyerType, OrganisationKind
from organisations.scoping import scope_memberships
from reporting import queries
from reporting.exports import LOT_COLUMNS
from reporting.periods import YearPeriod, year_period
from territories.models import Department

FIRST_YEAR = 2015  # no year before this one is ever valid


def first_year_with_data(user) -> int:
    """The first year with validated hours in the user's perimeter (one query), or the current year."""
    from reporting.models import PlacementYear

    this_year = timezone.localdate().year
    if user is None:
        return FIRST_YEAR
    first = PlacementYear.objects.visible_to(user).aggregate(first=Min("year"))["first"]
    return min(max(first or this_year, FIRST_YEAR), this_year)


def year_choices(first_year: int = FIRST_YEAR) -> list[tuple[int, str]]:
    """From the current year (labelled partial: "2026 (au 31/10/2026)") down to `first_year`."""
    today = timezone.localdate()
    return [(year, year_period(year, today=today).label) for year in range(today.year, first_year - 1, -1)]


class YearForm(forms.Form):
    """The year of a report: the years with data in the user's perimeter up to the current one are offered; a
    year of the URL that is in the future or unknown gets a message on the field and the current year is shown;
    an offered-range year without data is valid (the page then says there is nothing)."""

    year = forms.IntegerField(label="Année", required=False, widget=forms.Select)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.first_year = first_year_with_data(user)
        choices = year_choices(self.first_year)
        asked = self._asked_year()
        if asked is not None and FIRST_YEAR <= asked < self.first_year:
            choices.append((asked, str(asked)))  # valid, but before the first data: keep it selected
        self.fields["year"].widget.choices = choices
        self.fields["year"].initial = self.today.year

    def _asked_year(self) -> int | None:
        if not self.is_bound:
            return None
        try:
            return int(self.data.get(self.add_prefix("year")) or "")
        except (TypeError, ValueError):
            return None

    def clean_year(self):
        year = self.cleaned_data.get("year")
        this_year = self.today.year
        if year is None:
            return None
        if year > this_year:
            raise forms.ValidationError(
                "L'année %(year)s n'est pas encore commencée : l'année en cours (%(current)s) est affichée.",
                code="future_year",
                params={"year": year, "current": this_year},
            )
        if year < FIRST_YEAR:
            raise forms.ValidationError(
                "Année inconnue : choisissez une année de %(first)s à %(current)s. L'année en cours est affichée.",
                code="unknown_year",
                params={"first": self.first_year, "current": this_year},
            )
        return year

    def add_error(self, field, error):
        # A non-integer year ("abc") gets the same message as an unknown one.
        if field == "year" and isinstance(error, forms.ValidationError) and getattr(error, "code", "") == "invalid":
            error = forms.ValidationError(
                "Année inconnue : choisissez une année de %(first)s à %(current)s. L'année en cours est affichée.",
                code="unknown_year",
                params={"first": self.first_year, "current": self.today.year},
            )
        super().add_error(field, error)

    def selected_year(self) -> int:
        if self.is_bound:
            self.is_valid()
            if self.cleaned_data.get("year"):
                return self.cleaned_data["year"]
        return self.today.year

    def period(self) -> YearPeriod:
        """The months counted for the selected year (the current year is partial)."""
        return year_period(self.selected_year(), today=self.today)


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
        super().__init__(*args, user=user, **kwargs)
        departments = Department.objects.order_by("code")
        regions = region_codes_of(user)
        if regions is not None:
            departments = departments.filter(region__in=regions)
        self.fields["department"].choices = [("", "Tous les départements")] + [
            (department.code, f"{department.code} – {department.name}") for department in departments
        ]

    def value_of(self, name: str) -> str:
        """The cleaned value of a filter (kept when another field, e.g. the year, is at fault)."""
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get(name) or ""
        return ""

    def described(self) -> tuple[tuple[str, str], ...]:
        """The filters in force, as (label, value) pairs for the exports."""
        result = [("Année", self.period().label)]
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
        # The dashboard counts the current year up to today (it compares no years): "2026 (à ce jour)".
        self.fields["year"].widget.choices = [
            (year, f"{year} (à ce jour)" if year == self.today.year else str(year))
            for year, _label in self.fields["year"].widget.choices
        ]
        self.fields["status"].choices = [("", "Tous les statuts"), *TargetStatus.CHOICES]
        # Lots may run before the first year with hours and after the current one.
        years = range(self.today.year + 2, FIRST_YEAR - 1, -1)
        self.fields["lot_year"].choices = [("", "Toutes les années"), *((year, str(year)) for year in years)]
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
