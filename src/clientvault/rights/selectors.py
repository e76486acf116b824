"""What a customer signed in to the portal reads about themselves (PIPL-44-48 right of access), audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import get_language

from clientvault.audit import recording as audit
from clientvault.classification.models import FieldClassification
from clientvault.consents import rules
from clientvault.core import clock
from clientvault.core.context import Context
from clientvault.core.errors import NotFound, PermissionDenied
from clientvault.crypto import keystore
from clientvault.customers import vault
from clientvault.customers.choices import Sex
from clientvault.customers.models import Customer
from clientvault.rights.request_views import PartView, RequestView

# What the portal shows of a person's own record, in this order (labels come from the field catalogue).
SHOWN = (
    "name", "id_type", "id_number", "birth_date", "sex", "mobile", "email", "address", "nationality", "residency", "occupation",
    "uscc", "legal_representative", "registered_address", "bank_card",
)  # fmt: skip


@dataclass
class OwnRecord:
    customer: Customer
    fields: list[tuple[str, str, Any]]  # (field, label, value)


@transaction.atomic
def own_records(ctx: Context) -> list[OwnRecord]:
    """Every record we hold about the signed-in customer, decrypted for them; one audited access per record."""
    if not ctx.subject_ids:
        raise NotFound()
    language = get_language()
    labels = {f.key: f.label(language) for f in FieldClassification.objects.filter(key__in=[f"customer.{n}" for n in SHOWN])}
    out = []
    for customer in Customer.objects.visible_to(ctx).select_related("legal_entity").order_by("created_at"):
        try:
            opened = vault.unseal(customer)
        except keystore.KeyDestroyed:
            continue  # erased: nothing left to show
        values = []
        for name in SHOWN:
            value = opened[name] if name in opened else getattr(customer, name, "")
            display = getattr(customer, f"get_{name}_display", None)
            if display is not None and value:
                value = display()
            elif name == "sex" and value in Sex.values:
                value = Sex(value).label
            elif hasattr(value, "isoformat"):
                value = value.isoformat()  # dates as 2026-11-23 (UI.md)
            if value not in (None, "", {}):
                values.append((name, labels.get(f"customer.{name}", name), value))
        audit.record(ctx, "subject.data_viewed", obj=customer, customer_id=customer.pk, fields=[v[0] for v in values])
        out.append(OwnRecord(customer, values))
    return out


def entity_names(ctx: Context) -> dict[uuid.UUID, str]:
    """The legal entity that holds each of the signed-in person's records (headings on the consents page)."""
    return {c.pk: c.legal_entity.name for c in Customer.objects.visible_to(ctx).select_related("legal_entity")}


def is_minor(ctx: Context, customer_id: uuid.UUID) -> bool:
    """Whether the signed-in person's record is a child's (PIPL-31: a guardian consents at the counter)."""

    until = Customer.objects.visible_to(ctx).filter(pk=customer_id).values_list("minor_until", flat=True).first()
    return rules.is_minor(until, clock.today())


# --- Data-subject requests (issue #15) ----------------------------------------------------------------


@dataclass
class RequestFilters:
    status: str = ""  # "" (open), "all", or one status
    kind: str = ""
    flagged: bool = False


def request_list(ctx: Context, filters: RequestFilters, *, limit: int = 200) -> list[RequestView]:
    """Requests the viewer may see, by due date (no due date first: flagged, fail closed); metadata only."""
    from clientvault.rights.choices import OPEN_STATUSES
    from clientvault.rights.models import RightsRequest
    from clientvault.rights.requests import soon_days

    qs = RightsRequest.objects.visible_to(ctx).select_related("handler")
    if filters.status == "":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.flagged:
        qs = qs.exclude(calendar_flag="")
    today = clock.today()
    rows = [RequestView.of(r, today, soon_days()) for r in qs.order_by(F("due_on").asc(nulls_first=True), "received_at")[:limit]]
    return rows


def _may_read_details(ctx: Context, request: Any) -> bool:
    """The customer, the compliance team and whoever logged it (while they still see the customer) read the
    sealed details; auditors read metadata."""
    from clientvault.core.capabilities import CHANGE, RIGHTS_REQUESTS, allows
    from clientvault.rights.querysets import customers_in_sight

    if ctx.actor is None:
        return request.subject_id in ctx.subject_ids
    if allows(ctx.roles, RIGHTS_REQUESTS, CHANGE):
        return True
    if request.created_by_id != ctx.actor.pk:
        return False
    seen = customers_in_sight(ctx)  # who logged it reads it only while they still see the customer
    return seen is not None and seen.filter(pk=request.customer_id).exists()


@transaction.atomic
def get_request(ctx: Context, request_id: uuid.UUID) -> RequestView:
    """One request with its parts and clock; its sealed details opened for those who may read them. Audited
    ``rights.request_viewed`` (also when nothing sealed is shown)."""
    from clientvault.rights import requests
    from clientvault.rights.models import RequestPart, RightsRequest

    request = RightsRequest.objects.visible_to(ctx).select_related("handler").filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    view = RequestView.of(request, clock.today(), requests.soon_days())
    view.parts = [PartView.of(p) for p in RequestPart.objects.visible_to(ctx).filter(request=request).order_by("kind")]
    shown: list[str] = []
    if _may_read_details(ctx, request):
        try:
            details = requests.details_of(request)
            view.text, view.changes, view.purpose = details.get("text", ""), details.get("changes") or {}, details.get("purpose", "")
            view.refusal_text = requests.unseal(request, "refusal_text")
            view.extension_reason = requests.unseal(request, "extension_reason")
            shown = ["details", "refusal_text", "extension_reason"]
        except keystore.KeyDestroyed:
            shown = []  # erased: the request's metadata is all that is left
    audit.record(ctx, "rights.request_viewed", obj=request, customer_id=request.customer_id, fields=shown)
    return view


@dataclass
class Download:
    filename: str
    content_type: str
    data: bytes


@transaction.atomic
def download_part(ctx: Context, request_id: uuid.UUID, part_kind: str) -> Download:
    """The sealed result of a done part (the access package), for the customer or the compliance team (to hand
    it over); audited ``rights.package_downloaded`` in the same transaction."""
    from clientvault.core.capabilities import CHANGE, RIGHTS_REQUESTS, allows
    from clientvault.rights import fulfilment
    from clientvault.rights.models import RequestPart, RightsRequest
    from clientvault.rights.request_views import FILES

    request = RightsRequest.objects.visible_to(ctx).filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    if ctx.actor is not None and not allows(ctx.roles, RIGHTS_REQUESTS, CHANGE):
        raise PermissionDenied()
    part = RequestPart.objects.visible_to(ctx).filter(request=request, kind=part_kind, status="done").first()
    if part is None or part_kind not in FILES or not bytes(part.result_ct):
        raise NotFound()
    try:
        data = fulfilment.open_result(request, part)
    except keystore.KeyDestroyed as exc:
        raise NotFound() from exc
    content_type, extension = FILES[part_kind]  # type: ignore[index]
    detail = {"request": str(request.pk), "part": part_kind, "bytes": len(data)}
    audit.record(ctx, "rights.package_downloaded", obj=part, customer_id=request.customer_id, detail=detail)
    return Download(f"{part_kind}-{str(request.pk)[:8]}.{extension}", content_type, data)
