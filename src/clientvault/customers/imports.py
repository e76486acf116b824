"""Bulk import of customers with their follow-ups: validated row by row, written all-or-nothing.

Used by the demo seeder now and by ``clientvault import FILE`` later. Runs only under the system
context of an operator's command (channel ``cli``); every customer gets its own audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import User
from clientvault.audit import recording as audit
from clientvault.core import bulk, clock
from clientvault.core.context import Context
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.core.ids import new_id
from clientvault.crypto import keystore
from clientvault.customers import prepare, rules, vault
from clientvault.customers.custom_fields import field_definitions
from clientvault.customers.followups import TEXT_FIELDS as FOLLOWUP_TEXT
from clientvault.customers.followups import build as build_followup
from clientvault.customers.followups import clean_followup
from clientvault.customers.models import Customer, FollowUp, Tag


@dataclass
class ImportRow:
    kind: str
    data: dict[str, Any]
    owner: User
    custom: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)


@transaction.atomic
def import_customers(*, ctx: Context, rows: Sequence[ImportRow], batch_size: int = 500) -> int:
    """Validate every row, then insert customers, tags, follow-ups and audit events in bulk."""
    if ctx.actor is not None or "system" not in ctx.roles or ctx.channel not in {"cli", "system"}:
        raise PermissionDenied(_("Bulk import runs only from the clientvault command on the server."))
    today = clock.today()
    definitions = field_definitions()
    errors: dict[str, list[Any]] = {}
    pending_followups: list[tuple[uuid.UUID, User, dict[str, Any]]] = []
    seen_ids: set[tuple[str, str, str]] = set()
    seen_uscc: set[tuple[str, str]] = set()
    tag_links: list[tuple[uuid.UUID, list[str]]] = []
    pending: list[tuple[uuid.UUID, ImportRow, dict[str, Any], dict[str, Any]]] = []
    for index, row in enumerate(rows, start=1):
        # The one path of every new record (customers/prepare.py): the same validation as the UI's.
        cleaned, custom, row_errors = prepare.validate(
            kind=row.kind, data=row.data, custom=row.custom, definitions=definitions, today=today
        )
        for name, messages in row_errors.items():
            errors[f"row{index}.{name}"] = messages
        dept = row.owner.department
        if dept is None:
            errors[f"row{index}.owner"] = [_("The owner must belong to a department.")]
            continue
        entity = str(dept.legal_entity_id)
        if cleaned.get("id_number"):
            key = (entity, cleaned["id_type"], cleaned["id_number"])
            if key in seen_ids:
                errors[f"row{index}.id_number"] = [_("A customer with this ID number is already registered.")]
            seen_ids.add(key)
        if cleaned.get("uscc"):
            ukey = (entity, cleaned["uscc"])
            if ukey in seen_uscc:
                errors[f"row{index}.uscc"] = [_("A customer with this credit code is already registered.")]
            seen_uscc.add(ukey)
        customer_id = new_id()
        pending.append((customer_id, row, cleaned, custom))
        tag_links.append((customer_id, row.tags))
        for f_index, raw in enumerate(row.followups, start=1):
            try:
                clean_f = clean_followup(raw)
            except ValidationFailed as exc:
                for name, messages in exc.fields.items():
                    errors[f"row{index}.followup{f_index}.{name}"] = messages
                continue
            pending_followups.append((customer_id, raw.get("author") or row.owner, clean_f))
    _check_existing(seen_ids, seen_uscc, errors)
    rules.raise_if(errors)
    # Keys only once every row is valid, all in one key-store transaction; then seal each row.
    keystore.create_customer_keys([cid for cid, _r, _c, _x in pending])
    # Review on entry (issue #13): imported rows have no maker; compliance decides them (entry_review.accept_imported).
    customers = [
        prepare.build(kind=row.kind, cleaned=cleaned, custom=custom, owner=row.owner, created_by=None, ensure_key=False, customer_id=cid)
        for cid, row, cleaned, custom in pending
    ]
    # Follow-ups are sealed under their customer's key by the follow-up module, as its service does.
    followups: list[FollowUp] = [build_followup(cid, author, clean_f) for cid, author, clean_f in pending_followups]
    insert_new(ctx, customers, [(p[2], p[3]) for p in pending], batch_size=batch_size)
    _link_tags(tag_links, batch_size)
    FollowUp.objects.bulk_create(followups, batch_size=batch_size)
    # Every write leaves its event (ARCHITECTURE.md rule 1): one ``followup.created`` per imported follow-up.
    audit.record_many(
        ctx,
        (
            ("followup.created", f, f.customer_id, [t for t in FOLLOWUP_TEXT if pf[2].get(t)])
            for f, pf in zip(followups, pending_followups, strict=True)
        ),
    )
    return len(customers)


def insert_new(
    ctx: Context,
    customers: Sequence[Customer],
    values: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    detail: Mapping[str, Any] | None = None,
    batch_size: int = 1000,
) -> None:
    """Insert new customers built by ``prepare.build`` (keys created, values sealed), in the caller's transaction:
    the rows, their match keys (``prepare.after_insert``) and one ``customer.created`` event each, naming the
    fields filled (``values``: the cleaned standard and custom values of each, in order) and ``detail`` (such
    as the import batch). The bulk paths' end of the one path of new records (issue #14)."""
    bulk.insert(Customer, customers, batch_size=batch_size)
    prepare.after_insert(customers, {c.pk: v[0] for c, v in zip(customers, values, strict=True)})
    audit.record_many(
        ctx,
        (("customer.created", c, c.pk, prepare.filled_fields(v[0], v[1])) for c, v in zip(customers, values, strict=True)),
        detail=detail,
    )


def _check_existing(ids: set[tuple[str, str, str]], usccs: set[tuple[str, str]], errors: dict[str, list[Any]]) -> None:
    """Compare the batch with what is stored, by blind index."""
    held = Customer.objects.unrestricted(reason="an import may not duplicate an ID number or credit code held by anyone")
    if ids:
        wanted = {(e, t, vault.index("id_number", n)) for e, t, n in ids}
        stored = held.filter(id_number_bidx__in=[b for _e, _t, b in wanted]).values_list("legal_entity_id", "id_type", "id_number_bidx")
        if {(str(e), t, bytes(b)) for e, t, b in stored} & wanted:
            errors["rows.id_number"] = [_("Some ID numbers are already registered.")]
    if usccs:
        wanted_u = {(e, vault.index("uscc", u)) for e, u in usccs}
        stored_u = held.filter(uscc_bidx__in=[b for _e, b in wanted_u]).values_list("legal_entity_id", "uscc_bidx")
        if {(str(e), bytes(b)) for e, b in stored_u} & wanted_u:
            errors["rows.uscc"] = [_("Some credit codes are already registered.")]


def _link_tags(links: list[tuple[uuid.UUID, list[str]]], batch_size: int) -> None:
    names = sorted({n for _c, tags in links for n in tags})
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    Tag.objects.bulk_create([Tag(name=n) for n in names if n not in existing], batch_size=batch_size)
    by_name = {t.name: t for t in Tag.objects.filter(name__in=names)}
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c, tag_id=by_name[n].pk) for c, tags in links for n in sorted(set(tags))], batch_size=batch_size
    )
