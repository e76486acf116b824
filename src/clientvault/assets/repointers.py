"""How assets follow a merge (issue #14; registered with ``customers.lineage`` in ``AssetsConfig.ready``).

An asset moves to the survivor: ``customer_id`` changes, its identifier is re-sealed under the survivor's key
(it is bound to (customer, asset row), ``services.IDENTIFIER_AD_MODEL``), and its department follows the
survivor's. The ledger is untouched: entries and journals point at the asset, not the customer, and stay
append-only (the triggers of ``triggers.py`` refuse a change of an asset's balance, pledged amount, version
or status without an entry, not a change of its customer). An unmerge writes the asset row back as it was.
"""

from __future__ import annotations

import uuid

from clientvault.assets.models import Asset
from clientvault.core.context import Context
from clientvault.crypto import cipher
from clientvault.customers import lineage
from clientvault.customers.models import Customer

MODEL = "assets.asset"
_AD = "assets.asset"


def _snapshot(ids: list[uuid.UUID]) -> lineage.Rows:
    return lineage.dump(MODEL, customer_id__in=ids)


def _repoint(ctx: Context, from_id: uuid.UUID, survivor_id: uuid.UUID) -> int:
    held = Asset.objects.unrestricted(reason="merge: re-point a merged record's assets")
    survivors = Customer.objects.unrestricted(reason="merge: the survivor's department scopes its assets")
    department_id = survivors.filter(pk=survivor_id).values_list("department_id", flat=True).get()
    moved = 0
    for asset in held.filter(customer_id=from_id).order_by("pk"):
        sealed = b""
        if asset.identifier_ct:
            text = cipher.decrypt(from_id, _AD, "identifier", bytes(asset.identifier_ct), row=asset.pk)
            sealed = cipher.encrypt(survivor_id, _AD, "identifier", text, row=asset.pk)
        held.filter(pk=asset.pk).update(customer_id=survivor_id, identifier_ct=sealed, department_id=department_id)
        moved += 1
    return moved


def _restore(ctx: Context, rows: lineage.Rows) -> None:
    lineage.restore_rows(rows)


def register() -> None:
    lineage.register(lineage.Repointer("assets", MODEL, _snapshot, _repoint, _restore))
