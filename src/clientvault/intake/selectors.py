"""Reading import batches (issue #14): metadata, counts and codes — never a cell value.

Default deny: a person with the ``imports`` capability sees the batches they ran; compliance officers see every
batch of their legal entity; administrators see every batch's metadata for operations (no customer is
revealed by a batch). Anyone else sees none (404, like missing).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clientvault.access.policies import VIEW, allows
from clientvault.accounts.models import User
from clientvault.audit import recording as audit
from clientvault.core import roles as R
from clientvault.core.capabilities import IMPORTS
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.customers.models import Customer
from clientvault.intake.models import ImportBatch, ImportedRecord, MappingTemplate


def batches_for(ctx: Context) -> QuerySet[ImportBatch]:
    """The batches the actor may see (metadata only: no event, nothing personal)."""
    if ctx.actor is None:
        if "system" in ctx.roles and ctx.channel in {"cli", "system"}:
            return ImportBatch.objects.all()
        return ImportBatch.objects.none()
    if not allows(ctx.roles, IMPORTS, VIEW):
        return ImportBatch.objects.none()
    if ctx.has_role(R.ADMINISTRATOR):
        return ImportBatch.objects.all()
    mine = Q(operator_id=ctx.actor.pk)
    if ctx.has_role(R.COMPLIANCE_OFFICER) and ctx.actor.department is not None:
        mine |= Q(legal_entity_id=ctx.actor.department.legal_entity_id)
    return ImportBatch.objects.filter(mine)


def batch_for(ctx: Context, batch_id: uuid.UUID) -> ImportBatch:
    """One visible batch, or NotFound (outside the actor's sight reads as missing)."""
    found = batches_for(ctx).filter(pk=batch_id).first()
    if found is None:
        raise NotFound()
    return found


def progress(ctx: Context, batch: ImportBatch) -> dict[str, Any]:
    """{"state","rows_total","rows_done","created","updated","duplicates","rejected","percent"} — counts only."""
    current = batch_for(ctx, batch.pk)
    done = current.created + current.updated + current.duplicates + current.rejected
    total = current.rows_total
    return {
        "state": current.state,
        "rows_total": total,
        "rows_done": done,
        "created": current.created,
        "updated": current.updated,
        "duplicates": current.duplicates,
        "rejected": current.rejected,
        "percent": 100 if total == 0 and current.state == "done" else (int(done * 100 / total) if total else 0),
    }


def provenance_for(ctx: Context, customer: Customer) -> ImportedRecord | None:
    """Where a customer the caller sees came from (batch, sheet, row) — recorded as a read of the customer's
    provenance. The caller must see the customer (checked here under its purpose)."""
    if not Customer.objects.visible_to(ctx, "view").filter(pk=customer.pk).exists():
        raise NotFound()
    record = ImportedRecord.objects.select_related("batch").filter(customer_id=customer.pk).first()
    if record is not None:
        from django.db import transaction

        with transaction.atomic():
            audit.record(
                ctx,
                "import.provenance_viewed",
                obj=record.batch,
                customer_id=customer.pk,
                detail={"import_batch": str(record.batch_id), "row": record.row_number},
            )
    return record


def template_by_name(ctx: Context, name: str) -> MappingTemplate:
    """The latest version of a saved mapping template (column names and field codes: nothing personal)."""
    found = MappingTemplate.objects.filter(name=name).order_by("-version").first()
    if found is None or (ctx.actor is not None and not allows(ctx.roles, IMPORTS, VIEW)):
        raise NotFound(_("No mapping template of that name."))
    return found


def owner_id_by_username(ctx: Context, username: str) -> int:
    """The id of an active sales rep or manager by username (who may own imported customers)."""
    found = (
        User.objects.filter(username=username, is_active=True, roles__code__in=[R.SALES_REP, R.SALES_MANAGER])
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise NotFound(_("No active sales rep or manager with this username."))
    return int(found)
