"""The demo's data-subject requests (issue #15), made through the services and fulfilled by the same code the
worker runs: an access request from the portal fulfilled with its package, a correction handled by compliance,
a deletion, a restriction logged at the counter and left overdue, a letter still waiting for identity, a refused
request, and an access request received today (flagged when the calendar does not cover its deadline)."""

from __future__ import annotations

import datetime as dt

from clientvault.accounts.models import User
from clientvault.core import clock
from clientvault.core.context import Context, for_user
from clientvault.customers.models import Customer
from clientvault.rights import fulfilment, requests
from clientvault.rights.models import RightsRequest


def _staff(user: User, purpose: str) -> Context:
    return for_user(user, channel="web", purpose=purpose)


def _subject(customer: Customer) -> Context:
    return Context(
        actor=None, roles=frozenset({"data_subject"}), purpose="rights_request", channel="portal", subject_ids=frozenset({customer.pk})
    )


def seed_rights_requests(users: dict[str, User]) -> list[RightsRequest]:
    """Requests in every state; returns them."""
    people = list(
        Customer.objects.unrestricted(reason="demo: pick the customers who make rights requests")
        .filter(owner=users["rep_bj1"], kind="individual", review_status="approved")
        .order_by("created_at")[:7]
    )
    if len(people) < 7:
        return []
    compliance = _staff(users["compliance"], "rights_request")
    rep = _staff(users["rep_bj1"], "customer_service")
    made: list[RightsRequest] = []
    now = clock.now()
    with clock.travel(now - dt.timedelta(days=2)):
        access = requests.submit_request(
            ctx=_subject(people[0]), customer_id=people[0].pk, kind="access", channel="portal", text="请提供我的全部个人信息副本"
        )
        correction = requests.submit_request(
            ctx=_subject(people[1]), customer_id=people[1].pk, kind="correction", channel="portal",
            text="我的邮箱地址已更换", changes={"email": "new.mail@example.cn"},
        )  # fmt: skip
        requests.take_over(ctx=compliance, request_id=correction.pk)
        leaving = _prospect_without_assets(users, {p.pk for p in people}) or people[2]
        deletion = requests.submit_request(
            ctx=_subject(leaving), customer_id=leaving.pk, kind="deletion", channel="portal", text="我不再需要贵司的服务，请删除我的信息"
        )
        requests.take_over(ctx=compliance, request_id=deletion.pk)
    for request in (access, correction, deletion):
        fulfilment.fulfil(request.pk)  # what the worker does; a part that cannot run shows failed, never done
    _approve_and_erase(users, deletion)
    made += [access, correction, deletion]
    with clock.travel(now - dt.timedelta(days=40)):  # logged at the counter 40 days ago, never handled: overdue
        made.append(
            requests.submit_request(
                ctx=rep,
                customer_id=people[3].pk,
                kind="restriction",
                channel="counter",
                verification_method="id_document",
                text="在核实信息准确性期间请暂停使用我的数据",
            )
        )
    with clock.travel(now - dt.timedelta(days=3)):  # a letter: the clock is paused until identity is verified
        made.append(
            requests.submit_request(ctx=rep, customer_id=people[4].pk, kind="explanation", channel="letter", text="来信要求说明处理规则")
        )
    refused = requests.submit_request(ctx=_subject(people[5]), customer_id=people[5].pk, kind="portability", channel="portal")
    requests.refuse(
        ctx=compliance, request_id=refused.pk, code="portability_conditions",
        text="您要求转移的数据来自公开渠道，不属于基于同意或合同收集的信息（《网络数据安全管理条例》第二十五条）。",
    )  # fmt: skip
    made.append(refused)
    # Received today: flagged (no due date, fail closed) when its 15 working days run past the calendar's last
    # covered year — from mid-December 2026 with chinese-calendar 1.11 — or while no calendar covers this year.
    made.append(requests.submit_request(ctx=_subject(people[6]), customer_id=people[6].pk, kind="access", channel="portal"))
    held = _aml_deletion(users, compliance, {p.pk for p in people})
    if held is not None:
        made.append(held)
    return made


def _prospect_without_assets(users: dict[str, User], taken: set[object]) -> Customer | None:
    """A prospect who never held an asset (no AML duty keeps their records, so their deletion really deletes): an
    existing one, else a web lead the rep enters now and compliance accepts, as in production."""
    from clientvault.approvals import services as approvals
    from clientvault.assets.models import Asset
    from clientvault.customers import profiles
    from clientvault.customers.choices import Kind

    holders = Asset.objects.unrestricted(reason="demo: customers who hold assets").values("customer_id")
    found = (
        Customer.objects.unrestricted(reason="demo: a prospect who asks to be deleted")
        .filter(owner=users["rep_bj1"], kind="individual", review_status="approved", status="prospect", erased_at__isnull=True)
        .exclude(pk__in=taken)
        .exclude(pk__in=holders)
        .order_by("created_at")
        .first()
    )
    if found is not None:
        return found
    rep = _staff(users["rep_bj1"], "customer_service")
    lead = profiles.create_customer(
        ctx=rep, kind=Kind.INDIVIDUAL, data={"name": "林小雨", "mobile": "13900139021", "source": "campaign", "status": "prospect"}
    )
    for change in getattr(lead, "change_requests", []):
        approvals.approve(_staff(users["compliance"], "compliance_review"), change.pk, reason="资料齐全")
    return Customer.objects.unrestricted(reason="demo: the lead just entered").get(pk=lead.pk)


def _approve_and_erase(users: dict[str, User], deletion: RightsRequest) -> None:
    """The deletion waits for a second compliance officer (``lifecycle.erase``, PIPL-47): 黄静 approves what 李娜 proposed,
    the erasure runs its steps (what the worker does) and the request ends with a signed deletion certificate."""
    from clientvault.approvals import services as approvals
    from clientvault.approvals.models import ChangeRequest
    from clientvault.lifecycle import erasure
    from clientvault.lifecycle.models import Erasure

    if "compliance2" not in users:
        return
    waiting = ChangeRequest.objects.unrestricted(reason="demo: the deletion waiting for the second officer").filter(
        change_type="lifecycle.erase", subject_id=deletion.subject_id, status="submitted"
    )
    for change in waiting:
        approvals.approve(_staff(users["compliance2"], "compliance_review"), change.pk, reason="已核实客户身份及删除请求，无法定保留义务")
    for pk in Erasure.objects.filter(customer_id=deletion.subject_id, state="queued").values_list("pk", flat=True):
        erasure.run(pk)
    fulfilment.fulfil(deletion.pk)


def _aml_deletion(users: dict[str, User], compliance: Context, taken: set[object]) -> RightsRequest | None:
    """A customer with assets asks to be deleted: the anti-money-laundering duty (AML-34) keeps their records, so
    the deletion ends "restricted" and the customer is told the hold's basis (PIPL-47)."""
    from clientvault.assets.models import Asset

    holder = (
        Asset.objects.unrestricted(reason="demo: a customer with assets asks to be deleted")
        .filter(customer__owner=users["rep_bj1"], customer__merged_into__isnull=True, customer__erased_at__isnull=True)
        .exclude(customer_id__in=taken)
        .order_by("created_at")
        .values_list("customer_id", flat=True)
        .first()
    )
    if holder is None:
        return None
    person = Customer.objects.unrestricted(reason="demo: the customer who asks").get(pk=holder)
    request = requests.submit_request(
        ctx=_subject(person), customer_id=person.pk, kind="deletion", channel="portal", text="请删除我的全部信息"
    )
    requests.take_over(ctx=compliance, request_id=request.pk)
    fulfilment.fulfil(request.pk)
    return request
