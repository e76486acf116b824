"""The audit recorder as the layers below ``audit`` see it (ARCHITECTURE.md rule 2, issue #12).

``accounts``, ``access``, ``classification`` and ``crypto`` record their events in the transaction of the
action, like every service, but sit below ``audit`` in the layers: they call ``record`` here, and ``audit``
registers its recorder (``clientvault.audit.recording``) in ``AuditConfig.ready``. Without a registered
recorder ``record`` raises, so an action that cannot leave its event fails (fail closed), exactly as when
the audit row cannot be written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from clientvault.core.context import Context


class Recorder(Protocol):
    def record(
        self,
        ctx: Context,
        event_type: str,
        *,
        obj: Any = None,
        object_type: str = "",
        object_id: str = "",
        customer_id: uuid.UUID | None = None,
        fields: Iterable[str] = (),
        outcome: str = ...,
        detail: Mapping[str, Any] | None = None,
        actor_username: str | None = None,
    ) -> object: ...


_recorder: Recorder | None = None


def register(recorder: Recorder) -> None:
    """Called once by ``audit``'s AppConfig.ready; the recorder is looked up at call time (tests may patch it)."""
    global _recorder
    _recorder = recorder


def record(ctx: Context, event_type: str, **kwargs: Any) -> object:
    """Record one event in the caller's transaction through the registered recorder (see the module doc)."""
    if _recorder is None:
        raise ImproperlyConfigured("no audit recorder is registered: is clientvault.audit in INSTALLED_APPS?")
    return _recorder.record(ctx, event_type, **kwargs)
