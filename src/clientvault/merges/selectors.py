"""What the merge pages show (issue #14): every read of personal data here records its event (rule 2).

- ``compare``: the records side by side, each field as the viewer's plan shows it (plain / masked /
  withheld: only what the plan shows is decrypted), with the source each survivorship rule would choose;
  one ``merge.compared`` event per record shown, with the fields shown.
- ``get_merge``: a merge's lineage (non-personal: ids, picks as record positions, rule versions, dates, status)
  and whether it can still be undone; ``merge.viewed``.
- ``merges_of``: the merges a customer survived (its history's "merged from"), non-personal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import get_language

from clientvault.access.policies import Decision
from clientvault.audit import recording as audit
from clientvault.classification.models import FieldClassification
from clientvault.core.capabilities import DUPLICATES, VIEW, allows
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.customers import disclosure, merging, vault
from clientvault.customers.models import Customer
from clientvault.merges import planning, survivorship
from clientvault.merges.models import Merge, MergeStatus, Rule

EM_DASH = "—"


@dataclass(frozen=True)
class Cell:
    customer_id: uuid.UUID
    shown: str
    plain: bool


@dataclass(frozen=True)
class FieldRow:
    field: str
    label: str
    rule: str
    default: uuid.UUID  # the record the field's rule chooses (for the proposal form's preselection)
    cells: tuple[Cell, ...]  # one per record, in ``Comparison.records`` order


@dataclass
class Comparison:
    records: list[Customer]
    rows: list[FieldRow] = field(default_factory=list)


def _require(ctx: Context) -> None:
    if ctx.actor is None or not allows(ctx.roles, DUPLICATES, VIEW):
        raise PermissionDenied()


def _labels(fields: Sequence[str]) -> dict[str, str]:
    language = get_language()
    rows = FieldClassification.objects.filter(key__in=[disclosure.catalogue_key(f) for f in fields])
    by_key = {row.key: row.label(language) for row in rows}
    return {f: by_key.get(disclosure.catalogue_key(f), f) for f in fields}


def _cell(customer: Customer, name: str) -> Cell:
    views: dict[str, Any] = getattr(customer, "field_views", {})
    view = views.get(name)
    if name == "custom_data":
        shown = getattr(customer, "custom_data", None) or {}
        text = "; ".join(f"{k}: {v}" for k, v in sorted(shown.items()) if v not in (None, "")) or EM_DASH
        return Cell(
            customer.pk, text, all(getattr(v, "decision", None) == Decision.PLAIN for k, v in views.items() if k.startswith("custom."))
        )
    if name in ("status", "source"):
        value = getattr(customer, f"get_{name}_display")() or EM_DASH
        return Cell(customer.pk, str(value), True)
    value = getattr(customer, name, None)
    if view is None or view.decision is Decision.WITHHELD:
        return Cell(customer.pk, EM_DASH, False)
    text = value.isoformat() if isinstance(value, dt.date) else str(value or "")
    return Cell(customer.pk, text or EM_DASH, view.decision is Decision.PLAIN)


@transaction.atomic
def compare(ctx: Context, customer_ids: Sequence[uuid.UUID], *, survivor_id: uuid.UUID | None = None) -> Comparison:
    """The records side by side as the viewer may see them, and each field's rule choice; audited per record."""
    _require(ctx)
    ids = list(dict.fromkeys(customer_ids))
    planning.visible_all(ctx, ids)
    qs = Customer.objects.visible_to(ctx, "view").select_related("department")
    found = {c.pk: c for c in vault.with_key_state(qs).filter(pk__in=ids)}
    records = [found[i] for i in ids]
    vault.load_keys(records)
    # The rules' choices need the values: opened in memory (fresh instances), never shown or logged.
    opened = merging.records(ids)
    order = {c.pk: n for n, c in enumerate(records)}
    opened.sort(key=lambda c: order[c.pk])
    survivor = survivor_id if survivor_id in found else ids[0]
    kind = records[0].kind
    defaults: dict[str, uuid.UUID] = {}
    if len({c.kind for c in records}) == 1:
        defaults, _values = planning.plan(opened, survivor, {})
    _shown, the_plan = disclosure.disclose(ctx, records, with_custom=True)
    fields = survivorship.fields_for(kind)
    specs = planning.rule_specs()
    labels = _labels(fields)
    rows = [
        FieldRow(
            field=f,
            label=labels[f],
            rule=str(Rule(specs[f].rule).label) if f in specs else "",
            default=defaults.get(f, survivor),
            cells=tuple(_cell(c, f) for c in records),
        )
        for f in fields
    ]
    for customer in records:
        views: dict[str, Any] = customer.field_views  # type: ignore[attr-defined]
        fields_shown = sorted(f for f, v in views.items() if v.decision is not Decision.WITHHELD)
        detail = {"records": len(records), **disclosure.audit_detail([customer], the_plan)}
        audit.record(ctx, "merge.compared", obj=customer, customer_id=customer.pk, fields=fields_shown, detail=detail)
    return Comparison(records=records, rows=rows)


@dataclass(frozen=True)
class MergeView:
    merge: Merge
    positions: dict[str, int]  # customer id -> 1-based position (survivor is 1)
    picks: list[tuple[str, int, str]]  # (field label, record position, rule code)
    unmerge_blocked: list[str]
    deadline: dt.datetime | None


def visible_merges(ctx: Context) -> QuerySet[Merge]:
    """The merges whose survivor the viewer sees (DUPLICATES capability); no personal data."""
    _require(ctx)
    survivors = Customer.objects.visible_to(ctx, "view").values("pk")
    return Merge.objects.filter(Q(survivor_id__in=survivors)).order_by("-created_at")


@transaction.atomic
def get_merge(ctx: Context, merge_id: uuid.UUID | str) -> MergeView:
    """A merge's lineage and status if the viewer sees its survivor (404 otherwise); records ``merge.viewed``."""
    try:
        pk = uuid.UUID(str(merge_id))
    except ValueError:
        raise NotFound() from None
    merge = visible_merges(ctx).select_related("request", "unmerge_request", "proposed_by").filter(pk=pk).first()
    if merge is None:
        raise NotFound()
    positions = {cid: n + 1 for n, cid in enumerate(merge.customer_ids)}
    labels = _labels(list(merge.picks))
    picks = [(labels[f], positions.get(src, 0), (merge.rules.get(f) or ["", 0])[0]) for f, src in merge.picks.items()]
    blocked = planning.can_unmerge(merge) if merge.status == MergeStatus.APPLIED else []
    audit.record(ctx, "merge.viewed", obj=merge, customer_id=merge.survivor_id, detail={"merge_id": str(merge.pk), "status": merge.status})
    return MergeView(merge, positions, picks, blocked, planning.unmerge_deadline(merge))


def merges_of(ctx: Context, customer: Customer) -> list[Merge]:
    """The applied or undone merges this (visible) customer survived: ids and dates for its history page."""
    return list(visible_merges(ctx).filter(survivor=customer).exclude(status=MergeStatus.CANCELLED))


def merged_from(customer: Customer) -> list[Merge]:
    """The merges a customer the viewer already sees survived (its detail page): ids, dates, statuses only."""
    return list(Merge.objects.filter(survivor=customer, status__in=[MergeStatus.APPLIED, MergeStatus.UNMERGED]).order_by("-applied_at"))
