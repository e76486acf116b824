"""Inserting many new rows of one model fast (bulk import, issue #14).

``insert(model, objs)`` writes the same rows ``bulk_create`` would — every concrete column, values prepared by
the fields themselves (``pre_save`` then ``get_db_prep_save``: defaults, ``auto_now_add``, JSON, UUIDs) — in the
caller's transaction. On PostgreSQL it streams them with ``COPY … FROM STDIN``: constraints, indexes and
triggers apply exactly as to an ``INSERT``, but no statement of thousands of literals is built, split and
parsed. Elsewhere it is ``bulk_create``. Auto-increment primary keys are left to the database and not read
back (callers of this function never need them); no signals are sent (``bulk_create`` sends none either).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router


def insert(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    if not objs:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.db_manager(using).bulk_create(list(objs), batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    skip_pk = pk is not None and isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField)
    fields = [f for f in meta.concrete_fields if not (skip_pk and f is pk) and not getattr(f, "generated", False)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(sql) as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def insert_values(model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence[Any]], *, batch_size: int = 1000) -> None:
    """New rows given as tuples of these fields' attribute values (the others take their defaults): no model
    instance per row on PostgreSQL, where the values are prepared by the fields and streamed with COPY.
    Only for models whose other fields have defaults the database need not know (an auto primary key)."""
    if not rows:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == name) for name in attnames]
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.db_manager(using).bulk_create(objs, batch_size=batch_size)
        return
    missing = [f for f in meta.concrete_fields if f not in fields and f is not meta.pk]
    if missing:
        raise ValueError(f"insert_values({meta.label}) needs every column: {[f.name for f in missing]} missing")
    quote = connection.ops.quote_name
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    preps = [f.get_db_prep_save for f in fields]
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(sql) as copy:
            for row in rows:
                copy.write_row([prep(value, connection) for prep, value in zip(preps, row, strict=True)])
