"""Seed customers' change requests through the services (issue #13): new customers entered by reps and
reviewed by compliance — approved, rejected or still waiting — and bank-card changes, decided or not, so
that the approvals inbox, "my requests" and the customers' pages have a history to show."""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker

from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.customers import profiles
from clientvault.customers.choices import Kind, ReviewStatus
from clientvault.customers.models import Customer
from clientvault.demo.seeding import make_bank_card

REPS = ("rep_bj1", "rep_bj2", "rep_sh1", "rep_sh2")
# What compliance did with each new entry: approve, reject (with a reason), or nothing yet.
ENTRY_OUTCOMES = ("approve", "approve", "approve", "reject", "wait", "wait")
CARD_OUTCOMES = ("approve", "approve", "wait", "wait")


def _ctx(user: User, purpose: str) -> Context:
    return for_user(user, channel="web", purpose=purpose)


def seed_customer_requests(users: dict[str, User], *, seed: int = 2026) -> int:
    """Six new customers (three approved, one rejected, two waiting) and four bank-card changes (two applied,
    two waiting). Returns how many requests were made."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    compliance = _ctx(users["compliance"], "compliance_review")
    made = 0
    for i, outcome in enumerate(ENTRY_OUTCOMES):
        rep = users[REPS[i % len(REPS)]]
        entered = clock.now() - dt.timedelta(days=rng.randint(2, 20), hours=rng.randint(1, 6))
        with clock.travel(entered):
            data = {"name": fake.name(), "mobile": f"13{rng.randint(100000000, 999999999)}", "source": "branch"}
            customer = profiles.create_customer(ctx=_ctx(rep, "customer_service"), kind=Kind.INDIVIDUAL, data=data)
        made += len(customer.change_requests)
        with clock.travel(entered + dt.timedelta(hours=rng.randint(2, 30))):
            for request in customer.change_requests:
                if outcome == "approve":
                    approvals.approve(compliance, request.pk, reason="资料齐全")
                elif outcome == "reject":
                    approvals.reject(compliance, request.pk, reason="身份证明材料不全，请补充后重新录入")
    held = Customer.objects.unrestricted(reason="the demo seeder picks reviewed customers of the reps to change")
    for i, outcome in enumerate(CARD_OUTCOMES):
        rep = users[REPS[i % len(REPS)]]
        candidates = held.filter(owner=rep, kind=Kind.INDIVIDUAL, is_core=False, review_status=ReviewStatus.APPROVED, bank_card_bidx=b"")
        target = candidates.order_by("created_at").first()
        if target is None:
            continue  # a demo seeded with (almost) no customers
        asked = clock.now() - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 6))
        with clock.travel(asked):
            card = {"bank_card": make_bank_card(rng)}
            changed = profiles.update_customer(ctx=_ctx(rep, "customer_service"), customer_id=target.pk, changes=card)
        made += len(changed.change_requests)
        if outcome == "approve":
            with clock.travel(asked + dt.timedelta(hours=rng.randint(1, 20))):
                for request in changed.change_requests:
                    approvals.approve(compliance, request.pk, reason="客户本人申请，已核实")
    return made
