"""Assets for tests, opened and moved through the ledger services (so balances, entries and journals agree)."""

from __future__ import annotations

import uuid
from typing import Any

from clientvault.accounts.models import User
from clientvault.assets import services
from clientvault.assets.models import Asset
from clientvault.customers.models import Customer
from clientvault.testing.actors import ctx


def key() -> str:
    return f"test-{uuid.uuid4()}"


def open_asset(
    customer: Customer,
    by: User | None = None,
    *,
    kind: str = "deposit",
    currency: str = "CNY",
    identifier: str = "6222020200112233445",
    product: str = "活期储蓄",
    balance: int = 0,
) -> Asset:
    """An open asset of ``customer``, opened by ``by`` (default: the owner), with ``balance`` minor units deposited."""
    actor = by or customer.owner
    assert actor is not None
    result = services.open_asset(
        ctx=ctx(actor),
        customer_id=customer.pk,
        kind=kind,
        identifier=identifier,
        product=product,
        currency=currency,
        idempotency_key=key(),
        reason="test",
    )
    asset = asset_of(result)
    if balance:
        deposit(asset, balance, by=actor)
    return Asset.objects.unrestricted(reason="test setup reads the asset it opened").get(pk=asset.pk)


def asset_of(result: Any) -> Asset:
    """The asset a posted open returned."""
    (asset,) = result.assets.values()
    return asset  # type: ignore[no-any-return]


def deposit(asset: Asset, amount_minor: int, *, by: User) -> Any:
    return services.deposit(ctx=ctx(by), asset_id=asset.pk, amount_minor=amount_minor, idempotency_key=key(), reason="test")


def reload_asset(asset: Asset | uuid.UUID) -> Asset:
    pk = asset if isinstance(asset, uuid.UUID) else asset.pk
    return Asset.objects.unrestricted(reason="test assertion").get(pk=pk)
