"""The backups' audit events and who may act (shared by create, purge and restore)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.audit import recording as audit
from clientvault.audit.models import AuditEvent
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied


def require_backup_operator(ctx: Context) -> None:
    """Backups are taken and restored from the server's command line (system context) or by an administrator."""
    if not (ctx.actor is None and "system" in ctx.roles) and not ctx.has_role(R.ADMINISTRATOR):
        raise PermissionDenied(_("Only an administrator may take or restore backups."))


def record_created(ctx: Context, backup_id: str, body: dict[str, Any]) -> None:
    """The ``backup.created`` event (once: the purge sweep records it for a backup whose process died before)."""
    with transaction.atomic():
        if AuditEvent.objects.filter(event_type="backup.created", object_id=backup_id).exists():
            return
        audit.record(
            ctx,
            "backup.created",
            object_type="backups.backup",
            object_id=backup_id,
            detail=created_detail(body),
        )


def created_detail(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "vendor": body["vendor"],
        "data_size": body["data"]["size"],
        "keystore_rows": body["keystore"]["rows"],
        "audit_tree_size": (body["audit"]["checkpoint"] or {}).get("tree_size", 0),
    }


def record_purged(ctx: Context, backup_id: str, reference: str, detail: dict[str, Any]) -> None:
    """One ``backup.purged`` event per key-store generation written or destroyed (``reference``), recorded once."""
    object_id = f"{backup_id}/{reference}"
    with transaction.atomic():
        if AuditEvent.objects.filter(event_type="backup.purged", object_id=object_id).exists():
            return
        audit.record(ctx, "backup.purged", object_type="backups.backup", object_id=object_id, detail=detail)
