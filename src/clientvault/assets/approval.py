"""The ``assets.movement`` change type: movements above the approval rules' thresholds wait for a second
person (issue #13, "双人审核" / "主管复核"; ARCHITECTURE.md rule 12).

A service asks ``route`` before posting. When a rule matches, the movement becomes a change request
(values sealed under the customer's key by approvals) and nothing is posted; when the last approver
decides, approvals calls ``apply``, which re-posts the same movement through the same code with the
request as its approval (``Journal.approval_id``), the maker as operator. The request's target is the
asset the movement debits (or credits, for a deposit); approvals compares its version (the change type's
``fingerprint``), and ``apply`` compares the versions of every customer asset the movement touches, stored
with the values: any posting on them in between makes the request stale.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from clientvault.approvals import registry
from clientvault.approvals.registry import ChangeType, DiffRow, Facts, Pending, Proposal, Stale
from clientvault.assets import fx
from clientvault.assets.ledger import Movement
from clientvault.assets.models import Asset
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound

CODE = "assets.movement"
TARGET_TYPE = "assets.asset"
_REASON = "approval of an asset movement: the request is the authority (approvals checked the approver's scope)"
LABELS = {
    "deposit": _("Deposit"),
    "withdraw": _("Withdrawal"),
    "transfer": _("Transfer"),
    "fx_transfer": _("Transfer with currency exchange"),
    "pledge": _("Pledge"),
    "release": _("Release of pledge"),
}


def _target(target_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(target_id)
    except ValueError:
        raise NotFound() from None


def versions(ids: list[uuid.UUID]) -> str:
    """The assets' versions joined (``id:version``), read under row locks taken in sorted id order."""
    found = dict(
        Asset.objects.unrestricted(reason=_REASON).select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "version")
    )
    return ",".join(f"{i}:{found.get(i, 'missing')}" for i in ids)


def fingerprint(target_id: str) -> str:
    """The target asset's version, read under a row lock."""
    return versions([_target(target_id)])


def _facts(primary: Asset, amount: int, core: bool) -> Facts:
    """What the rules match on: the amount in the base currency (at today's rate), the currency, scope, core."""
    in_base = fx.rate(primary.currency, fx.base_currency(), clock.today()).convert(amount)
    return Facts(
        legal_entity_id=primary.legal_entity_id,
        department_id=primary.department_id,
        amount_minor=in_base,
        currency=primary.currency,
        core=core,
    )


def route(
    ctx: Context,
    op: str,
    values: Mapping[str, Any],
    movement: Movement,
    assets: Mapping[uuid.UUID, Asset],
    *,
    core: bool,
    idempotency_key: str,
    reason: str,
) -> Any | None:
    """The change request when a rule wants a second person for this movement (then nothing is posted), else None."""
    from clientvault.approvals import selectors as approval_selectors
    from clientvault.approvals import services as approvals

    primary = assets[movement.legs[0].asset_id]
    amount = abs(movement.legs[0].amount or movement.legs[0].pledged_delta)
    facts = _facts(primary, amount, core)
    if not approvals.needs_approval(CODE, facts):
        return None
    involved = [leg.asset_id for leg in movement.legs if assets[leg.asset_id].customer_id is not None]
    target_id = str(primary.pk)
    field_key = "movement:" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    for request in approval_selectors.open_for(TARGET_TYPE, target_id):
        if request.field_key == field_key:
            return request  # the same request retried: it is already waiting
    assert primary.customer_id is not None
    proposal = Proposal(
        change_type=CODE,
        target_type=TARGET_TYPE,
        target_id=target_id,
        field_key=field_key,
        subject_id=primary.customer_id,
        values={
            "op": op,
            "values": dict(values),
            "idempotency_key": idempotency_key,
            "involved": [str(i) for i in involved],
            "versions": ",".join(f"{i}:{assets[i].version}" for i in involved),
        },
        before={"balance": primary.balance, "pledged": primary.pledged, "currency": primary.currency},
        fingerprint=f"{primary.pk}:{primary.version}",
        facts=facts,
        summary=f"{op} {primary.currency} {fx.to_decimal(amount, primary.currency)}",
        fields=("balance",),
    )
    return approvals.submit(ctx, proposal, reason=reason)


def apply(ctx: Context, pending: Pending) -> None:
    """Post the approved movement (the maker as operator, the request as approval); Stale if the assets moved."""
    from clientvault.assets import services

    values = pending.values
    involved = [uuid.UUID(i) for i in values.get("involved", [])]
    if versions(involved) != values.get("versions"):
        raise Stale(_("An asset changed since the request was made; make the request again."))
    services._execute(
        ctx,
        str(values["op"]),
        dict(values["values"]),
        idempotency_key=str(values["idempotency_key"]),
        reason="",
        approval_id=pending.id,
        operator_id=pending.maker_id,
    )


def describe(ctx: Context, pending: Pending) -> list[DiffRow]:
    """The movement and its amount (no identifier, no balance: the request page links to the asset)."""
    values = pending.values
    inner = values.get("values", {})
    currency = str(pending.before.get("currency", ""))
    amount = int(inner.get("amount", 0))
    op = str(values.get("op", ""))
    # What the checker decides on: the kind of movement and its amount (the balance stays behind its policy).
    return [
        DiffRow("op", _("Movement"), "", str(LABELS.get(op, op)), shown_plain=True),
        DiffRow("amount", _("Amount"), "", f"{currency} {fx.to_decimal(amount, currency)}", shown_plain=True),
    ]


def in_scope(ctx: Context, pending: Pending) -> bool:
    """The approver may see the target asset."""
    return Asset.objects.visible_to(ctx, "view").filter(pk=_target(pending.target_id)).exists()


def link(pending: Pending) -> str:
    return f"/assets/{_target(pending.target_id)}/"


MOVEMENT = ChangeType(
    code=CODE, label=_("Asset movement"), fingerprint=fingerprint, apply=apply, describe=describe, in_scope=in_scope, link=link
)


def register() -> None:
    registry.register(MOVEMENT)
