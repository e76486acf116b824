"""Every read that reveals customer personal data (ARCHITECTURE.md rule 1), each audited.

Lists record one ``customer.listed`` event per page served (which filters, how many rows, never
the search terms: they are often ID or phone numbers); a detail view records one ``customer.viewed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clientvault.access import engine
from clientvault.access.policies import CHANGE, CREATE, CUSTOMER, DELETE, EXPORT, FOLLOWUP, Decision
from clientvault.audit import recording as audit
from clientvault.core.context import Context
from clientvault.core.errors import Conflict, NotFound, PermissionDenied
from clientvault.crypto import cipher, keystore
from clientvault.customers import disclosure, reminders, vault
from clientvault.customers import followups as followup_views
from clientvault.customers.choices import Kind, ReviewStatus, Status
from clientvault.customers.models import Customer, CustomFieldDefinition, FollowUp

# What a list row shows, and so all that a list page decrypts (never more than the page shows).
LIST_FIELDS = ("name", "mobile", "uscc")
# What an export holds of each customer (contact lists: the marketing use).
EXPORT_FIELDS = ("name", "mobile", "email", "uscc")
# Names are encrypted, so lists sort by time only.
SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "updated": "updated_at",
    "-updated": "-updated_at",
}
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    owner_id: int | None = None
    tag: str = ""
    sort: str = "-created"
    review: str = ""  # entry review: pending / approved / rejected (issue #13)
    due: str = ""  # "today" / "overdue": the actor's customers whose next step is due (customers/reminders.py)

    def active_keys(self) -> list[str]:
        keys = [k for k in ("q", "status", "kind", "tag", "review", "due") if getattr(self, k)]
        return keys + (["owner_id"] if self.owner_id is not None else [])


@dataclass
class CustomerPage:
    items: list[Customer]
    number: int
    per_page: int
    total: int
    num_pages: int
    filters: CustomerFilters
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _search(qs: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Exact match (after normalisation) on name, ID number, credit code, mobile or e-mail, by blind index.

    There is no partial name search: a substring index over encrypted names would let anyone who can read
    the database group customers by shared characters, so only exact matches are offered.
    """
    q = " ".join(q.split())[:100]
    if not q:
        return qs
    digits = cipher.normalise("bank_card", q)
    kinds = ["name", "id_number", "uscc", "mobile"] + (["email"] if "@" in q else [])
    if digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19:
        kinds.append("bank_card")
    cond = Q()
    for kind in kinds:
        term = vault.index(kind, q)
        if term:  # a term that normalises to nothing (e.g. "-") must not match every empty field
            cond |= Q(**{f"{kind}_bidx": term})
    return qs.filter(cond) if cond else qs.none()


def filtered_customers(ctx: Context, filters: CustomerFilters, action: str = "view") -> QuerySet[Customer]:
    qs: QuerySet[Customer] = Customer.objects.visible_to(ctx, action)
    qs = _search(qs, filters.q)
    if filters.status in Status.values:
        qs = qs.filter(status=filters.status)
    if filters.kind in Kind.values:
        qs = qs.filter(kind=filters.kind)
    if filters.review in ReviewStatus.values:
        qs = qs.filter(review_status=filters.review)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.tag:
        qs = _tag_filter(ctx, qs, filters.tag)
    if filters.due:
        qs = reminders.filter_due(ctx, qs, filters.due)
    return qs.order_by(SORTS.get(filters.sort, "-created_at"), "id")


def _tag_filter(ctx: Context, qs: QuerySet[Customer], tag: str) -> QuerySet[Customer]:
    """Rows with the tag, among those whose tags the actor sees in clear: a tag filter over rows whose
    tags are masked or withheld would tell which customers carry the tag all the same."""

    rules = engine.policies(ctx)
    tags_class = engine.field_classes(ctx).get(disclosure.catalogue_key(disclosure.TAGS), ("C3",))[0]

    def plain(jrt_class: str) -> bool:
        views = [rules.in_scope_view(role, ctx.purpose, jrt_class, CUSTOMER) for role in ctx.roles]
        return any(v is not None and v.decision is Decision.PLAIN for v in views)

    if not plain(tags_class):
        return qs.none()
    qs = qs.filter(tags__name=tag)
    return qs if plain("C3") else qs.exclude(is_core=True)  # a core customer's tags count as C3


@transaction.atomic
def list_customers(ctx: Context, filters: CustomerFilters, *, page: int = 1, per_page: int = 25) -> CustomerPage:
    """One page of the customers the actor may see, with the filters applied; audited."""
    engine.require_purpose(ctx)
    if not engine.can(ctx, CUSTOMER, "view"):
        raise PermissionDenied()
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    qs = filtered_customers(ctx, filters).select_related("owner", "department").prefetch_related("tags")
    paginator = Paginator(vault.with_key_state(qs), per_page)
    page_obj = paginator.get_page(page)
    items = list(page_obj.object_list)
    vault.load_keys(items)
    shown, plan = disclosure.disclose(ctx, items, LIST_FIELDS)
    audit.record(
        ctx,
        "customer.listed",
        object_type="customers.customer",
        fields=shown,
        detail={
            "result_count": paginator.count,
            "page": page_obj.number,
            "rows_shown": len(items),
            "filter_keys": filters.active_keys(),
            **disclosure.audit_detail(items, plan),
        },
    )
    return CustomerPage(
        items=items,
        number=page_obj.number,
        per_page=per_page,
        total=paginator.count,
        num_pages=paginator.num_pages,
        filters=filters,
    )


@transaction.atomic
def export_customers(ctx: Context, filters: CustomerFilters) -> list[Customer]:
    """Every customer the filtered list holds, for a role whose policy grants ``export`` under the declared
    purpose, shown as that policy decides (masked stays masked); audited as one ``customer.exported``.

    Under a consent-based purpose the rows are those with live consent (rule 5): a marketing list never
    holds a customer who withdrew. More rows than ``CLIENTVAULT_EXPORT_MAX_ROWS`` are refused, not cut.
    """
    from django.conf import settings

    engine.require_purpose(ctx)
    if not engine.can(ctx, CUSTOMER, EXPORT):
        raise PermissionDenied()
    qs = filtered_customers(ctx, filters, EXPORT).select_related("owner").prefetch_related("tags")
    total = qs.count()
    limit = settings.CLIENTVAULT_EXPORT_MAX_ROWS
    if total > limit:
        raise Conflict(
            _("%(count)s customers: more than the %(limit)s one export may hold. Narrow the filters.") % {"count": total, "limit": limit},
            code="export_too_large",
        )
    items = list(qs)
    keystore.prefetch([c.pk for c in items])
    shown, plan = disclosure.disclose(ctx, items, EXPORT_FIELDS)
    detail = {"rows": total, "filter_keys": filters.active_keys(), **disclosure.audit_detail(items, plan)}
    audit.record(ctx, "customer.exported", object_type="customers.customer", fields=shown, detail=detail)
    return items


@transaction.atomic
def get_customer(ctx: Context, customer_id: uuid.UUID | str, *, with_followups: bool = True) -> Customer:
    """The customer's full profile (and follow-ups) if the actor may see it; else NotFound. Audited."""
    try:
        pk = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound() from None
    qs = Customer.objects.visible_to(ctx, "view").select_related("owner", "department", "legal_entity").prefetch_related("tags")
    customer = vault.with_key_state(qs).filter(pk=pk).first()
    if customer is None:
        raise NotFound()
    vault.load_keys([customer])
    shown, plan = disclosure.disclose(ctx, [customer], with_custom=True)
    views: dict[str, Any] = customer.field_views  # type: ignore[attr-defined]
    masked = sorted(f for f, v in views.items() if v.decision != "plain")
    detail = {"not_in_clear": masked, **disclosure.audit_detail([customer], plan)}
    if with_followups:
        followups = list(FollowUp.objects.visible_to(ctx, "view").filter(customer=customer).select_related("author"))
        customer.visible_followups = followups  # type: ignore[attr-defined]
        shown += [f"followup.{f}" for f in followup_views.present(ctx, customer, followups)]
        detail = _merged(detail, followup_views.audit_detail(ctx, customer))
    audit.record(ctx, "customer.viewed", obj=customer, customer_id=customer.pk, fields=shown, detail=detail)
    return customer


def _merged(detail: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two plans' audit details as one: the codes and the consent-withheld fields of both."""
    out = {**detail, **more}
    for key in ("disclosure", "withheld_for_consent"):
        if key in detail or key in more:
            out[key] = sorted({*detail.get(key, ()), *more.get(key, ())})
    return out


@transaction.atomic
def list_followups(ctx: Context, customer_id: uuid.UUID, *, page: int = 1, per_page: int = 25) -> tuple[list[FollowUp], int]:
    """Follow-ups of one visible customer, newest first; audited."""
    customer = followup_views.visible_customer(ctx, customer_id)
    qs = FollowUp.objects.visible_to(ctx, "view").filter(customer_id=customer_id).select_related("author")
    paginator = Paginator(qs, max(1, min(per_page, MAX_PER_PAGE)))
    page_obj = paginator.get_page(page)
    items = list(page_obj.object_list)
    shown = followup_views.present(ctx, customer, items)
    audit.record(
        ctx,
        "followup.listed",
        object_type="customers.followup",
        customer_id=customer_id,
        fields=shown,
        detail={"result_count": paginator.count, "page": page_obj.number, **followup_views.audit_detail(ctx, customer)},
    )
    return items, paginator.count


@transaction.atomic
def get_followup(ctx: Context, followup_id: uuid.UUID) -> FollowUp:
    """One follow-up the actor may see; audited as a follow-up read."""
    followup = FollowUp.objects.visible_to(ctx, "view").select_related("author").filter(pk=followup_id).first()
    if followup is None:
        raise NotFound()
    customer = followup_views.visible_customer(ctx, followup.customer_id)
    shown = followup_views.present(ctx, customer, [followup])
    audit.record(
        ctx,
        "followup.listed",
        obj=followup,
        customer_id=followup.customer_id,
        fields=shown,
        detail={"result_count": 1, "page": 1, **followup_views.audit_detail(ctx, customer)},
    )
    return followup


@dataclass(frozen=True)
class CustomerMeta:
    """What a page needs to know about a customer without revealing personal data."""

    id: uuid.UUID
    kind: str
    status: str
    version: int
    owner_id: int | None
    can_change: bool
    can_delete: bool
    can_follow_up: bool
    is_core: bool = False
    locked_fields: tuple[str, ...] = ()  # not in clear for this actor and purpose: not editable


def customer_meta(ctx: Context, customer_id: uuid.UUID) -> CustomerMeta:
    """Type, status and the actor's permissions on a visible customer; NotFound otherwise. No reveal."""

    row = (
        Customer.objects.visible_to(ctx, "view")
        .select_related("department")
        .only("kind", "status", "version", "owner_id", "legal_entity_id", "is_core", "minor_until", "department__path")
        .filter(pk=customer_id)
        .first()
    )
    if row is None:
        raise NotFound()
    can_change = Customer.objects.visible_to(ctx, CHANGE).filter(pk=customer_id).exists()
    custom_keys = [d.key for d in CustomFieldDefinition.objects.filter(active=True)]
    views = disclosure.decisions(ctx, row, (*disclosure.DISCLOSED, disclosure.TAGS), custom_keys)
    return CustomerMeta(
        id=customer_id,
        kind=row.kind,
        status=row.status,
        version=row.version,
        owner_id=row.owner_id,
        can_change=can_change,
        can_delete=row.status == Status.PROSPECT and Customer.objects.visible_to(ctx, DELETE).filter(pk=customer_id).exists(),
        can_follow_up=can_change and engine.can(ctx, FOLLOWUP, CREATE),
        is_core=row.is_core,
        locked_fields=tuple(sorted(f for f, v in views.items() if v.decision != "plain")),
    )


@transaction.atomic
def reveal_fields(ctx: Context, customer_id: uuid.UUID | str, fields: list[str]) -> dict[str, Any]:
    """Reveal several fields at once, all or nothing: one refused field records no reveal at all."""
    return {field: reveal_field(ctx, customer_id, field).value for field in dict.fromkeys(fields)}


@dataclass(frozen=True)
class Revealed:
    field: str
    value: Any
    masked: str  # what the page showed before, to fall back to


@transaction.atomic
def reveal_field(ctx: Context, customer_id: uuid.UUID | str, field: str) -> Revealed:
    """The clear value of one masked field, for an actor whose policy allows revealing it (查看明文).

    JRT0171-DISPLAY-mask: reveal only with role justification; the event names the field and carries the
    declared purpose. Out of scope is NotFound; a field that may not be revealed is PermissionDenied.
    """
    try:
        pk = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound() from None
    customer = Customer.objects.visible_to(ctx, "reveal").select_related("department").filter(pk=pk).first()
    if customer is None:
        if Customer.objects.visible_to(ctx, "view").filter(pk=pk).exists():
            raise PermissionDenied()
        raise NotFound()
    value = disclosure.reveal_plain(ctx, customer, field)
    audit.record(ctx, "customer.field_revealed", obj=customer, customer_id=customer.pk, fields=[field])
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return Revealed(field, value, disclosure.masked_form(field, value))


@dataclass
class DuplicateMatches:
    """What a user is shown of a duplicate check: the matching records they may see (fields as their policy
    shows them, each with ``match``: the reasons and score), and how many blocking matches they may not see."""

    items: list[Customer]
    hidden_blocking: int = 0


# What a duplicate panel shows of a matching record: its name, and the fields it matched on (no more).
_DUPLICATE_FIELDS = ("name", "id_number", "uscc", "mobile", "email", "birth_date")


@transaction.atomic
def duplicate_matches(ctx: Context, report: Any) -> DuplicateMatches:
    """The matches of a ``customers.matching.MatchReport`` the actor may see, masked per policy; audited as
    ``customer.duplicates_shown`` (which records, which fields, in which form) even when none is shown.

    Of matches outside the actor's scope only blocking ones are counted (a count, never details): the
    refusal already says the ID number or credit code is taken, the count adds nothing. Warnings and likely
    matches the actor may not see are neither shown nor counted (``create_customer`` does not ask about
    them): a count would confirm that someone with this phone number, or this name and birth date, is a
    customer — which the actor's scope is there to withhold."""
    engine.require_purpose(ctx)
    by_id = {m.customer_id: m for m in report.matches}
    qs = Customer.objects.visible_to(ctx, "view").filter(pk__in=list(by_id)).select_related("owner")
    order = list(by_id)
    items = sorted(vault.with_key_state(qs), key=lambda c: order.index(c.pk))
    vault.load_keys(items)
    reasons = {r for m in report.matches for r in m.reasons}
    fields = [f for f in _DUPLICATE_FIELDS if f == "name" or f in reasons]
    shown, plan = disclosure.disclose(ctx, items, fields) if items else ([], None)
    for customer in items:
        customer.match = by_id[customer.pk]  # type: ignore[attr-defined]
    seen = {c.pk for c in items}
    hidden = sum(1 for m in report.blocking if m.customer_id not in seen)
    detail: dict[str, Any] = {
        "shown_ids": [str(c.pk) for c in items],
        "hidden_blocking": hidden,
        "reasons": sorted(reasons),
        **(disclosure.audit_detail(items, plan) if plan is not None else {}),
    }
    audit.record(ctx, "customer.duplicates_shown", object_type="customers.customer", fields=shown, detail=detail)
    return DuplicateMatches(items=items, hidden_blocking=hidden)
