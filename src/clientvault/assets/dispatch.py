"""One movement request, from a form or the API, handed to the ledger service it names.

Views and API handlers parse input; this module turns the parsed movement into the one service call it
stands for (no write of its own, no read of personal data), so the web and the API post exactly alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.assets import money, reference, services
from clientvault.core.context import Context
from clientvault.core.errors import ValidationFailed

KINDS = ("deposit", "withdraw", "transfer", "pledge", "release", "close")


@dataclass(frozen=True)
class Movement:
    kind: str
    asset_id: uuid.UUID
    amount: str  # a decimal string as typed ("1234.56"); "" for close
    currency: str  # the currency the maker believes the asset is in; the service refuses a mismatch
    idempotency_key: str
    reason: str
    counter_asset_id: uuid.UUID | None = None


def post(ctx: Context, movement: Movement) -> Any:
    """Post ``movement`` through its service: ``Posted(journal)`` or ``Submitted(request)``."""
    if movement.kind not in KINDS:
        raise ValidationFailed({"kind": [_("Choose a movement.")]})
    if not movement.reason.strip():
        raise ValidationFailed({"reason": [_("Say why (kept with the ledger entry).")]})
    common: dict[str, Any] = {
        "ctx": ctx,
        "idempotency_key": movement.idempotency_key,
        "reason": movement.reason.strip(),
    }
    if movement.kind == "close":
        return services.close_asset(asset_id=movement.asset_id, **common)
    # The amount is read in the asset's currency: a client that believes it is another is refused, not rescaled.
    currency = reference.asset_currency(ctx, movement.asset_id)
    if movement.currency != currency:
        money.exponent(movement.currency)  # an unknown code is named as such
        raise ValidationFailed({"currency": [_("The asset is held in %(currency)s.") % {"currency": currency}]})
    amount_minor = money.to_minor(movement.amount, currency)
    common["amount_minor"] = amount_minor
    if movement.kind == "transfer":
        if movement.counter_asset_id is None:
            raise ValidationFailed({"counter_asset": [_("Name the asset that receives the transfer.")]})
        return services.transfer(from_asset_id=movement.asset_id, to_asset_id=movement.counter_asset_id, **common)
    service = {
        "deposit": services.deposit,
        "withdraw": services.withdraw,
        "pledge": services.pledge,
        "release": services.release,
    }[movement.kind]
    return service(asset_id=movement.asset_id, **common)
