"""A small factory for the limits, terms, holds and reviews tests: credit files written directly (test setup, not a
domain write: the files slice owns ``open_credit_file``), and the people who make and check the changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from clientvault.accounts.models import User
from clientvault.approvals.models import ChangeRequest
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.risk.models import CreditFile
from clientvault.testing import customers as cf
from clientvault.testing.organisation import Org, user

YUAN = 100  # minor units per yuan (fen)


def credit_file(org: Org, *, owner: str = "rep_bj1", tier: str = "medium", terms_days: int = 30, **fields: Any) -> CreditFile:
    """A customer of ``owner`` with a credit file in CNY."""
    customer = cf.customer(org[owner])
    row = CreditFile(
        customer=customer,
        legal_entity_id=customer.legal_entity_id,
        currency="CNY",
        tier=tier,
        terms_days=terms_days,
        created_at=clock.now(),
        **fields,
    )
    row.save(force_insert=True)
    return row


def reload(row: CreditFile) -> CreditFile:
    return CreditFile.objects.unrestricted(reason="test").get(pk=row.pk)


def request(pk: Any) -> ChangeRequest:
    return ChangeRequest.objects.unrestricted(reason="test").get(pk=pk)


def second_risk_officer(org: Org) -> User:
    """A second risk officer of the same legal entity (the checker of the first one's changes)."""
    return User.objects.filter(username="risk2").first() or user("risk2", R.RISK_OFFICER, org.hq)


def no_values(detail: dict[str, Any], *values: object) -> bool:
    """The audit detail names none of ``values`` (amounts, days): codes and ids only."""
    text = json.dumps(detail, default=str)
    return not any(str(v) in text for v in values)


TODAY = dt.date(2026, 12, 1)
