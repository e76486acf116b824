"""The import engine (issue #14): rows → outcomes (create / update / duplicate / reject) → chunks written.

A chunk of CLIENTVAULT_IMPORT_CHUNK rows is one transaction: its customers (through the one path of every new
record, ``customers.prepare``), their provenance (``ImportedRecord``), the row issues, the audit events and the
batch's checkpoint commit together, or none of them does. The batch row is locked for the chunk and its
checkpoint compared with where the chunk starts, so two runners (a retried task and the command, say) never
write a row twice: the second finds the checkpoint moved and skips the chunk.

Keys: the key store is a separate database. A chunk's data keys are created (and committed there) before the
chunk's rows; a crash in between leaves keys for ids no row will ever have. Those orphans are harmless — the
ids are fresh UUIDv7s, never generated again, so no later customer can be sealed under an orphan key; the
re-run generates new ids and new keys (``tests/test_crash.py`` checks both).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.core import bulk, clock
from clientvault.core import roles as R
from clientvault.core.context import Context
from clientvault.core.errors import DomainError, Message, ValidationFailed
from clientvault.core.ids import new_id
from clientvault.crypto import keystore
from clientvault.customers import changes as customer_changes
from clientvault.customers import custom_fields, prepare, profiles, vault
from clientvault.customers import imports as customer_imports
from clientvault.customers.choices import Kind, ReviewStatus
from clientvault.customers.models import Customer, Tag
from clientvault.intake import mapping, readers, storage
from clientvault.intake.models import ImportBatch, ImportedRecord, OnMatch, RowIssue, RowOutcome

CREATE, UPDATE, DUPLICATE, REJECT = "create", "update", "duplicate", "reject"
# Reason codes (RowIssue.code): translated when shown, never holding the value.
REASONS: dict[str, Message] = {
    "required": _("A required value is missing."),
    "too_long": _("The value is too long."),
    "invalid_choice": _("The value is not one of the allowed values."),
    "not_applicable": _("The field does not apply to this customer type."),
    "unknown_custom_field": _("No such custom field for this customer type."),
    "invalid_date": _("The value is not a valid date."),
    "birth_date_mismatch": _("The date of birth differs from the one in the ID number."),
    "id_type_mismatch": _("The ID number does not match the ID type."),
    "invalid": _("The value is not valid for this field (format or check digit)."),
    "too_many_tags": _("Too many tags."),
    "duplicate_in_file": _("Same ID number or credit code as an earlier row of this file."),
    "duplicate_existing": _("A customer with this ID number or credit code is already registered."),
    "unknown_owner": _("No active sales rep or manager with this username in the legal entity."),
    "update_refused": _("The matching customer could not be updated by you (scope, review or a field you may not change)."),
    "updated": _("The matching customer was updated."),
    "not_changed": _("Left unchanged: you may not change this field of the matching customer."),
    "proposed": _("Changes to the matching customer were submitted for approval."),
}
_MESSAGE_CODES = {
    "This field is required.": "required",
    "Choose the type of the ID document.": "required",
    "Enter the ID number, or clear the ID type.": "required",
    "This field does not apply to this customer type.": "not_applicable",
    "This custom field does not exist for this customer type.": "unknown_custom_field",
    "Enter a valid date.": "invalid_date",
    "Enter a date of birth between 1900 and today.": "invalid_date",
    "The date of birth differs from the one in the ID number.": "birth_date_mismatch",
    "The number does not match the chosen ID type.": "id_type_mismatch",
}
MAX_TAGS = profiles.MAX_TAGS
KINDS = frozenset(Kind.values)


def reason_code(message: Message) -> str:
    """The code of a validation message (rules' messages never hold the value; the code holds even less)."""
    with translation.override("en"):
        text = str(message)
    if text in _MESSAGE_CODES:
        return _MESSAGE_CODES[text]
    if text.startswith("Use at most"):
        return "too_long"
    if text.startswith("Choose"):
        return "invalid_choice"
    return "invalid"


@dataclass
class Row:
    number: int
    outcome: str = CREATE
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (column, reason code)
    kind: str = ""
    cleaned: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    owner: User | None = None
    match_id: uuid.UUID | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # what an update sends: the cells that were filled

    def reject(self, column: str, code: str) -> None:
        self.outcome = REJECT
        self.reasons.append((column, code))


class Plan:
    """What every row of a batch is evaluated with: columns, custom field definitions, owners."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        index = {h: i for i, h in reversed(list(enumerate(batch.headers)))}
        self.columns = [(index[h], code) for h, code in batch.mapping.items() if code and h in index]
        self.column_of = {code: h for h, code in batch.mapping.items() if code}
        self.definitions = custom_fields.field_definitions()
        self.default_owner = User.objects.select_related("department").get(pk=batch.owner_id) if batch.owner_id else None
        self._owners: dict[str, User | None] = {}
        self.today = clock.today()

    def owner(self, username: str) -> User | None:
        if not username:
            return self.default_owner
        if username not in self._owners:
            candidate = (
                User.objects.filter(username=username, is_active=True, roles__code__in=[R.SALES_REP, R.SALES_MANAGER])
                .select_related("department")
                .first()
            )
            entity = self.batch.legal_entity_id
            ok = candidate is not None and candidate.department is not None and candidate.department.legal_entity_id == entity
            self._owners[username] = candidate if ok else None
        return self._owners[username]


def data_rows(batch: ImportBatch, *, after: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of the batch's data rows past ``after``; blank rows are skipped."""
    table = readers.open_table(lambda: storage.open_plain(batch.pk, batch.stored_name), filename=batch.file_name, sheet=batch.sheet)
    for number, cells in enumerate(table.rows(), start=1):
        if number <= batch.header_row or number <= after or not any(cells):
            continue
        yield number, cells


def evaluate(plan: Plan, rows: Sequence[tuple[int, list[str]]], seen: set[tuple[str, bytes]]) -> list[Row]:
    """Outcome of every row: validation through the one path of new records, then duplicates by blind index —
    within the file (``seen``, updated) and in the database (one query per identifier kind for the chunk)."""
    out: list[Row] = []
    for number, cells in rows:
        values = mapping.row_values(cells, plan.columns, default_kind=plan.batch.kind)
        row = Row(number=number, kind=values.kind, tags=values.tags)
        if values.kind not in KINDS:
            row.reject(plan.column_of.get("kind", "kind"), "invalid_choice")
            out.append(row)
            continue
        row.owner = plan.owner(values.owner)
        if row.owner is None:
            row.reject(plan.column_of.get("owner", "owner"), "unknown_owner")
        for code in values.unknown_choice:
            row.reject(plan.column_of.get(code, code), "invalid_choice")
        if len(values.tags) > MAX_TAGS:
            row.reject(plan.column_of.get("tags", "tags"), "too_many_tags")
        cleaned, custom, errors = prepare.validate(
            kind=values.kind, data=values.data, custom=values.custom, definitions=plan.definitions, today=plan.today
        )
        for name, messages in errors.items():
            column = plan.column_of.get(name, name)
            for message in messages[:1]:
                row.reject(column, reason_code(message))
        row.cleaned, row.custom = cleaned, custom
        row.changes = {k: cleaned[k] for k, v in values.data.items() if v not in ("", None) and k in cleaned}
        out.append(row)
    _duplicates(plan, [r for r in out if r.outcome != REJECT], seen)
    return out


def _keys(row: Row) -> list[tuple[str, bytes]]:
    entity = str(row.owner.department.legal_entity_id) if row.owner is not None and row.owner.department is not None else ""
    keys = []
    if row.cleaned.get("id_number"):
        keys.append((f"id:{entity}:{row.cleaned['id_type']}", vault.index("id_number", row.cleaned["id_number"])))
    if row.cleaned.get("uscc"):
        keys.append((f"uscc:{entity}", vault.index("uscc", row.cleaned["uscc"])))
    return keys


def _duplicates(plan: Plan, rows: list[Row], seen: set[tuple[str, bytes]]) -> None:
    keyed = [(r, _keys(r)) for r in rows]
    ids = {b for _r, ks in keyed for k, b in ks if k.startswith("id:")}
    usccs = {b for _r, ks in keyed for k, b in ks if k.startswith("uscc:")}
    held = Customer.objects.unrestricted(reason="an import may not duplicate an ID number or credit code held by anyone")
    existing: dict[tuple[str, bytes], uuid.UUID] = {}
    # Filtered as the unique indexes are built — (legal entity, ID type, index) where the index is not empty — so
    # each chunk's look-up is an index probe, not a scan of every customer (a chunk must not cost more as the
    # table grows).
    entities = {r.owner.department.legal_entity_id for r, _k in keyed if r.owner is not None and r.owner.department is not None}
    if ids:
        id_types = {str(r.cleaned.get("id_type") or "") for r, _k in keyed}
        by_id = held.filter(legal_entity_id__in=entities, id_type__in=id_types, id_number_bidx__in=ids).exclude(id_number_bidx=b"")
        for pk, entity, id_type, bidx in by_id.order_by().values_list("pk", "legal_entity_id", "id_type", "id_number_bidx"):
            existing[(f"id:{entity}:{id_type}", bytes(bidx))] = pk
    if usccs:
        by_uscc = held.filter(legal_entity_id__in=entities, uscc_bidx__in=usccs).exclude(uscc_bidx=b"")
        for pk, entity, bidx in by_uscc.order_by().values_list("pk", "legal_entity_id", "uscc_bidx"):
            existing[(f"uscc:{entity}", bytes(bidx))] = pk
    for row, keys in keyed:
        if not keys:
            continue
        column = plan.column_of.get("id_number" if keys[0][0].startswith("id:") else "uscc", "")
        found = next((existing[k] for k in keys if k in existing), None)
        if any(k in seen for k in keys):
            # An earlier row of the file has it (created by an earlier chunk, or to be created by this one).
            row.outcome = DUPLICATE
            row.reasons.append((column, "duplicate_in_file"))
        elif found is not None and plan.batch.on_match == OnMatch.UPDATE:
            row.outcome, row.match_id = UPDATE, found
        elif found is not None:
            row.outcome = DUPLICATE
            row.reasons.append((column, "duplicate_existing"))
        seen.update(keys)


def write_chunk(ctx: Context, plan: Plan, rows: list[Row], *, start_after: int, last: int) -> bool:
    """Write one evaluated chunk and move the checkpoint to ``last``, all in one transaction. False when another
    runner already moved the checkpoint past ``start_after`` (nothing written)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=plan.batch.pk)
        if batch.checkpoint_row != start_after:
            return False
        detail = {"import_batch": str(batch.pk)}
        creates = [r for r in rows if r.outcome == CREATE]
        ids = [new_id() for _ in creates]
        keystore.create_customer_keys(ids)  # committed in the key store at once: see the module's docstring
        person = ctx.actor
        customers: list[Customer] = []
        for cid, row in zip(ids, creates, strict=True):
            assert row.owner is not None
            customer = prepare.build(
                kind=row.kind, cleaned=row.cleaned, custom=row.custom, owner=row.owner, created_by=person, ensure_key=False, customer_id=cid
            )
            customers.append(customer)
        customer_imports.insert_new(ctx, customers, [(r.cleaned, r.custom) for r in creates], detail=detail)
        _link_tags([(c.pk, r.tags) for c, r in zip(customers, creates, strict=True) if r.tags])
        bulk.insert(
            ImportedRecord,
            [
                ImportedRecord(batch_id=batch.pk, customer_id=c.pk, sheet=batch.sheet, row_number=r.number)
                for c, r in zip(customers, creates, strict=True)
            ],
        )
        if person is not None:
            _submit_entry_reviews(ctx, customers)
        updated = 0
        for row in rows:
            if row.outcome == UPDATE:
                updated += _update(ctx, plan, row)
        RowIssue.objects.bulk_create(
            [
                RowIssue(batch_id=batch.pk, row_number=r.number, column=column[:100], outcome=_issue_outcome(r), code=code)
                for r in rows
                for column, code in r.reasons
            ],
            batch_size=1000,
        )
        batch.checkpoint_row = last
        batch.created += len(customers)
        batch.updated += updated
        batch.duplicates += sum(1 for r in rows if r.outcome == DUPLICATE)
        batch.rejected += sum(1 for r in rows if r.outcome == REJECT)
        batch.save(update_fields=["checkpoint_row", "created", "updated", "duplicates", "rejected"])
        plan.batch = batch
        return True


def _issue_outcome(row: Row) -> str:
    return {REJECT: RowOutcome.REJECTED, DUPLICATE: RowOutcome.DUPLICATE}.get(row.outcome, RowOutcome.UPDATED)


def _submit_entry_reviews(ctx: Context, customers: list[Customer]) -> None:
    """As ``create_customer`` does for a record a person enters: a pending one opens its entry review request,
    unless no active rule reviews it (nobody could decide it: approved at once)."""
    for customer in customers:
        if customer.review_status != ReviewStatus.PENDING:
            continue
        entry = customer_changes.entry_proposal(customer)
        if approvals.needs_approval(entry.change_type, entry.facts):
            customer_changes.submit_all(ctx, customer, [entry])
        else:
            Customer.objects.unrestricted(reason="an entry no rule reviews, as create_customer decides it").filter(pk=customer.pk).update(
                review_status=ReviewStatus.APPROVED
            )


def _update(ctx: Context, plan: Plan, row: Row) -> int:
    """An update through the customers' own update service (sensitive fields become change requests there).

    A field the service refuses (one the importer does not see in clear under their purpose, say) is left as it
    is and named on the row (``not_changed``); the rest of the row is sent again, once."""
    assert row.match_id is not None
    changes = {k: v for k, v in row.changes.items() if k not in ("id_number", "id_type", "uscc")}
    custom = dict(row.custom)
    for _attempt in range(2):
        try:
            customer = profiles.update_customer(ctx=ctx, customer_id=row.match_id, changes=changes, custom=custom or None)
        except ValidationFailed as exc:
            refused = set(exc.fields)
            fields = {f for f in refused if f in changes} | {f for f in refused if f.startswith("custom.") and f[7:] in custom}
            if not fields or fields != refused:
                break
            for name in sorted(fields):
                row.reasons.append((plan.column_of.get(name, name), "not_changed"))
                changes.pop(name, None)
                if name.startswith("custom."):
                    custom.pop(name[7:], None)
            continue
        except DomainError:
            break
        proposed = bool(getattr(customer, "change_requests", []))
        row.reasons.append(("", "proposed" if proposed else "updated"))
        return 1
    row.outcome = REJECT
    row.reasons.append((plan.column_of.get("id_number") or plan.column_of.get("uscc") or "", "update_refused"))
    return 0


def _link_tags(links: list[tuple[uuid.UUID, list[str]]]) -> None:
    if not links:
        return
    names = sorted({n[:40] for _c, tags in links for n in tags})
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in names if n not in existing], ignore_conflicts=True)
    by_name = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c, tag_id=by_name[n[:40]]) for c, tags in links for n in sorted(set(tags))],
        batch_size=1000,
        ignore_conflicts=True,
    )
