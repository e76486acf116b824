"""Policies and classifications loaded from the database, compiled once and cached.

A process keeps the compiled ``PolicySet`` and the field classes; each request checks one cheap stamp
(row count, sum of versions, latest change) per catalogue and recompiles only when it moved, so a change
a compliance officer saves is in force on the next request in every worker. The stamp is memoised on the
request's ``Context``, so a request pays for it once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from clientvault.access.policies import (
    BREAK_GLASS,
    CUSTOMER,
    ActorFacts,
    FieldView,
    PolicySet,
    RowFacts,
    Rule,
    Scope,
    code_capabilities,
)
from clientvault.classification.models import FieldClassification
from clientvault.core.context import Context
from clientvault.core.errors import DomainError

_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any]] = {}


class PurposeRequired(DomainError):
    """Customer data needs a declared purpose (ARCHITECTURE.md rule 3)."""

    code = "purpose_required"
    status = 400

    def __init__(self) -> None:
        from django.utils.translation import gettext_lazy as _

        super().__init__(_("Choose the purpose you are working for before opening customer data."))


class PurposeNotAllowed(DomainError):
    code = "purpose_not_allowed"
    status = 403

    def __init__(self) -> None:
        from django.utils.translation import gettext_lazy as _

        super().__init__(_("Your role may not use customer data for this purpose."))


def _stamp_sql(models: tuple[Any, ...]) -> list[str]:
    from django.db import connection

    parts = []
    for model in models:
        table = connection.ops.quote_name(model._meta.db_table)
        # Table names come from model metadata, quoted by the backend; nothing here is user input.
        parts += [
            f"(SELECT COUNT(*) FROM {table})",  # noqa: S608
            f"(SELECT SUM(version) FROM {table})",  # noqa: S608
            f"(SELECT MAX(updated_at) FROM {table})",  # noqa: S608
        ]
    return parts


def _stamps(models: tuple[Any, ...]) -> tuple[Any, ...]:
    """(row count, sum of versions, latest change) of each table, in one round trip."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(_stamp_sql(models)))
        return tuple(cursor.fetchone())


def _split_stamps(flat: tuple[Any, ...]) -> dict[str, tuple[Any, ...]]:
    stamps, i = {}, 0
    for name, labels in STAMPED.items():
        width = 3 * len(labels)
        stamps[name] = flat[i : i + width]
        i += width
    return stamps


def _stamped_models() -> tuple[Any, ...]:
    from django.apps import apps

    return tuple(apps.get_model(label) for labels in STAMPED.values() for label in labels)


STAMPED: dict[str, tuple[str, ...]] = {
    "policies": ("access.Policy", "access.Purpose"),
    "classes": ("classification.FieldClassification",),
}


def _cached(name: str, build: Any, ctx: Context | None) -> Any:
    """The compiled catalogue ``name``, rebuilt when its tables' stamp moved. A request asks once: the
    stamps of every catalogue are read together, in one query, and memoised on the context."""
    memo = ctx.cache if ctx is not None else {}
    if name in memo:
        return memo[name]
    stamps: Any = memo.get("_stamps")
    if stamps is None:
        stamps = memo["_stamps"] = _split_stamps(_stamps(_stamped_models()))
    stamp = stamps[name]
    with _lock:
        hit = _cache.get(name)
    if hit is None or hit[0] != stamp:
        hit = (stamp, build())
        with _lock:
            _cache[name] = hit
    memo[name] = hit[1]
    return hit[1]


def _build_policies() -> PolicySet:
    from clientvault.access.models import Policy, Purpose

    active_purposes = set(Purpose.objects.filter(active=True).values_list("code", flat=True))
    consent_purposes = frozenset(Purpose.objects.filter(needs_consent=True).values_list("code", flat=True))
    rules = []
    for p in Policy.objects.filter(active=True).order_by("code"):
        purposes = frozenset(str(x) for x in p.purposes) & active_purposes
        if not purposes:
            continue
        rules.append(
            Rule(
                code=p.code,
                role=p.role,
                resource=p.resource,
                actions=frozenset(str(a) for a in p.actions),
                purposes=purposes,
                scope=Scope(p.scope),
                max_clear=p.max_clear_class,
                masking={str(k): str(v) for k, v in (p.masking or {}).items()},
            )
        )
    return PolicySet(tuple(rules), consent_purposes)


def policies(ctx: Context | None = None) -> PolicySet:
    """The active policy rules (purposes that were deactivated drop out of every rule)."""
    # A purpose change also changes what the rules mean: the stamp covers both tables (STAMPED).
    return _cached("policies", _build_policies, ctx)  # type: ignore[no-any-return]


FieldMeta = tuple[str, str, str, bool]


def _build_classes() -> dict[str, FieldMeta]:

    rows = FieldClassification.objects.values_list("key", "jrt_class", "mask_profile", "category", "pipl_sensitive", "gbt_sensitive")
    return {key: (cls, profile, category, pipl or gbt) for key, cls, profile, category, pipl, gbt in rows}


def field_classes(ctx: Context | None = None) -> Mapping[str, FieldMeta]:
    """``customer.<field>`` → (JR/T 0171 class, masking profile, data category, sensitive), from the
    classification catalogue."""
    return _cached("classes", _build_classes, ctx)  # type: ignore[no-any-return]


def _roles_sql(user_ref: str) -> str:
    """A scalar subquery: the role codes of the user ``user_ref`` names, comma-separated."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import connection

    # By model label, not import: accounts sits above access in the layers (pyproject's import contract).
    role_table = connection.ops.quote_name(apps.get_model("accounts", "Role")._meta.db_table)
    link_table = connection.ops.quote_name(get_user_model()._meta.get_field("roles").remote_field.through._meta.db_table)  # type: ignore[union-attr]
    agg = "string_agg(r.code, ',')" if connection.vendor == "postgresql" else "group_concat(r.code, ',')"
    # Table names come from model metadata, quoted by the backend; ``user_ref`` is a parameter mark or a
    # column reference built the same way, never user input.
    return f"(SELECT {agg} FROM {role_table} r JOIN {link_table} l ON l.role_id = r.id WHERE l.user_id = {user_ref})"  # noqa: S608


def _take_actor(user: Any, row: tuple[Any, ...]) -> dict[str, tuple[Any, ...]]:
    user._role_codes = sorted(row[0].split(",")) if row[0] else []
    return _split_stamps(row[1:])


def load_actor(user: Any) -> dict[str, tuple[Any, ...]]:
    """The facts every request of a signed-in user starts from, in one round trip: the user's roles
    (set on ``user`` for ``context.for_user``, read fresh on every request: a role revoked a moment ago
    no longer counts) and the catalogue stamps (returned for ``remember_stamps``). Authentication calls
    this before building the request's context."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([_roles_sql("%s"), *_stamp_sql(_stamped_models())]), [user.pk])
        return _take_actor(user, tuple(cursor.fetchone()))


_ACTOR = "_cv_actor_{}"


def actor_annotations(user_ref: str) -> dict[str, Any]:
    """``load_actor`` as annotations of the query that finds the user (the API token lookup), so the
    roles and the stamps come back in that same row: no round trip of their own. ``user_ref`` is the
    quoted column holding the user's id."""
    from django.db.models.expressions import RawSQL

    parts = [_roles_sql(user_ref), *_stamp_sql(_stamped_models())]
    return {_ACTOR.format(i): RawSQL(sql, ()) for i, sql in enumerate(parts)}  # noqa: S611 - metadata only, no input


def actor_from(annotated: Any, user: Any) -> dict[str, tuple[Any, ...]]:
    """``load_actor``'s answer, read from a row fetched with ``actor_annotations``."""
    count = 1 + 3 * sum(len(labels) for labels in STAMPED.values())
    return _take_actor(user, tuple(getattr(annotated, _ACTOR.format(i)) for i in range(count)))


def remember_stamps(ctx: Context, stamps: dict[str, tuple[Any, ...]]) -> Context:
    """Memoise on the request's context the catalogue stamps ``load_actor`` read with the roles."""
    ctx.cache["_stamps"] = stamps
    return ctx


# --- Questions callers ask ------------------------------------------------------------------------------


def actor_facts(ctx: Context) -> ActorFacts:
    actor: Any = ctx.actor
    if actor is None:
        return ActorFacts(None, None, None)
    dept = actor.department
    return ActorFacts(actor.pk, dept.path if dept else None, dept.legal_entity_id if dept else None)


def require_purpose(ctx: Context) -> None:
    """Raise unless a person acting on customer data has declared a purpose."""
    if ctx.actor is not None and not ctx.purpose and allowed_purposes(ctx):
        raise PurposeRequired()  # a role with no purpose at all simply has no access (404, like missing)


def scopes(ctx: Context, resource: str, action: str) -> frozenset[Scope]:
    """The row scopes the actor holds for ``action`` under the declared purpose (empty: none)."""
    if ctx.actor is None or not ctx.purpose:
        return frozenset()
    return policies(ctx).scopes(ctx.roles, resource, action, ctx.purpose)


def scope(ctx: Context, resource: str, action: str) -> Scope:
    return max(scopes(ctx, resource, action), default=Scope.NONE)


def can(ctx: Context, resource: str, action: str) -> bool:
    """Whether any rule lets the actor take ``action`` on some ``resource`` rows for the current purpose."""
    return bool(scopes(ctx, resource, action))


def allowed_purposes(ctx: Context, resource: str = CUSTOMER) -> list[str]:
    """The purposes the actor's roles may choose for ordinary work (break-glass has its own door)."""
    return sorted(policies(ctx).purposes_for(ctx.roles, resource) - {BREAK_GLASS})


def needs_consent(ctx: Context | None, purpose: str) -> bool:
    """Whether ``purpose`` rests on consent (PIPL-13), so every read for it is gated by live consent."""
    return purpose in policies(ctx).consent_purposes


def may_break_glass(ctx: Context) -> bool:
    return BREAK_GLASS in policies(ctx).purposes_for(ctx.roles)


def capabilities(ctx: Context) -> frozenset[str]:
    """What the navigation shows: code capabilities plus data actions the roles hold for some purpose."""
    return code_capabilities(ctx.roles) | policies(ctx).capabilities(ctx.roles)


def decide(ctx: Context, row: RowFacts, fields: Mapping[str, str], resource: str = CUSTOMER) -> dict[str, FieldView]:
    """Plain, masked or withheld (and revealable) for each field → class of one row, for this actor."""
    return policies(ctx).decide(ctx.roles, ctx.purpose, actor_facts(ctx), row, fields, resource)
