"""System checks for the audit trail: retention periods and, in production, key and witness."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from clientvault.audit import registry

CLASSES = {"read", "write", "security"}


@register(Tags.compatibility)
def check_retention(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """CSL-21-logs: network logs are kept at least six months [M]; no class may be configured lower."""
    errors: list[CheckMessage] = []
    floor = settings.CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS
    configured = settings.CLIENTVAULT_AUDIT_RETENTION_DAYS
    unknown = sorted(set(configured) - CLASSES)
    if unknown:
        errors.append(
            Error(
                f"Unknown audit event classes in CLIENTVAULT_AUDIT_RETENTION_DAYS: {', '.join(unknown)}.",
                hint=f"Use {', '.join(sorted(CLASSES))}.",
                id="clientvault.E013",
            )
        )
    for kind in sorted(CLASSES & set(configured)):
        days = configured[kind]
        if not isinstance(days, int) or days < floor:
            errors.append(
                Error(
                    f"Audit events of class {kind!r} would be kept {days} days, below the minimum of {floor}.",
                    hint="Raise it; audit logs are kept at least six months (CSL Art. 21).",
                    id="clientvault.E013",
                )
            )
    if floor < 183:
        errors.append(Error("CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS is below six months.", id="clientvault.E013"))
    missing = {e.kind for e in registry.EVENT_TYPES.values()} - set(configured)
    if missing:
        errors.append(Error(f"No retention period for audit event classes: {', '.join(sorted(missing))}.", id="clientvault.E013"))
    return errors


@register(Tags.security)
def check_production_audit(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.IS_PRODUCTION:
        return []
    errors: list[CheckMessage] = []
    if not Path(settings.CLIENTVAULT_AUDIT_SIGNING_KEYSET).exists():
        errors.append(
            Error("The audit checkpoint signing key is missing.", hint="Run `clientvault audit init-key`.", id="clientvault.E014")
        )
    if not settings.CLIENTVAULT_AUDIT_WITNESS:
        # Without a witness, deleting the newest events with their leaves and the newest checkpoint
        # leaves a shorter log that verifies on its own: only a copy outside the database shows the cut.
        errors.append(
            Error(
                "No audit witness is configured: someone who can change the database could cut off the newest "
                "audit events (and, holding the signing key, rewrite history) undetected.",
                hint="Set CLIENTVAULT_AUDIT_WITNESS to a file on other storage or a witness URL.",
                id="clientvault.E031",
            )
        )
    return errors
