"""The demo's data lifecycle (issue #15), through the services: the retention rules seeded from RULES.md; a customer
who asked to be deleted while the anti-money-laundering duty keeps their records (AML hold placed, the deletion
becomes a restriction); and a prospect last contacted four years ago, erased by the daily sweep with a signed
deletion certificate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.assets.models import Asset
from clientvault.core import clock
from clientvault.core.context import for_user, system_context
from clientvault.customers import followups, profiles
from clientvault.customers.choices import Kind
from clientvault.lifecycle import services, sweep

PROSPECT_NAME = "孙一鸣"


def seed_lifecycle(users: dict[str, User]) -> dict[str, Any]:
    rep = for_user(users["rep_bj1"], channel="web", purpose="customer_service")
    compliance = for_user(users["compliance"], channel="web", purpose="compliance_review")
    with clock.travel(clock.now() - dt.timedelta(days=4 * 365)):
        gone = profiles.create_customer(
            ctx=rep, kind=Kind.INDIVIDUAL, data={"name": PROSPECT_NAME, "mobile": "13800138011", "source": "campaign"}
        )
        for request in getattr(gone, "change_requests", []):
            approvals.approve(compliance, request.pk, reason="资料齐全")
        followups.create_followup(
            ctx=rep, customer_id=gone.pk,
            data={"occurred_at": clock.now(), "channel": "phone", "summary": "活动回访，客户暂无意向", "next_step": ""},
        )  # fmt: skip
    held = (
        Asset.objects.unrestricted(reason="demo: a customer with assets asks to be deleted")
        .filter(customer__merged_into__isnull=True, customer__erased_at__isnull=True)
        .order_by("created_at")
        .values_list("customer_id", flat=True)
        .first()
    )
    outcome = services.erase_on_request(compliance, customer_id=held, request_ref="demo-aml-erasure") if held else None
    swept = sweep.sweep(ctx=system_context(channel="cli"))
    return {"restricted_under_hold": bool(outcome and outcome.state == "restricted"), **swept}
