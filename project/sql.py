"""SQL written once for the busiest writes, where building the ORM's query
took longer than PostgreSQL took to run it (bench/login_cost.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections, router

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Model


def insert(row: Model) -> tuple[str, list[Any], BaseDatabaseWrapper]:
    """`INSERT INTO table (columns) VALUES (...)` for an unsaved `row`, with
    its values prepared as the ORM prepares them (defaults, JSON, dates),
    and the connection to run it on. The caller adds ON CONFLICT, RETURNING
    or a WITH around it."""
    meta = row._meta
    connection = connections[router.db_for_write(type(row))]
    quote = connection.ops.quote_name
    # Every column but an id the database numbers.
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (names from the model)
        f"({', '.join(quote(f.column or f.name) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    return sql, values, connection


def column(model: type[Model], name: str, connection: BaseDatabaseWrapper) -> str:
    """The quoted column of `model`'s field `name`."""
    field = model._meta.get_field(name)
    return connection.ops.quote_name(getattr(field, "column", None) or name)
