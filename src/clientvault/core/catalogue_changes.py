"""A catalogue change that waits for a second person — one mechanism for every versioned catalogue (rule 12).

``core.catalogue_service.save_version`` writes a change at once unless the catalogue's ``widening`` finds that it
widens sight or lowers protection; then the catalogue's ``propose`` records it as a pending change instead. This
module is that proposal and its decision, written once (access policies, approval rules, survivorship rules,
retention rules and the credit-control catalogues each used to hand-write the same four steps):

- ``CatalogueChange``: the abstract pending-change row (what would become of the row, which fields change, which
  of them lower protection, why, who proposed and who decided). Concrete models add the key field and their
  constraints (one pending change per row; maker ≠ checker at the database).
- ``ChangeFlow``: how one catalogue's changes are proposed and decided — its change model, audit events and the
  sentences a refused decision says.
- ``propose`` records a pending change (the caller's transaction; one audit event); ``approve`` writes the
  proposed values as the row's next version, the proposer's, through ``catalogue_service.write`` (refused when the
  row changed since: stale); ``reject`` closes it. A decision needs the change capability, is never the
  proposer's own, and leaves one audit event naming both people.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientvault.core import auditing as audit
from clientvault.core import catalogue_service, clock
from clientvault.core.capabilities import CHANGE, allows
from clientvault.core.catalogue_service import Catalogue
from clientvault.core.catalogues import REASON_LENGTH, VersionedEntry
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientvault.core.ids import new_id


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CatalogueChange(models.Model):
    """A change to a catalogue row waiting for a second person. ``proposed`` is the whole row as it would become;
    ``base_version`` the version it changes (None: a new row); ``lowers`` the fields whose change lowers
    protection (the catalogue's ``widening``). The concrete model declares its key field (``ChangeFlow.key_field``)."""

    Status = ChangeStatus

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    base_version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    proposed = models.JSONField(_("proposed values"))
    fields = models.JSONField(_("changed fields"), default=list)
    lowers = models.JSONField(_("lowers protection"), default=list)
    reason = models.CharField(_("reason"), max_length=REASON_LENGTH)
    status = models.CharField(_("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=REASON_LENGTH, blank=True)

    class Meta:
        abstract = True
        ordering = ["-proposed_at"]


def change_constraints(prefix: str, key: str = "code") -> list[models.BaseConstraint]:
    """A concrete change model's constraints: one pending change per row, and the checker is not the maker."""
    return [
        models.UniqueConstraint(fields=[key], condition=models.Q(status="pending"), name=f"{prefix}_one_pending"),
        models.CheckConstraint(
            condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("proposed_by")),
            name=f"{prefix}_checker_not_maker",
        ),
    ]


@dataclass(frozen=True)
class ChangeFlow:
    """How one catalogue's pending changes are proposed and decided."""

    catalogue: Catalogue
    change_model: type[Any]  # a concrete model with the fields of ``CatalogueChange`` (older ones: a subset)
    object_type: str  # the audit object type of the catalogue's rows
    proposed_event: str
    approved_event: str
    rejected_event: str
    already_waiting: str | Promise
    stale: str | Promise
    maker_is_checker: str | Promise
    decision_reason_required: bool = True
    allow_new: bool = False  # a proposal may create a row (base None)
    lowers_field: str = "lowers"  # the column (and audit detail key) naming what lowers protection
    key_field: str = "code"  # the change model's column naming the catalogue row

    @property
    def _has(self) -> frozenset[str]:
        return frozenset(f.name for f in self.change_model._meta.get_fields())

    def key_of(self, change: Any) -> str:
        return str(getattr(change, self.key_field))


def propose(
    flow: ChangeFlow, *, ctx: Context, code: str, base: VersionedEntry | None, cleaned: Mapping[str, Any], fields: list[str], reason: str
) -> Any:
    """Record the change as pending, in the caller's transaction (which locked ``base``); nothing takes effect."""
    if ctx.actor is None or (base is None and not flow.allow_new):
        raise PermissionDenied()
    model = flow.change_model
    if model._default_manager.select_for_update().filter(**{flow.key_field: code}, status=ChangeStatus.PENDING).exists():
        raise Conflict(flow.already_waiting, code="already_waiting")
    values: dict[str, Any] = {
        flow.key_field: code, "base_version": base.version if base is not None else None, "proposed": dict(cleaned),
        "fields": list(fields), "reason": reason[:REASON_LENGTH], "proposed_by": ctx.actor, "proposed_at": clock.now(),
    }  # fmt: skip
    detail: dict[str, Any] = {}
    if flow.lowers_field in flow._has and flow.catalogue.widening is not None:
        values[flow.lowers_field] = flow.catalogue.widening(base.snapshot() if base is not None else None, cleaned)
        detail[flow.lowers_field] = values[flow.lowers_field]
    change = model._default_manager.create(**values)
    detail = {"change_id": str(change.pk), "base_version": change.base_version, **detail}
    audit.record(ctx, flow.proposed_event, object_type=flow.object_type, object_id=code, fields=list(fields), detail=detail)
    return change


def _pending(flow: ChangeFlow, ctx: Context, change_id: Any, reason: str) -> tuple[Any, str]:
    if ctx.actor is None or not allows(ctx.roles, flow.catalogue.capability, CHANGE):
        raise PermissionDenied()
    try:
        pk = uuid.UUID(str(change_id))
    except ValueError:
        raise NotFound() from None
    change = flow.change_model._default_manager.select_for_update().filter(pk=pk).first()
    if change is None:
        raise NotFound()
    if change.status != ChangeStatus.PENDING:
        raise Conflict(_("This change was already decided."), code="already_decided")
    if change.proposed_by_id == ctx.actor_id:
        raise PermissionDenied(flow.maker_is_checker, code="maker_is_checker")
    reason = " ".join((reason or "").split())[:REASON_LENGTH]
    if not reason and flow.decision_reason_required:
        raise ValidationFailed({"reason": [_("Say why you decide so.")]})
    return change, reason


def _decided(flow: ChangeFlow, ctx: Context, change: Any, status: str, reason: str, event: str, **detail: Any) -> None:
    change.status, change.decided_by, change.decided_at = status, ctx.actor, clock.now()
    update = ["status", "decided_by", "decided_at"]
    if "decision_reason" in flow._has:
        change.decision_reason = reason
        update.append("decision_reason")
    change.save(update_fields=update)
    info = {"change_id": str(change.pk), "proposed_by": change.proposed_by_id, "decided_by": ctx.actor_id, **detail}
    if flow.approved_event == flow.rejected_event:  # one event for both outcomes says which
        info["approved"] = status == ChangeStatus.APPROVED
    audit.record(ctx, event, object_type=flow.object_type, object_id=flow.key_of(change), fields=change.fields, detail=info)


@transaction.atomic
def approve(flow: ChangeFlow, *, ctx: Context, change_id: Any, reason: str = "") -> VersionedEntry:
    """The second person approves: the proposed values become the row's next version (or version 1), the proposer's."""
    change, reason = _pending(flow, ctx, change_id, reason)
    catalogue = flow.catalogue
    key = flow.key_of(change)
    row = catalogue.model._default_manager.select_for_update().filter(**{catalogue.model.KEY: key}).first()
    if (row.version if row is not None else None) != change.base_version:
        raise Conflict(flow.stale, code="stale")
    cleaned = catalogue.clean(dict(change.proposed))  # what the values refer to may have gone since
    catalogue.check_duties(ctx, row, cleaned)  # e.g. nobody approves a policy of a role they hold
    who = {"proposed_by": change.proposed_by_id, "approved_by": ctx.actor_id}
    row = catalogue_service.write(
        catalogue, ctx=ctx, row=row, key=key, cleaned=cleaned, reason=change.reason, changed_by=change.proposed_by, detail=who
    )
    _decided(flow, ctx, change, ChangeStatus.APPROVED, reason, flow.approved_event, version=row.version)
    return row


@transaction.atomic
def reject(flow: ChangeFlow, *, ctx: Context, change_id: Any, reason: str = "") -> Any:
    change, reason = _pending(flow, ctx, change_id, reason)
    _decided(flow, ctx, change, ChangeStatus.REJECTED, reason, flow.rejected_event)
    return change
