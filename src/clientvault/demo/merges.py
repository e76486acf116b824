"""The demo's merge (issue #14): a customer entered twice — once at the branch with an ID card, once from a
campaign with only a mobile and an e-mail — merged by the sales manager, approved by compliance, and still
inside the unmerge window, so the demo can show the lineage and undo it. Everything through the services."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from clientvault.accounts.models import User
from clientvault.approvals import services as approvals
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.customers import followups, profiles
from clientvault.customers.choices import IdType, Kind
from clientvault.customers.models import Customer
from clientvault.merges import services as merges
from clientvault.merges.models import Merge

NAME = "欧阳明轩"
MOBILE = "13912345678"


def _ctx(user: User, purpose: str) -> Context:
    return for_user(user, channel="web", purpose=purpose)


def _id_number() -> str:
    """A checksum-valid resident ID number of an adult (GB 11643 check digit computed, not guessed)."""
    body = "11010519880315001"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _create(ctx: Context, data: dict[str, Any]) -> Customer:
    """Entered as a rep would; the on-entry duplicate check (issue #14, slice C), where present, is confirmed:
    this is the duplicate the demo goes on to merge."""
    extra: dict[str, Any] = {}
    if "confirm_duplicates" in inspect.signature(profiles.create_customer).parameters:
        extra["confirm_duplicates"] = True
    return profiles.create_customer(ctx=ctx, kind=Kind.INDIVIDUAL, data=data, **extra)


def seed_merge(users: dict[str, User]) -> Merge:
    """Two records of one person, merged three days ago (the unmerge window is open)."""
    rep, manager = _ctx(users["rep_bj1"], "customer_service"), _ctx(users["manager_bj"], "customer_service")
    compliance = _ctx(users["compliance"], "compliance_review")
    started = clock.now() - dt.timedelta(days=5)
    with clock.travel(started):
        first = _create(
            rep, {"name": NAME, "id_type": IdType.RESIDENT_ID, "id_number": _id_number(), "source": "branch", "nationality": "CN"}
        )
    with clock.travel(started + dt.timedelta(hours=2)):
        second = _create(
            rep, {"name": NAME, "mobile": MOBILE, "email": "mingxuan.oy@example.cn", "source": "campaign", "occupation": "工程师"}
        )
    with clock.travel(started + dt.timedelta(hours=5)):
        for created in (first, second):
            for request in created.change_requests:
                approvals.approve(compliance, request.pk, reason="资料齐全")
    with clock.travel(started + dt.timedelta(days=1)):
        followups.create_followup(
            ctx=rep, customer_id=second.pk,
            data={"occurred_at": clock.now(), "channel": "phone", "summary": "客户咨询理财产品，约下周面谈", "next_step": "发送产品说明书"},
        )  # fmt: skip
    with clock.travel(started + dt.timedelta(days=2)):
        request = merges.propose(manager, [first.pk, second.pk], picks={}, reason="同一客户：姓名、面谈记录一致，活动渠道重复录入")
    with clock.travel(started + dt.timedelta(days=2, hours=3)):
        approvals.approve(compliance, request.pk, reason="已核实为同一人")
    return Merge.objects.get(pk=request.target_id)
