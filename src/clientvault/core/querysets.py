"""The base of every personal-data queryset: default deny until scoped.

A personal-data model's default manager refuses to run any query (select, count, exists, aggregate,
update, delete, subquery…) until it is scoped: ``visible_to(ctx)`` for a person, or the named and
greppable ``unrestricted(reason="…")`` for work done for no one (ARCHITECTURE.md rules 4 and 11).
The refusal sits in the SQL query object itself (``ScopedQuery.get_compiler``), so every way Django
has of evaluating a queryset meets it, and chaining (``.filter()``, ``.values()``…) keeps the mark.

Creating rows (``create``/``bulk_create``) reads nothing and so needs no scope; it happens only in
services (tests/test_architecture.py). ``_base_manager`` stays plain: foreign-key access
(``followup.customer``), cascades, ``refresh_from_db`` and test-database serialisation use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models.sql import Query

if TYPE_CHECKING:
    from clientvault.core.context import Context

M = TypeVar("M", bound=models.Model)


class UnscopedQuery(RuntimeError):
    """A programming error: a personal-data query ran without ``visible_to(ctx)`` or ``unrestricted(reason=…)``."""


class ScopedQuery(Query):
    """A SQL query that will not compile until its queryset was scoped (``scope`` set)."""

    scope: str = ""  # "visible_to" or "unrestricted: <reason>"; copied by clone()/chain() with __dict__

    def get_compiler(self, using: str | None = None, connection: Any | None = None, elide_empty: bool = True) -> Any:
        if not self.scope:
            raise UnscopedQuery(
                f"unscoped query on {self.model.__name__ if self.model else '?'}: use .visible_to(ctx) "
                'or .unrestricted(reason="…") (ARCHITECTURE.md rule 4)'
            )
        return super().get_compiler(using, connection, elide_empty)


class GuardedQuerySet(models.QuerySet[M]):
    """Refuses every query until scoped. Subclasses define ``visible_to(ctx)``: what a person may read."""

    def __init__(
        self, model: type[models.Model] | None = None, query: Query | None = None, using: str | None = None, hints: Any = None
    ) -> None:
        super().__init__(model=model, query=query if query is not None else ScopedQuery(model), using=using, hints=hints)

    @property
    def is_scoped(self) -> bool:
        return bool(getattr(self.query, "scope", ""))

    def _mark(self, scope: str) -> Self:
        qs = self.all()
        qs.query.scope = scope  # type: ignore[attr-defined]
        return qs

    def _require_scope(self, what: str) -> None:
        if not self.is_scoped:
            raise UnscopedQuery(
                f'unscoped {what}() on {self.model.__name__}: use .visible_to(ctx) or .unrestricted(reason="…") (ARCHITECTURE.md rule 4)'
            )

    def unrestricted(self, *, reason: str) -> GuardedQuerySet[M]:
        """Every row, for work done for no one person (sealing, key rotation, migrations of data).

        ``reason`` says why in words a reviewer can check; every call is greppable (ARCHITECTURE.md rule 11).
        """
        if not reason or not reason.strip():
            raise ValueError("unrestricted() needs a reason")
        return self._mark(f"unrestricted: {reason.strip()}")

    def visible_to(self, ctx: Context, action: str = "view", *, resource: str = "") -> GuardedQuerySet[M]:
        raise TypeError(f"{type(self).__name__} must define visible_to")

    # Update and delete switch the query's class (UpdateQuery, DeleteQuery), so they check here as well.
    def update(self, **kwargs: Any) -> int:
        self._require_scope("update")
        return super().update(**kwargs)

    def _update(self, values: Any) -> Any:
        self._require_scope("update")
        return super()._update(values)  # type: ignore[misc]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope("delete")
        return super().delete()

    def _raw_delete(self, using: str | None) -> int:
        self._require_scope("delete")
        return super()._raw_delete(using)
