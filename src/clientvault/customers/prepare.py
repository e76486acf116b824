"""The one path a new customer record takes before it is inserted, whoever enters it (issue #14).

``profiles.create_customer`` (the UI and the API, one record), ``imports.import_customers`` (the demo seeder,
the operator's command) and ``intake`` (files, in chunks) all call these functions: validate with the field
catalogue's validators (``rules``), seal every personal field under the customer's own key with its blind
index (``vault``), set the review status on entry (``entry_review``), and after the insert write the match
keys (``matching.write_keys``, when that module is present). Nothing here writes a row or records an event:
the callers own their transactions and their audit events (one ``customer.created`` per customer).
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings

from clientvault.accounts.models import User
from clientvault.core import clock
from clientvault.core.errors import Message
from clientvault.customers import entry_review, minors, rules, vault
from clientvault.customers.custom_fields import field_definitions
from clientvault.customers.models import Customer

# Stored in clear (codes used for filtering); everything else personal is sealed by the vault.
PLAIN_FIELDS = ("status", "source", "is_core", "id_type", "nationality", "residency", "industry", "uscc_needs_review")


def validate(
    *,
    kind: str,
    data: Mapping[str, Any],
    custom: Mapping[str, Any],
    definitions: Sequence[rules.FieldDefinition] | None = None,
    today: dt.date | None = None,
    accept_uscc_checksum_failure: bool = False,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[Message]]]:
    """(cleaned standard fields, cleaned custom values, errors per field) — never raises for bad input."""
    cleaned, errors = rules.clean_customer(
        data, kind=kind, today=today or clock.today(), accept_uscc_checksum_failure=accept_uscc_checksum_failure
    )
    custom_clean, custom_errors = rules.clean_custom_values(custom, field_definitions() if definitions is None else definitions, kind=kind)
    return cleaned, custom_clean, {**errors, **custom_errors}


def apply_values(customer: Customer, values: Mapping[str, Any], custom: Mapping[str, Any] | None, *, ensure_key: bool = True) -> None:
    """Set plain fields, seal personal ones, and leave the plaintext on the instance for the caller."""
    for field in PLAIN_FIELDS:
        if field in values:
            setattr(customer, field, values[field])
    sealed = {f: values[f] for f in vault.ENCRYPTED_FIELDS if f in values}
    if custom is not None:
        sealed["custom_data"] = dict(custom)
    vault.seal(customer, sealed, ensure_key=ensure_key)
    for field, value in sealed.items():
        setattr(customer, field, value)
    if "birth_date" in values:
        customer.minor_until = minors.stored_minor_until(values["birth_date"], clock.today(), settings.CLIENTVAULT_CONSENT_CHILD_AGE)


def build(
    *,
    kind: str,
    cleaned: Mapping[str, Any],
    custom: Mapping[str, Any],
    owner: User,
    created_by: User | None,
    ensure_key: bool = True,
    customer_id: uuid.UUID | None = None,
) -> Customer:
    """An unsaved customer: owner's department and legal entity, values sealed, review status at entry.

    ``ensure_key=False``: the caller has created the data keys already (``keystore.create_customer_keys``)."""
    assert owner.department is not None
    customer = Customer(kind=kind, owner=owner, department=owner.department, legal_entity_id=owner.department.legal_entity_id)
    customer.created_by = created_by
    if customer_id is not None:
        customer.pk = customer_id
    apply_values(customer, cleaned, custom, ensure_key=ensure_key)
    customer.review_status = entry_review.status_at_entry(customer)
    return customer


def filled_fields(cleaned: Mapping[str, Any], custom: Mapping[str, Any]) -> list[str]:
    """The field codes a ``customer.created`` event names (codes only, never values)."""
    return [f for f in rules.EDITABLE_FIELDS if cleaned.get(f) not in ("", None, False)] + [f"custom.{k}" for k in custom]


def after_insert(customers: Iterable[Customer], values_by_id: Mapping[uuid.UUID, Mapping[str, Any]]) -> None:
    """What follows the insert of new customers in the same transaction: their match keys (issue #14,
    ``customers.matching``), written in bulk."""
    try:
        matching = importlib.import_module("clientvault.customers.matching")
    except ModuleNotFoundError:
        return
    write_keys = getattr(matching, "write_keys", None)
    if write_keys is not None:
        write_keys(list(customers), values_by_id, new=True)
