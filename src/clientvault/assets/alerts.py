"""Early signals for compliance, raised in the posting transaction (issue #13; the monitoring work builds on them).

- ``frequent_changes``: an asset changed more than ``CLIENTVAULT_ASSET_ALERT_CHANGES`` times within
  ``CLIENTVAULT_ASSET_ALERT_HOURS`` hours (one open alert per asset and window, not one per entry);
- ``foreign_operator``: the operator's department is neither the asset's department, inside it, nor above
  it (a person outside the team that holds the customer moved the asset).

Alerts hold ids, codes and counts only; each leaves ``asset.alert_raised``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count

from clientvault.accounts.models import Department
from clientvault.assets.models import AlertKind, AlertStatus, Asset, AssetAlert, LedgerEntry
from clientvault.audit import recording as audit
from clientvault.core.context import Context


def thresholds() -> tuple[int, int]:
    return int(getattr(settings, "CLIENTVAULT_ASSET_ALERT_CHANGES", 20)), int(getattr(settings, "CLIENTVAULT_ASSET_ALERT_HOURS", 24))


def _operator_path(ctx: Context, operator_id: int) -> str | None:
    key = f"assets.operator_path.{operator_id}"
    cached = ctx.cache.get(key)
    if isinstance(cached, str):
        return cached or None
    path = Department.objects.filter(members__pk=operator_id).values_list("path", flat=True).first() or ""
    ctx.cache[key] = path
    return path or None


def _department_paths(ctx: Context, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Department id → path, remembered for the request (``ctx.cache``)."""
    cache = ctx.cache.setdefault("assets.department_paths", {})
    assert isinstance(cache, dict)
    missing = ids - set(cache)
    if missing:
        cache.update(Department.objects.filter(pk__in=missing).values_list("pk", "path"))
    return {i: cache[i] for i in ids if i in cache}


def raise_alerts(
    ctx: Context, assets: Iterable[Asset], *, journal_id: uuid.UUID, now: dt.datetime, operator_id: int | None
) -> list[AssetAlert]:
    """Check the customer assets a posting moved and raise what the rules above say (in the caller's transaction)."""
    watched = [a for a in assets if a.customer_id is not None]
    if not watched:
        return []
    limit, hours = thresholds()
    since = now - dt.timedelta(hours=hours)
    raised: list[AssetAlert] = []
    counts = dict(
        LedgerEntry.objects.filter(asset_id__in=[a.pk for a in watched], created_at__gte=since)
        .values("asset_id")
        .annotate(n=Count("id"))
        .values_list("asset_id", "n")
    )
    frequent = [a for a in watched if counts.get(a.pk, 0) > limit]
    if frequent:
        already = set(
            AssetAlert.objects.filter(
                asset_id__in=[a.pk for a in frequent], kind=AlertKind.FREQUENT_CHANGES, status=AlertStatus.OPEN, created_at__gte=since
            ).values_list("asset_id", flat=True)
        )
        for asset in frequent:
            if asset.pk not in already:
                raised.append(
                    _alert(asset, AlertKind.FREQUENT_CHANGES, operator_id, journal_id, now, changes=counts[asset.pk], hours=hours)
                )
    if operator_id is not None:
        operator_path = _operator_path(ctx, operator_id)
        paths = _department_paths(ctx, {a.department_id for a in watched if a.department_id is not None})
        for asset in watched:
            asset_path = paths.get(asset.department_id) if asset.department_id is not None else None
            if asset_path is None:
                continue
            inside = operator_path is not None and (operator_path.startswith(asset_path) or asset_path.startswith(operator_path))
            if not inside:
                raised.append(_alert(asset, AlertKind.FOREIGN_OPERATOR, operator_id, journal_id, now))
    for alert in raised:
        alert.save(force_insert=True)
        audit.record(
            ctx,
            "asset.alert_raised",
            obj=alert,
            customer_id=alert.asset.customer_id,
            detail={"alert_kind": alert.kind, "asset": str(alert.asset_id), "journal": str(journal_id)},
        )
    return raised


def _alert(asset: Asset, kind: str, operator_id: int | None, journal_id: uuid.UUID, now: dt.datetime, **detail: int) -> AssetAlert:
    return AssetAlert(
        asset=asset,
        kind=kind,
        operator_id=operator_id,
        journal_id=journal_id,
        legal_entity_id=asset.legal_entity_id,
        detail=dict(detail),
        created_at=now,
    )
