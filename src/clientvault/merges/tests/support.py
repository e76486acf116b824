"""Helpers for the merge tests: records with children, and a dump of every table as stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps

from clientvault.approvals import services as approvals
from clientvault.approvals.models import ChangeRequest
from clientvault.assets.models import Asset
from clientvault.core.context import Context
from clientvault.crypto import cipher
from clientvault.customers import lineage
from clientvault.customers.models import Customer
from clientvault.testing import assets as af
from clientvault.testing import consents as consf
from clientvault.testing import customers as cf

# Rows every merge/unmerge adds by design and the byte comparison leaves out — and why:
EXCLUDED = {
    "audit.auditevent": "the merge and unmerge leave their audit events (append-only, new rows only)",
    "approvals.changerequest": "the merge and unmerge requests themselves",
    "approvals.decision": "the checkers' decisions on those requests",
    "merges.merge": "the lineage row itself",
    "core.notification": "the maker is told the outcome of each request",
}


def identifier_of(asset: Asset) -> str:
    assert asset.customer_id is not None
    return cipher.decrypt(asset.customer_id, "assets.asset", "identifier", bytes(asset.identifier_ct), row=asset.pk)


def asset_with_identifier(c: Customer, number: str) -> Asset:
    a = af.asset(c, balance=10_000)
    sealed = cipher.encrypt(c.pk, "assets.asset", "identifier", number, row=a.pk)
    cf.all_rows(Asset).filter(pk=a.pk).update(identifier_ct=sealed)
    return af.reload(a)


def with_children(c: Customer, author: Any, *, purpose: str = "marketing", number: str = "6222020200112233") -> Customer:
    cf.followup(c, author, summary=f"跟进 {c.pk}", next_step="回访")
    consf.consent(c, purpose)
    asset_with_identifier(c, number)
    return c


def dump_all() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (all columns, bytes included), keyed by model, except the excluded ones."""
    out: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in EXCLUDED or not model._meta.managed:
            continue
        out[label] = lineage.dump(label)
    return out


def diff(a: dict[str, list[dict[str, Any]]], b: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}


def approve(checker_ctx: Context, request: ChangeRequest) -> ChangeRequest:
    approvals.approve(checker_ctx, request.pk, reason="same person")
    return ChangeRequest.objects.unrestricted(reason="test").get(pk=request.pk)


def live(ids: list[Any]) -> list[Customer]:
    return list(cf.all_rows(Customer).filter(pk__in=ids).order_by("pk"))


def later(minutes: int) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)
