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


def execute_after(
    cursor: Any,
    first: tuple[str, list[Any]],
    then: tuple[str, list[Any]],
    *,
    name: str,
) -> None:
    """Run the statement `first`, then `then`, whose result the cursor holds.
    On PostgreSQL, one statement and one round trip: `first` as a
    data-modifying WITH called `name`. Elsewhere (SQLite, under ./dev run),
    two statements."""
    if cursor.db.vendor == "postgresql":
        cursor.execute(f"WITH {name} AS ({first[0]}) {then[0]}", [*first[1], *then[1]])
    else:
        cursor.execute(*first)
        cursor.execute(*then)


def converters(model: type[Model], name: str, connection: BaseDatabaseWrapper) -> list:
    """What the ORM does to a value of `model`'s field `name` as the database
    returns it (on SQLite, under ./dev run, a date arrives as a string; on
    PostgreSQL, as these models stand, nothing): each a
    `converter(value, expression, connection)`, with its expression."""
    field = model._meta.get_field(name)
    column = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
    chain = connection.ops.get_db_converters(column) + field.get_db_converters(  # type: ignore[union-attr]
        connection
    )
    return [(converter, column) for converter in chain]


def converted(value: Any, chain: list, connection: BaseDatabaseWrapper) -> Any:
    """`value` through a `converters` chain."""
    for converter, column in chain:
        value = converter(value, column, connection)
    return value
