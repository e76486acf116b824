"""The request context every service and selector receives: who, in which role, why, from where.

Set by middleware for web and API requests, by ``system_context`` for commands and tasks.
Services take it as the keyword-only ``ctx`` argument; a ContextVar mirrors it for logging.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from clientvault.core.roles import primary_role

if TYPE_CHECKING:
    from clientvault.accounts.models import User

Channel = str  # "web", "api", "cli", "task", "system"

_current: ContextVar[Context | None] = ContextVar("clientvault_context", default=None)
_request_id: ContextVar[str] = ContextVar("clientvault_request_id", default="-")


@dataclass(frozen=True)
class Context:
    """Who acts, in which roles, for which purpose, through which channel, for which request."""

    actor: User | None
    roles: frozenset[str] = field(default_factory=frozenset)
    purpose: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str = ""
    channel: Channel = "system"
    # A customer signed in to the portal acts on their own records only (rights/): these customer ids.
    subject_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Per-request memo (compiled policies, catalogue stamps); never compared, never copied into audit.
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.actor is not None else None

    @property
    def primary_role(self) -> str:
        """The role recorded on audit events: the most privileged one the actor holds."""
        return primary_role(self.roles)

    def has_role(self, *codes: str) -> bool:
        return bool(self.roles.intersection(codes))

    def with_purpose(self, purpose: str) -> Context:
        return replace(self, purpose=purpose)  # the memo holds catalogues, not purpose-dependent answers


def for_user(user: User, *, channel: Channel, request_id: str | None = None, ip: str = "", purpose: str = "") -> Context:
    """Build the context for an authenticated user (roles loaded once)."""
    roles = frozenset(user.role_codes()) if user.is_active else frozenset()
    return Context(
        actor=user,
        roles=roles,
        purpose=purpose,
        request_id=request_id or uuid.uuid4().hex,
        ip=ip,
        channel=channel,
    )


def system_context(*, channel: Channel = "system", purpose: str = "") -> Context:
    """The context for work no person started (migrations, schedules, the demo seeder)."""
    return Context(actor=None, roles=frozenset({"system"}), purpose=purpose, channel=channel)


def current() -> Context | None:
    return _current.get()


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def activate(ctx: Context) -> Iterator[Context]:
    """Make ``ctx`` the current context for logging and nested helpers."""
    token = _current.set(ctx)
    rid = _request_id.set(ctx.request_id)
    try:
        yield ctx
    finally:
        _current.reset(token)
        _request_id.reset(rid)


def set_request_id(value: str) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]
