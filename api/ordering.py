"""The API's `ordering` parameter (DRF's OrderingFilter), with people's names in French alphabetical order, as on
the pages (config.collation): `?ordering=last_name` puts « Élie » between « Dupont » and « Fabre », whatever the
database's locale. The other fields keep the database's order (numbers, dates)."""

from rest_framework.filters import OrderingFilter

from config.collation import French

# Name fields compared in French order wherever a view lets the client sort by them.
NAME_FIELDS = frozenset({"last_name", "first_name"})


class FrenchOrderingFilter(OrderingFilter):
    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        keys = []
        for term in ordering:
            name = term.lstrip("-") if isinstance(term, str) else None
            if name in NAME_FIELDS:
                keys.append(French(name).desc() if term.startswith("-") else French(name).asc())
            else:
                keys.append(term)
        return queryset.order_by(*keys)
