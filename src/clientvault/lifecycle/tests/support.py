"""Helpers for the lifecycle tests."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from clientvault.core.context import system_context
from clientvault.customers.choices import Status
from clientvault.customers.models import Customer
from clientvault.testing import customers as cf

SYSTEM = system_context(channel="task")
no_approval = override_settings(CLIENTVAULT_DELETION_APPROVAL=False)


def prospect(owner: Any, **fields: Any) -> Customer:
    """A customer who never had a business relationship: no AML duty, so erasable."""
    return cf.customer(owner, status=Status.PROSPECT, **fields)


def raw(c: Customer) -> Customer:
    found: Customer = cf.all_rows(Customer).get(pk=c.pk)
    return found
