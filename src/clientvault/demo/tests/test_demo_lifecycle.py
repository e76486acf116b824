"""The demo's lifecycle (issue #15): a deletion under an AML hold becomes a restriction; the sweep erases a prospect
last contacted four years ago and signs its certificate."""

from __future__ import annotations

import pytest

from clientvault.core.context import for_user, system_context
from clientvault.customers import entry_review
from clientvault.customers.imports import import_customers
from clientvault.demo import seeding
from clientvault.demo.assets import seed_assets
from clientvault.demo.lifecycle import seed_lifecycle
from clientvault.lifecycle import selectors
from clientvault.lifecycle.models import DeletionCertificate
from clientvault.testing.organisation import ensure_roles

pytestmark = pytest.mark.django_db


def test_demo_lifecycle_shows_a_hold_a_restriction_and_a_certificate() -> None:
    ensure_roles()
    users = seeding.build_organisation(system_context(channel="cli"))
    import_customers(ctx=system_context(channel="cli"), rows=seeding.customer_rows(20, users))
    entry_review.accept_imported(ctx=for_user(users["compliance"], channel="cli", purpose="compliance_review"))
    seed_assets(users, per_rep=1)
    result = seed_lifecycle(users)
    from clientvault.assets.models import Asset

    assert Asset.objects.unrestricted(reason="test").filter(customer__isnull=False).exists(), "the demo seeds assets"
    assert result["erased"] == 1 and result["restricted_under_hold"] is True
    assert DeletionCertificate.objects.count() == 1
    outcome = selectors.erasure_status("demo-aml-erasure")
    assert outcome is not None and outcome.state == "restricted" and outcome.hold_bases == ("aml",)
