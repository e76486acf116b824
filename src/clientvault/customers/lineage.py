"""The re-pointer registry: how every owner of a row pointing at a customer moves it on a merge (issue #14).

A merge folds N customer records into one survivor. Every app that owns a model with a foreign key (or a
``customer_id`` column) to ``Customer`` registers a ``Repointer`` here, in its ``AppConfig.ready``; the
merges app knows nothing of follow-ups, consents or assets, it walks this registry:

- ``snapshot(customer_ids)``: the exact column values of every child row of these customers (ciphertext as
  the bytes it is; never plaintext), for the merge's lineage row;
- ``repoint(ctx, from_customer, survivor)``: move (or carry over) the children of ``from_customer`` to the
  survivor, re-sealing what is sealed under the customer's key under the survivor's key; returns the count;
- ``restore(ctx, rows)``: put the rows back exactly as snapshotted (unmerge). The merges app removes the rows
  the merge added (in the reverse of the snapshot's order) and refuses an unmerge when a row the merge wrote
  changed since (comparing the rows as stored with the snapshot it took after the merge).

``tests/test_architecture.py`` walks every model's metadata and fails unless each relation to ``Customer``
is registered here or declared exempt (``exempt``) with its reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clientvault.core.context import Context

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Repointer:
    label: str  # "follow-ups", "consents", "assets"
    model: str  # "app_label.model" — the model whose rows point at customers
    snapshot: Callable[[list[uuid.UUID]], Rows]
    repoint: Callable[[Context, uuid.UUID, uuid.UUID], int]
    restore: Callable[[Context, Rows], None]
    # Further models this registration covers (e.g. consent evidence moves with its record).
    covers: tuple[str, ...] = ()


_REGISTRY: dict[str, Repointer] = {}
_EXEMPT: dict[str, str] = {}


def register(repointer: Repointer) -> None:
    """Register (idempotent for the same object; a second, different registration is a bug)."""
    existing = _REGISTRY.get(repointer.model)
    if existing is not None and existing is not repointer:
        raise ValueError(f"a re-pointer for {repointer.model!r} is already registered")
    _REGISTRY[repointer.model] = repointer


def registered() -> list[Repointer]:
    """Every registration, in the order they were made (app order: stable across runs)."""
    return list(_REGISTRY.values())


def exempt(model: str, reason: str) -> None:
    """Declare that ``model``'s rows stay with the original record on a merge, and why."""
    if not reason.strip():
        raise ValueError("an exemption needs its reason")
    _EXEMPT[model] = reason


def exemptions() -> dict[str, str]:
    return dict(_EXEMPT)


def covered_models() -> set[str]:
    """Every model label a registration or exemption accounts for."""
    out = set(_EXEMPT)
    for r in _REGISTRY.values():
        out.add(r.model)
        out.update(r.covers)
    return out


# --- Rows as they are: the generic dump / restore the registrations share -------------------------
# A snapshot row is {column attname: JSON-able value}; bytes (ciphertext, blind indexes) are kept exactly as
# ``{"$b": base64}``, instants and dates tagged so that a restore writes back the very same values.


def _encode(value: Any) -> Any:
    import base64
    import datetime as dt
    import decimal

    if isinstance(value, memoryview | bytes | bytearray):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, decimal.Decimal):
        return {"$n": str(value)}
    return value


def _decode(value: Any) -> Any:
    import base64
    import datetime as dt
    import decimal

    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$b":
            return base64.b64decode(raw)
        if tag == "$dt":
            return dt.datetime.fromisoformat(raw)
        if tag == "$d":
            return dt.date.fromisoformat(raw)
        if tag == "$u":
            return uuid.UUID(raw)
        if tag == "$n":
            return decimal.Decimal(raw)
    return value


def model_of(label: str) -> Any:
    from django.apps import apps

    return apps.get_model(label)


def _columns(model: Any) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def dump(label: str, **filters: Any) -> Rows:
    """Every row of ``label`` matching ``filters``, all columns, as stored (ordered by primary key)."""
    model = model_of(label)
    cols = _columns(model)
    rows = model._base_manager.filter(**filters).order_by("pk").values_list(*cols)
    return [{"$model": label, **{c: _encode(v) for c, v in zip(cols, row, strict=True)}} for row in rows]


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A snapshot row's column values as Python values (without the model tag)."""
    return {c: _decode(v) for c, v in row.items() if c != "$model"}


def restore_rows(rows: Rows) -> None:
    """Write each row back exactly (update by primary key; insert when it is gone). No save(): no auto_now."""
    for row in rows:
        model = model_of(row["$model"])
        values = decoded(row)
        pk_name = model._meta.pk.attname
        pk = values.pop(pk_name)
        manager = model._base_manager
        current = dump(row["$model"], pk=pk)
        if current == [row]:
            continue  # untouched (and immutable rows, consent records, refuse even a no-op UPDATE)
        if current:
            manager.filter(pk=pk).update(**values)
        else:
            manager.bulk_create([model(**{pk_name: pk, **values})])


def delete_rows(label: str, pks: list[Any]) -> None:
    """Remove rows a merge added (an unmerge), by primary key."""
    if pks:
        model_of(label)._base_manager.filter(pk__in=pks).delete()


def row_key(row: dict[str, Any]) -> tuple[str, str]:
    model = model_of(row["$model"])
    return row["$model"], str(_decode(row[model._meta.pk.attname]))
