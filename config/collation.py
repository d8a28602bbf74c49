"""Names in the order a French reader expects: « Émilie » between « Durand » and « Fabre », not after « Zoé ».

A database created with the C or C.UTF-8 locale (the usual default of a server or a container) compares names
byte by byte: every accented capital sorts after Z, and lower case after upper case. `French(expression)` orders
by the French ICU collation on PostgreSQL (`fr-x-icu`, present on every server built with ICU, as Debian's are),
and on SQLite by a collation registered on the connection that compares the names without their accents and
case first, then as written (the same tie-break as ICU's secondary and tertiary levels, close enough for names).

    Beneficiary.objects.order_by(French("last_name"), French("first_name"), "pk")
    queryset.order_by(French("visible_last_name").desc())
"""

from __future__ import annotations

import unicodedata

from django.db.models.functions import Collate

POSTGRESQL_COLLATION = "fr-x-icu"
SQLITE_COLLATION = "clausier_fr"


def sort_key(text: str | None) -> tuple[str, str]:
    """The SQLite side: letters without their accents and case, then the text itself."""
    text = text or ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold(), text


def _compare(left: str | None, right: str | None) -> int:
    first, second = sort_key(left), sort_key(right)
    return (first > second) - (first < second)


class French(Collate):
    """An expression (a field name or any text expression) compared in French order."""

    def __init__(self, expression):
        super().__init__(expression, POSTGRESQL_COLLATION)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        # Registering again on the same connection replaces the function: cheap, and every new connection
        # (threads, the test database) gets it on its first such query.
        connection.connection.create_collation(SQLITE_COLLATION, _compare)
        extra_context["collation"] = connection.ops.quote_name(SQLITE_COLLATION)
        return super().as_sql(compiler, connection, **extra_context)
