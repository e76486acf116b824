"""Customers and follow-ups written directly for test setup (sealed as the services seal them), and reads for assertions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from clientvault.accounts.models import User
from clientvault.classification import validators as V
from clientvault.customers.choices import IdType, Kind, ReviewStatus, Status
from clientvault.customers.models import Customer, FollowUp
from clientvault.testing.identifiers import counter, mobile, resident_id, uscc


def customer(owner: User, *, kind: str = Kind.INDIVIDUAL, review_status: str = ReviewStatus.APPROVED, **fields: Any) -> Customer:
    """A customer row written directly (test setup, not a domain write: no audit event), sealed as the
    service would seal it. The returned instance also carries the plaintext values as attributes.

    It has passed compliance review on entry unless ``review_status`` says otherwise (pending or rejected
    records are seen by their creator, ``created_by=``, and compliance only)."""
    from clientvault.customers import matching, profiles, vault

    assert owner.department is not None
    n = next(counter)
    base: dict[str, Any] = {"name": f"客户{n}", "status": Status.ACTIVE}
    if kind == Kind.INDIVIDUAL:
        number = resident_id(n)
        info = V.parse_resident_id(number)
        base.update(
            id_type=IdType.RESIDENT_ID,
            id_number=number,
            birth_date=info.birth_date,
            sex=info.sex,
            mobile=mobile(n),
            email=f"c{n}@example.cn",
            nationality="CN",
        )
    else:
        base.update(uscc=uscc(n), legal_representative="法人代表")
    base.update(fields)
    custom = base.pop("custom_data", {})
    c = Customer(
        kind=kind, owner=owner, department=owner.department, legal_entity_id=owner.department.legal_entity_id, review_status=review_status
    )
    plain = {k: base.pop(k) for k in list(base) if k in profiles.PLAIN_FIELDS or k in ("version", "created_by")}
    for key, value in plain.items():
        setattr(c, key, value)
    profiles._apply(c, base, custom)
    c.save(force_insert=True)
    matching.write_keys([c], {c.pk: base})  # as the services keep them (issue #14)
    for key in vault.ENCRYPTED_FIELDS:
        if not hasattr(c, key):
            setattr(c, key, {} if key == "custom_data" else ("" if key != "birth_date" else None))
    return c


def all_rows(model: type[models.Model]) -> Any:
    """Every row of a personal-data model, for test assertions and setup only (never in production code)."""
    return model._default_manager.unrestricted(reason="test assertion over every row")  # type: ignore[attr-defined]


def reload(c: Customer | Any) -> Customer:
    """Read a customer again from the database with every personal field decrypted (tests only)."""
    from clientvault.customers import vault

    pk = c.pk if isinstance(c, Customer) else c
    revealed: Customer = vault.reveal(all_rows(Customer).get(pk=pk))
    return revealed


def find(name: str) -> Any:
    """Customers whose name is exactly ``name`` (by blind index)."""
    from clientvault.customers import vault

    return all_rows(Customer).filter(name_bidx=vault.index("name", name))


def followup(c: Customer, author: User, **fields: Any) -> FollowUp:
    base: dict[str, Any] = {"occurred_at": dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), "channel": "phone", "summary": "电话回访"}
    base.update(fields)
    from clientvault.crypto import keystore
    from clientvault.customers import followups

    keystore.create_customer_key(c.pk)
    f = followups.build(c.pk, author, {"next_step": "", **base})
    f.save(force_insert=True)
    f.summary, f.next_step = base["summary"], base.get("next_step", "")  # the plaintext, for the test
    return f


def followup_text(f: FollowUp | Any) -> dict[str, str]:
    """A stored follow-up's summary and next step, decrypted from the database (tests only)."""
    from clientvault.customers import vault

    return vault.unseal_followup(all_rows(FollowUp).get(pk=f.pk if isinstance(f, FollowUp) else f))
