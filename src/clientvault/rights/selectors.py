"""What a customer signed in to the portal reads about themselves (PIPL-44-48 right of access), audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import get_language

from clientvault.audit import recording as audit
from clientvault.classification.models import FieldClassification
from clientvault.core.context import Context
from clientvault.core.errors import NotFound
from clientvault.crypto import keystore
from clientvault.customers import vault
from clientvault.customers.choices import Sex
from clientvault.customers.models import Customer

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
    from clientvault.consents import rules
    from clientvault.core import clock

    until = Customer.objects.visible_to(ctx).filter(pk=customer_id).values_list("minor_until", flat=True).first()
    return rules.is_minor(until, clock.today())
