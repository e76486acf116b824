"""The demo's change requests are made and decided through the services (issue #13)."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.models import ChangeRequest
from clientvault.core.context import system_context
from clientvault.customers import entry_review
from clientvault.customers.choices import ReviewStatus
from clientvault.customers.imports import import_customers
from clientvault.customers.models import Customer
from clientvault.demo import seeding
from clientvault.demo.requests import seed_customer_requests
from clientvault.testing.actors import ctx
from clientvault.testing.customers import all_rows

pytestmark = pytest.mark.django_db


def test_demo_customers_are_accepted_by_compliance_and_requests_have_every_outcome(audit_events: Any) -> None:
    cli = system_context(channel="cli")
    users = seeding.build_organisation(cli)
    import_customers(ctx=cli, rows=seeding.customer_rows(40, users))
    accepted = entry_review.accept_imported(ctx=ctx(users["compliance"]))
    assert accepted == 40 and not all_rows(Customer).filter(review_status=ReviewStatus.PENDING).exists()
    assert {e.actor_id for e in audit_events("customer.entry_approved")} == {users["compliance"].pk}
    assert seed_customer_requests(users) == 10
    requests = ChangeRequest.objects.unrestricted(reason="test counts the demo's requests")
    entries = requests.filter(change_type="customers.entry_review")
    assert sorted(entries.values_list("status", flat=True)) == ["applied"] * 3 + ["rejected"] + ["submitted"] * 2
    cards = requests.filter(change_type="customers.sensitive_field")
    assert sorted(cards.values_list("status", flat=True)) == ["applied"] * 2 + ["submitted"] * 2
    reviews = all_rows(Customer).exclude(review_status=ReviewStatus.APPROVED)
    assert sorted(reviews.values_list("review_status", flat=True)) == ["pending", "pending", "rejected"]
