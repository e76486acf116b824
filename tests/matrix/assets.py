"""The permission matrix's asset cases (issue #13): who sees and moves a customer's assets, the dated exchange
rates and the asset alerts; the assets are opened through the ledger services when a case first needs them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from clientvault.assets.models import AlertKind, Asset, AssetAlert
from clientvault.core import clock
from clientvault.testing.assets import open_asset, reload
from tests.matrix.world import USERS, World

# Asset sight follows the customer (access/defaults.py "*-assets"): owner and manager open and move assets;
# risk, compliance and auditors read them for their purposes; administrators and users without a role see none.
ASSET_CHANGE_IN = ("rep_bj1", "manager_bj")
ASSET_READ_ONLY = ("risk", "compliance", "auditor")
ASSET_NO_SIGHT = ("admin", "norole", "risk_other")
# Exchange rates are reference data of the whole installation (no legal-entity scope): compliance and administrators
# record them (assets.services.record_fx_rate), every risk officer and auditor reads them.
FX_EDITORS = ("admin", "compliance")
FX_READERS = ("admin", "compliance", "risk", "risk_other", "auditor")
NOT_FX_EDITORS = tuple(u for u in USERS if u not in FX_EDITORS)
NOT_FX_READERS = tuple(u for u in USERS if u not in FX_READERS)
ALERT_READERS = ("compliance", "auditor")
NOT_ALERT_READERS = tuple(u for u in USERS if u not in ALERT_READERS)
NOT_ALERT_DESK = tuple(u for u in USERS if u != "compliance")
START_BALANCE = 500_000  # CNY 5,000.00
MOVED = 12_345  # CNY 123.45: far under the approval threshold, posted at once


def _memo(w: World) -> dict[str, Any]:
    memo: dict[str, Any] | None = getattr(w, "_assets_memo", None)
    if memo is None:
        memo = {}
        w._assets_memo = memo  # type: ignore[attr-defined]
    return memo


def asset_for(w: World, foreign: bool) -> Asset:
    """A deposit account of the case's customer holding CNY 5,000.00, opened by its owner."""
    memo = _memo(w)
    name = "foreign" if foreign else "target"
    if name not in memo:
        c = w.customer_for(foreign)
        memo[name] = open_asset(c, w.org["rep_other" if foreign else "rep_bj1"], balance=START_BALANCE)
    return memo[name]  # type: ignore[no-any-return]


def asset_id(w: World, foreign: bool) -> uuid.UUID:
    return asset_for(w, foreign).pk


def alert_id(w: World, foreign: bool) -> int:
    """An open alert on the target's asset (written directly: raising one is the ledger's business, tested there)."""
    memo = _memo(w)
    if "alert" not in memo:
        asset = asset_for(w, foreign)
        memo["alert"] = AssetAlert.objects.create(
            asset=asset,
            kind=AlertKind.FREQUENT_CHANGES,
            operator=w.org["rep_bj1"],
            legal_entity_id=asset.legal_entity_id,
            detail={"changes": 21, "hours": 24},
            created_at=clock.now(),
        ).pk
    return memo["alert"]  # type: ignore[no-any-return]


def _key() -> str:
    return str(uuid.uuid4())


def open_form(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "kind": "fund",
        "identifier": "F00012345",
        "product": "货币基金",
        "currency": "CNY",
        "reason": "矩阵开户",
        "idempotency_key": _key(),
    }


def open_payload(w: World, foreign: bool) -> dict[str, Any]:
    return {
        "customer_id": str(w.customer_for(foreign).pk),
        "kind": "fund",
        "identifier": "F00012345",
        "currency": "CNY",
        "reason": "矩阵开户",
    }


def _assets_of(w: World, foreign: bool) -> list[Asset]:
    return list(Asset.objects.unrestricted(reason="matrix assertion").filter(customer=w.customer_for(foreign)))


def asset_opened(w: World, foreign: bool, ok: bool) -> None:
    funds = [a for a in _assets_of(w, foreign) if a.kind == "fund"]
    assert len(funds) == (1 if ok else 0), f"expected {1 if ok else 0} new fund holding, got {len(funds)}"


def _remember_balance(w: World, foreign: bool) -> None:
    """The balance before the case's request (cases that share one world, as the MFA sweep, move it in turn)."""
    _memo(w)["before"] = reload(asset_for(w, foreign)).balance


def move_form(w: World, foreign: bool) -> dict[str, Any]:
    _remember_balance(w, foreign)
    return {"kind": "withdraw", "amount": "123.45", "currency": "CNY", "reason": "矩阵取款", "idempotency_key": _key()}


def move_payload(w: World, foreign: bool) -> dict[str, Any]:
    _remember_balance(w, foreign)
    return {"kind": "withdraw", "amount": "123.45", "currency": "CNY", "reason": "矩阵取款"}


def moved(w: World, foreign: bool, ok: bool) -> None:
    asset = reload(asset_for(w, foreign))
    before = _memo(w)["before"]
    assert asset.balance == before - (MOVED if ok else 0), (asset.balance, before)


def close_form(w: World, foreign: bool) -> dict[str, Any]:
    """The case's asset, emptied by its owner first (only an empty asset closes)."""
    from clientvault.assets import services
    from clientvault.testing.actors import ctx

    asset = asset_for(w, foreign)
    owner = w.org["rep_other" if foreign else "rep_bj1"]
    balance = reload(asset).balance
    if balance:
        services.withdraw(ctx=ctx(owner), asset_id=asset.pk, amount_minor=balance, idempotency_key=_key(), reason="matrix")
    return {"reason": "矩阵销户", "idempotency_key": _key()}


def closed(w: World, foreign: bool, ok: bool) -> None:
    asset = reload(asset_for(w, foreign))
    assert (asset.status == "closed") is ok, asset.status


def idempotency_headers(w: World, foreign: bool) -> dict[str, str]:
    return {"Idempotency-Key": _key()}


def fx_form(w: World, foreign: bool) -> dict[str, Any]:
    return {"currency": "USD", "rate": "7.1234", "as_of": "2026-01-05", "source": "matrix"}


def fx_payload(w: World, foreign: bool) -> dict[str, Any]:
    return {"currency": "USD", "rate": "7.1234", "as_of": "2026-01-05", "source": "matrix"}


def fx_added(w: World, foreign: bool, ok: bool) -> None:
    from clientvault.assets.models import FxRate

    assert FxRate.objects.filter(currency="USD", as_of=dt.date(2026, 1, 5)).count() == (1 if ok else 0)


def acknowledged(w: World, foreign: bool, ok: bool) -> None:
    status = AssetAlert.objects.get(pk=_memo(w)["alert"]).status
    assert (status == "acknowledged") is ok, status
