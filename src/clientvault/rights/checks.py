"""The portal refuses to start in production with a development code sender (ARCHITECTURE.md rule 10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from clientvault.rights.senders import DEVELOPMENT_ONLY


@register(Tags.security)
def check_portal_sender(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    path = settings.CLIENTVAULT_PORTAL_SENDER
    try:
        import_string(path)
    except ImportError:
        return [Error(f"CLIENTVAULT_PORTAL_SENDER {path!r} cannot be imported.", id="clientvault.E015")]
    if getattr(settings, "IS_PRODUCTION", False) and path in DEVELOPMENT_ONLY:
        return [
            Error(
                "The customer portal would write sign-in codes to a file or the console in production.",
                hint="Set CLIENTVAULT_PORTAL_SENDER to an SMS or e-mail sender (clientvault.rights.senders.EmailSender).",
                id="clientvault.E016",
            )
        ]
    return []
