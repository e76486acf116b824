"""Facts the access layer decides from, provided by the apps above it (registration, never an import).

The disclosure plan (``access.plan``) is computed in one step from its inputs: the policies, the actor's
facts, the field catalogue — and facts that apps above ``access`` own, such as a customer's consent state
(ARCHITECTURE.md rule 5). Those apps register a provider here in their ``AppConfig.ready``; ``access``
never imports them, so the import direction stays one-way (consents → access).

Default deny: a fact that is needed but has no provider is treated as the most restrictive answer —
every field of a row under a consent-based purpose is withheld, and no row passes the consent filter.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.db.models import Q

    from clientvault.core.context import Context


@dataclass(frozen=True)
class FieldMeta:
    """What the field catalogue says of one field, as a consent provider needs it."""

    category: str
    sensitive: bool


@dataclass(frozen=True)
class ConsentFact:
    """One row's consent state under the declared purpose, as the plan takes it: which of the asked
    fields the live consent covers (empty when there is no live consent)."""

    covered: frozenset[str] = frozenset()


class ConsentProvider(Protocol):
    """Registered by the consents app: what the live consent of each row covers."""

    def facts(self, ctx: Context, rows: Sequence[Any], fields: Mapping[str, FieldMeta]) -> Mapping[Hashable, ConsentFact]:
        """Row key (``row.pk``) → the consent fact for the declared purpose; a row left out has none."""
        ...

    def row_filter(self, purpose: str, customer_ref: str, minor_field: str) -> Q:
        """The condition a personal-data queryset adds: rows whose customer has live consent."""
        ...


_lock = threading.Lock()
_consent: list[ConsentProvider] = []


def register_consent(provider: ConsentProvider) -> None:
    """Install the consent provider (the consents app's ``ready``). One provider: a second replaces it."""
    with _lock:
        _consent[:] = [provider]


def consent_provider() -> ConsentProvider | None:
    with _lock:
        return _consent[0] if _consent else None


def consent_facts(ctx: Context, rows: Sequence[Any], fields: Mapping[str, FieldMeta]) -> Mapping[Hashable, ConsentFact] | None:
    """The consent facts of ``rows`` (None: no provider registered — the caller fails closed)."""
    provider = consent_provider()
    return None if provider is None else provider.facts(ctx, rows, fields)


def consent_row_filter(purpose: str, customer_ref: str, minor_field: str) -> Q:
    """The live-consent condition for a queryset; with no provider, a condition no row meets."""
    from django.db.models import Q

    provider = consent_provider()
    return Q(pk__in=[]) if provider is None else provider.row_filter(purpose, customer_ref, minor_field)


class swapped_consent:
    """Temporarily replace (or remove, with None) the consent provider — for tests of failing closed."""

    def __init__(self, provider: ConsentProvider | None) -> None:
        self.provider = provider
        self.saved: list[ConsentProvider] = []

    def __enter__(self) -> None:
        with _lock:
            self.saved = list(_consent)
            _consent[:] = [self.provider] if self.provider is not None else []

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _consent[:] = self.saved
