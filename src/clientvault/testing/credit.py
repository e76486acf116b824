"""Credit files for tests (issue #16): rows written directly (test set-up, not a domain write: no audit event)."""

from __future__ import annotations

from typing import Any

from clientvault.core import clock
from clientvault.customers.models import Customer
from clientvault.risk.models import CreditFile

_SETUP = "test set-up"


def credit_file(c: Customer, **fields: Any) -> CreditFile:
    """A credit file for ``c`` (its customer's key must exist, as ``testing.customers.customer`` makes it)."""
    values: dict[str, Any] = {"currency": "CNY", "created_at": clock.now(), **fields}
    f = CreditFile(customer=c, legal_entity_id=c.legal_entity_id, **values)
    f.save(force_insert=True)
    return f


def reload(f: CreditFile) -> CreditFile:
    return CreditFile.objects.unrestricted(reason=_SETUP).get(pk=f.pk)
