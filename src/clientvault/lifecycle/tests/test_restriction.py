"""Restriction (PIPL-47, GDPR-18): a restricted customer and their follow-ups, assets and consents are seen by
compliance only (reads audited as any read), never for a consent-based purpose, never in an export; the customer in
the portal still sees their own; restrict/lift on request are idempotent and a hold keeps the restriction."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.consents.models import ConsentRecord
from clientvault.customers.models import Customer, FollowUp
from clientvault.lifecycle import holds, services
from clientvault.lifecycle.tests.support import raw
from clientvault.testing import consents as consf
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx, subject_ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


def test_restricted_customer_is_stored_only(org: Org, audit_events: Any) -> None:
    rep = org["rep_bj1"]
    c = cf.customer(rep)
    cf.followup(c, rep, summary="面谈")
    consf.consent(c, "marketing")
    officer = ctx(org["compliance"])
    services.restrict_on_request(officer, customer_id=c.pk, request_ref="rr-restrict", reason="客户要求")
    services.restrict_on_request(officer, customer_id=c.pk, request_ref="rr-restrict", reason="客户要求")  # idempotent
    assert len([e for e in audit_events("lifecycle.restricted") if e.detail.get("already") is None]) == 1
    assert raw(c).restriction_basis == "request"
    for name in ("rep_bj1", "manager_bj", "risk", "auditor"):
        who = ctx(org[name])
        assert not Customer.objects.visible_to(who).filter(pk=c.pk).exists(), name
        assert not FollowUp.objects.visible_to(who).filter(customer_id=c.pk).exists(), name
        assert not ConsentRecord.objects.visible_to(who).filter(customer_id=c.pk).exists(), name
    review = ctx(org["compliance"], purpose="compliance_review")
    assert Customer.objects.visible_to(review).filter(pk=c.pk).exists()
    assert FollowUp.objects.visible_to(review).filter(customer_id=c.pk).exists()
    assert not Customer.objects.visible_to(review, "export").filter(pk=c.pk).exists()  # no export
    assert not Customer.objects.visible_to(ctx(org["compliance"], purpose="marketing")).filter(pk=c.pk).exists()  # no marketing
    assert Customer.objects.visible_to(subject_ctx(c)).filter(pk=c.pk).exists()  # PIPL-45: their own data
    services.lift_request_restriction(officer, customer_id=c.pk, request_ref="rr-restrict")
    assert raw(c).restricted_at is None and Customer.objects.visible_to(ctx(rep)).filter(pk=c.pk).exists()


def test_a_hold_keeps_the_restriction_when_the_request_is_lifted(org: Org) -> None:
    c = cf.customer(org["rep_bj1"])
    officer = ctx(org["compliance"])
    services.restrict_on_request(officer, customer_id=c.pk, request_ref="rr-2", reason="客户要求")
    holds.place_hold(officer, customer_id=c.pk, basis="regulator", reference="PBOC-7")
    services.lift_request_restriction(officer, customer_id=c.pk, request_ref="rr-2")
    assert raw(c).restricted_at is not None
