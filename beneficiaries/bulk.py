"""Set-based writes of many rows in one statement, for the hours batches and their history.

Django's `bulk_create` and `bulk_update` spend about a tenth of a millisecond of Python per row (model
instances, an expression per value); a 50,000-row import writes 150,000 rows. Here the rows are passed as plain
tuples: on PostgreSQL as one typed array per column (`unnest`), elsewhere as a VALUES list. Only quoted
identifiers of the models and placeholders are formatted into the SQL.
"""

from collections.abc import Sequence

from django.db import connection


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _source(fields: Sequence, rows: Sequence[Sequence]) -> tuple[str, list]:
    """`WITH v (columns) AS (…)` holding the rows, and its parameters."""
    columns = ", ".join(_quote(field.column) for field in fields)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        params = [[row[index] for row in rows] for index in range(len(fields))]
        return f"WITH v ({columns}) AS (SELECT * FROM unnest({arrays}))", params  # noqa: S608
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [value for values in rows for value in values]
    return f"WITH v ({columns}) AS (VALUES {', '.join([row] * len(rows))})", params


def insert(model, names: Sequence[str], rows: Sequence[Sequence]) -> None:
    """INSERT the rows (values ready for the database, in the order of `names`) into the model's table."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    source, params = _source(fields, rows)
    columns = ", ".join(_quote(field.column) for field in fields)
    sql = f"{source} INSERT INTO {_quote(model._meta.db_table)} ({columns}) SELECT {columns} FROM v"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def update(model, names: Sequence[str], rows: Sequence[Sequence], *, common: dict, increment: Sequence[str] = ()):
    """UPDATE one row per tuple (primary key first, then the values of `names`), setting also the `common`
    values (ready for the database) on every row and adding 1 to the `increment` columns."""
    if not rows:
        return
    meta = model._meta
    table = _quote(meta.db_table)
    fields = [meta.pk, *(meta.get_field(name) for name in names)]
    source, params = _source(fields, rows)
    assignments = [f"{_quote(field.column)} = v.{_quote(field.column)}" for field in fields[1:]]
    for name, value in common.items():
        assignments.append(f"{_quote(meta.get_field(name).column)} = %s")
        params.append(value)
    for name in increment:
        column = _quote(meta.get_field(name).column)
        assignments.append(f"{column} = {table}.{column} + 1")
    pk = _quote(meta.pk.column)
    sql = f"{source} UPDATE {table} SET {', '.join(assignments)} FROM v WHERE {table}.{pk} = v.{pk}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
