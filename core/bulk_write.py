"""Writing many new rows of a model with their history rows, fast, in the caller's transaction.

``insert_with_history`` does what ``simple_history.utils.bulk_create_with_history``
does (the rows, then a "+" history row each by ``user``, for ``reason``, at ``when``)
at a fraction of its cost, for the imports that write thousands of rows:

- the ids are drawn first (on PostgreSQL from the table's sequence; on SQLite after
  taking the database's write lock, above the highest id ever given), so that a
  caller may use them before the rows are written (``prepare``: a tree's path);
- every value is converted once by a converter chosen per field, not compiled value
  by value into an INSERT statement as ``bulk_create`` does, and the rows go in with
  one ``executemany``;
- the history rows are copied from the rows just written by the database itself
  (``INSERT … SELECT``), instead of a model instance and a second INSERT a row.

Only new rows, of a model whose primary key is an auto-incremented ``id`` and whose
history is simple-history's default (no custom history fields). No model signal fires,
as with ``bulk_create``: the callers announce what they change themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

# Fields whose Python value (a choice's enum member included: a str or an int) is what
# the database driver takes, as it is.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of ``field`` becomes the database's (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, _AS_IS):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new ids of ``model``'s table, nobody else's."""
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [quoted, count]
            )
            return [pk for (pk,) in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        # A write statement takes SQLite's write lock until the transaction ends, so
        # no other connection can insert between the look-up and the inserts.
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        cursor.execute(f"SELECT MAX(id) FROM {quoted}")  # a model's table name, not input
        (highest,) = cursor.fetchone()
        start = max(found[0] if found else 0, highest or 0) + 1
        return list(range(start, start + count))


def _ranges(ids: Sequence[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], pk)
        else:
            ranges.append((pk, pk))
    return ranges


def insert_with_history(
    model: type[models.Model],
    objs: list[Any],
    *,
    user: Any,
    reason: str,
    when: datetime.datetime,
    prepare: Callable[[list[Any]], None] | None = None,
) -> list[Any]:
    """Insert the new instances ``objs`` of ``model`` and a history row each; their ids
    set (``prepare`` is called once they have them, before anything is written). The
    instances are returned, as saved."""
    if not objs:
        return objs
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    for pk, obj in zip(_ids(model, len(objs)), objs, strict=True):
        obj.pk = pk
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, when)
    if prepare is not None:
        prepare(objs)
    converters = [(field.attname, _converter(field)) for field in fields]
    rows = [
        (
            obj.pk,
            *(
                getattr(obj, name) if convert is None or getattr(obj, name) is None else convert(getattr(obj, name))
                for name, convert in converters
            ),
        )
        for obj in objs
    ]
    quote = connection.ops.quote_name
    columns = ["id", *(field.column for field in fields)]
    table = quote(meta.db_table)
    history = model.history.model  # type: ignore[attr-defined]
    tracked = {field.column for field in history.tracked_fields}
    kept = ", ".join(quote(column) for column in columns if column == "id" or column in tracked)
    ranges = _ranges([obj.pk for obj in objs])
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # model names only
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            rows,
        )
        account = user if getattr(user, "is_authenticated", False) else None
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} "  # model names and fields only
            f"({kept}, history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {kept}, %s, %s, '+', %s FROM {table} "
            f"WHERE {' OR '.join(['id BETWEEN %s AND %s'] * len(ranges))}",
            [
                connection.ops.adapt_datetimefield_value(when),
                reason[:100],
                account.pk if account is not None else None,
                *(end for pair in ranges for end in pair),
            ],
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
