"""Merge and unmerge through change requests (issue #14): N records, survivorship rules, re-pointed children
readable under the survivor's key, lineage, refusals (open request, maker = checker, stale), and an unmerge
that restores every table byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from clientvault.approvals.models import ChangeRequest
from clientvault.assets.models import Asset
from clientvault.consents.models import Consent, ConsentRecord
from clientvault.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from clientvault.customers.models import Customer, FollowUp
from clientvault.merges import services
from clientvault.merges.models import Merge, MergeStatus
from clientvault.merges.tests import support
from clientvault.testing import customers as cf
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(org: Org) -> list[Customer]:
    rep = org["rep_bj1"]
    a = cf.customer(rep, name="张伟", source="online", occupation="教师")
    b = cf.customer(rep, name="張偉", source="branch", occupation="", address="北京市朝阳区1号")
    c = cf.customer(rep, name="张 伟", source="campaign", occupation="医生", custom_data={})
    d = cf.customer(rep, name="zhang wei", source="other", occupation="律师")
    for i, x in enumerate((a, b, c, d)):
        support.with_children(x, rep, number=f"622202020011223{i}")
    return [a, b, c, d]


def _propose(org: Org, records: list[Customer], **picks: Any) -> ChangeRequest:
    return services.propose(ctx(org["manager_bj"]), [r.pk for r in records], picks=picks, reason="同一客户")


def test_n4_merge_applies_rules_and_repoints_children(org: Org, four: list[Customer], audit_events: Any) -> None:
    a, b, c, d = four
    request = _propose(org, four, status=c.pk)
    request = support.approve(ctx(org["compliance"]), request)
    assert request.status == ChangeRequest.Status.APPLIED, request.failure_reason
    survivor = cf.reload(a)
    assert survivor.name == "張偉"  # most_trusted_source: branch ranks first
    assert survivor.address == "北京市朝阳区1号"  # most_recent among those with a value (only b has one)
    assert survivor.id_number == a.id_number  # non_null: the survivor's own first
    assert survivor.occupation == "律师"  # most_recent: d was written last
    for gone in (b, c, d):
        row = cf.all_rows(Customer).get(pk=gone.pk)
        assert row.merged_into_id == a.pk
        assert bytes(row.id_number_bidx) == b"" and bytes(row.mobile_bidx) == b""
    # Children now belong to the survivor and open under its key.
    followups = list(cf.all_rows(FollowUp).filter(customer=a))
    assert len(followups) == 4
    assert {cf.followup_text(f)["summary"] for f in followups} == {f"跟进 {x.pk}" for x in four}
    assets = list(cf.all_rows(Asset).filter(customer=a))
    assert sorted(support.identifier_of(x) for x in assets) == [f"622202020011223{i}" for i in range(4)]
    carried = cf.all_rows(ConsentRecord).filter(customer=a, carried_from__isnull=False)
    assert carried.count() == 3
    assert cf.all_rows(ConsentRecord).filter(customer__in=[b, c, d]).count() == 3  # originals stay
    assert cf.all_rows(Consent).filter(customer=a, purpose="marketing").count() == 1
    merge = Merge.objects.get(request=request)
    assert merge.status == MergeStatus.APPLIED and merge.before and merge.after
    merged = audit_events("customer.merged")
    assert {e.customer_id for e in merged} == {x.pk for x in four}
    assert all(e.detail["merge_id"] == str(merge.pk) for e in merged)
    assert "張偉" not in str([e.detail for e in audit_events()])
    # Merged-away records are out of every list.
    seen = set(Customer.objects.visible_to(ctx(org["manager_bj"])).values_list("pk", flat=True))
    assert a.pk in seen and not seen & {b.pk, c.pk, d.pk}


def test_unmerge_restores_every_table_byte_for_byte(org: Org, four: list[Customer]) -> None:
    before = support.dump_all()
    request = support.approve(ctx(org["compliance"]), _propose(org, four))
    assert request.status == ChangeRequest.Status.APPLIED, request.failure_reason
    assert support.diff(before, support.dump_all())  # the merge changed things
    merge = Merge.objects.get(request=request)
    undo = services.propose_unmerge(ctx(org["manager_bj"]), merge, "not the same person")
    undo = support.approve(ctx(org["compliance"]), undo)
    assert undo.status == ChangeRequest.Status.APPLIED, undo.failure_reason
    assert support.diff(before, support.dump_all()) == {}
    assert Merge.objects.get(pk=merge.pk).status == MergeStatus.UNMERGED


def test_open_change_request_refuses_merge(org: Org, four: list[Customer]) -> None:
    from clientvault.customers import profiles

    pending = profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=four[1].pk, changes={"id_number": "11010519491231002X"})
    assert pending.change_requests
    with pytest.raises(Conflict):
        _propose(org, four)


def test_maker_cannot_approve_own_merge(org: Org, four: list[Customer]) -> None:
    request = services.propose(ctx(org["compliance"]), [x.pk for x in four[:2]], picks={}, reason="same")
    with pytest.raises(DomainError):
        support.approve(ctx(org["compliance"]), request)


def test_stale_fingerprint_fails_and_writes_nothing(org: Org, four: list[Customer]) -> None:
    from clientvault.customers import followups

    request = _propose(org, four[:2])
    followups.create_followup(
        ctx=ctx(org["rep_bj1"]),
        customer_id=four[1].pk,
        data={"occurred_at": cf.reload(four[1]).created_at, "channel": "phone", "summary": "新的"},
    )
    before = support.dump_all()
    request = support.approve(ctx(org["compliance"]), request)
    assert request.status == ChangeRequest.Status.FAILED
    assert support.diff(before, support.dump_all()) == {}


def test_unmerge_refused_after_window_or_after_child_edit(org: Org, four: list[Customer], settings: Any) -> None:
    request = support.approve(ctx(org["compliance"]), _propose(org, four[:2]))
    merge = Merge.objects.get(request=request)
    settings.CLIENTVAULT_UNMERGE_DAYS = 0
    with pytest.raises(Conflict):
        services.propose_unmerge(ctx(org["manager_bj"]), merge, "undo")
    settings.CLIENTVAULT_UNMERGE_DAYS = 30
    from clientvault.customers import followups

    moved = cf.all_rows(FollowUp).filter(customer=four[0]).order_by("pk").first()
    followups.update_followup(ctx=ctx(org["rep_bj1"]), followup_id=moved.pk, changes={"summary": "改过"})
    with pytest.raises(Conflict) as refused:
        services.propose_unmerge(ctx(org["manager_bj"]), merge, "undo")
    assert "follow-ups" in str(refused.value) or "跟进" in str(refused.value)


def test_permission_and_sight(org: Org, four: list[Customer]) -> None:
    with pytest.raises(PermissionDenied):
        services.propose(ctx(org["rep_bj1"]), [x.pk for x in four[:2]], picks={}, reason="x")
    with pytest.raises(NotFound):
        services.propose(ctx(org["manager_sh"]), [x.pk for x in four[:2]], picks={}, reason="x")
    with pytest.raises(ValidationFailed):
        services.propose(ctx(org["manager_bj"]), [four[0].pk], picks={}, reason="x")


def test_n4_most_complete_and_manual_pick(org: Org, four: list[Customer]) -> None:
    from clientvault.merges.models import SurvivorshipRule

    a, _b, c, d = four
    SurvivorshipRule.objects.filter(field="occupation").update(rule="most_complete")
    SurvivorshipRule.objects.filter(field="email").update(rule="manual")
    request = _propose(org, four, mobile=c.pk, email=d.pk)
    request = support.approve(ctx(org["compliance"]), request)
    assert request.status == ChangeRequest.Status.APPLIED, request.failure_reason
    survivor = cf.reload(a)
    assert survivor.occupation == "教师"  # a, c and d have one and are as complete: the survivor first
    assert survivor.mobile == c.mobile and survivor.email == d.email
    merge = Merge.objects.get(request=request)
    assert merge.rules["mobile"][0] == "manual" and merge.rules["email"][0] == "manual"
    assert merge.picks["mobile"] == str(c.pk) and merge.rules["occupation"][0] == "most_complete"


def test_a_survivorship_rule_changes_only_when_a_second_officer_approves(org: Org, audit_events: Any) -> None:
    from clientvault.merges import rule_catalogue
    from clientvault.merges.models import SurvivorshipChange, SurvivorshipRule
    from clientvault.testing.organisation import second_officer

    proposer, checker = ctx(org["compliance"]), ctx(second_officer(org))
    change = rule_catalogue.change_rule(ctx=proposer, field="mobile", data={"rule": "non_null"}, reason="手机号以首次登记为准")
    assert isinstance(change, SurvivorshipChange)
    assert SurvivorshipRule.objects.get(field="mobile").rule == "most_recent"  # nothing in force yet
    with pytest.raises(PermissionDenied):
        rule_catalogue.approve(ctx=proposer, change_id=change.pk, reason="self")
    with pytest.raises(ValidationFailed):
        rule_catalogue.change_rule(ctx=checker, field="name", data={"rule": "whatever"}, reason="x")
    rule = rule_catalogue.approve(ctx=checker, change_id=change.pk, reason="同意")
    assert rule.rule == "non_null" and rule.version == 2
    assert rule.history().count() == 2
    assert [e.event_type for e in audit_events() if e.event_type.startswith("survivorship.")] == [
        "survivorship.change_proposed", "survivorship.changed", "survivorship.change_approved",
    ]  # fmt: skip
    with pytest.raises(PermissionDenied):
        rule_catalogue.change_rule(ctx=ctx(org["manager_bj"]), field="mobile", data={"rule": "manual"}, reason="x")
