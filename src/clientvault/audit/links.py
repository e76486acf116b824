"""Which customers of an audit page the viewer may open (the trail links them; no reveal).

``customers`` sits above ``audit`` in the layers, so it registers the check in its AppConfig.ready
(issue #12). Unregistered, no customer is openable (fail closed: the trail shows no links).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from clientvault.core.context import Context

OpenableIds = Callable[[Context, set[uuid.UUID]], Iterable[uuid.UUID]]
_check: OpenableIds | None = None


def register(check: OpenableIds) -> None:
    global _check
    _check = check


def openable_ids(ctx: Context, ids: set[uuid.UUID]) -> frozenset[uuid.UUID]:
    return frozenset(_check(ctx, ids)) if _check is not None else frozenset()
