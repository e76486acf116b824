"""Reads of the asset ledger that reveal nothing personal: an asset's currency (to read an amount typed for it),
the dated exchange rates and the asset alerts of the actor's legal entity (ids, codes, counts)."""

from __future__ import annotations

import uuid

from clientvault.assets.models import AlertStatus, Asset, AssetAlert, FxRate
from clientvault.core.capabilities import ASSET_ALERTS, FX_RATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied


def asset_currency(ctx: Context, asset_id: uuid.UUID) -> str:
    """The currency of a customer asset the actor may see (404 otherwise)."""
    currency = Asset.objects.visible_to(ctx, VIEW).filter(pk=asset_id, customer__isnull=False).values_list("currency", flat=True).first()
    if currency is None:
        raise NotFound()
    return str(currency)


def fx_rates(ctx: Context, *, limit: int = 500) -> list[FxRate]:
    """Dated exchange rates, newest first (reference data of the installation)."""
    if ctx.actor is None or not allows(ctx.roles, FX_RATES, VIEW):
        raise PermissionDenied()
    return list(FxRate.objects.order_by("-as_of", "currency")[:limit])


def alerts(ctx: Context, *, status: str = AlertStatus.OPEN, limit: int = 500) -> list[AssetAlert]:
    """Asset alerts of the actor's legal entity, newest first, each with its asset's kind (no identifier, no balance)."""
    if ctx.actor is None or not allows(ctx.roles, ASSET_ALERTS, VIEW):
        raise PermissionDenied()
    dept = ctx.actor.department
    if dept is None:
        return []
    qs = AssetAlert.objects.filter(legal_entity_id=dept.legal_entity_id, status=status).select_related("operator")
    found = list(qs.order_by("-created_at")[:limit])
    # The desk sees the alert, not the asset: only its kind.
    kinds = dict(
        Asset.objects.unrestricted(reason="the alert desk names the kind of an alert's asset")
        .filter(pk__in={a.asset_id for a in found})
        .values_list("pk", "kind")
    )
    for a in found:
        a.asset_kind = kinds.get(a.asset_id, "")  # type: ignore[attr-defined]
    return found
