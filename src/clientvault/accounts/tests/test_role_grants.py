"""Issue #11, item 1: nobody widens their own sight through roles (ARCHITECTURE.md rule 12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts import grants, services
from clientvault.accounts.models import Role, RoleGrant, User
from clientvault.core import clock
from clientvault.core import roles as R
from clientvault.core.errors import PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import user

pytestmark = pytest.mark.django_db
GRANTS = "/accounts/grants/"


def verified(u: User) -> Client:
    client = Client()
    client.force_login(u)
    session = client.session
    device = TOTPDevice.objects.filter(user=u, confirmed=True).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def edit(u: User, roles: list[str]) -> dict[str, Any]:
    return {"display_name": u.display_name, "email": u.email, "department_id": str(u.department_id), "roles": roles}


def request_role(org: Any, target: User, role: str) -> RoleGrant:
    services.update_user(ctx=ctx(org["admin"]), user_id=target.pk, data=edit(target, [*target.role_codes(), role]))
    return RoleGrant.objects.get(user=target, role__code=role, status="pending")


def test_data_roles_are_read_from_the_policies(org):
    data = grants.data_roles()
    assert {R.SALES_REP, R.SALES_MANAGER, R.RISK_OFFICER, R.COMPLIANCE_OFFICER, R.AUDITOR} <= data
    assert R.ADMINISTRATOR not in data  # its only customer policies are break-glass


def test_admin_cannot_give_themselves_compliance_through_the_users_page(org, audit_events):
    admin = org["admin"]
    response = verified(admin).post(f"/accounts/users/{admin.pk}/", edit(admin, [R.ADMINISTRATOR, R.COMPLIANCE_OFFICER]))
    assert response.status_code == 200 and "roles" in response.context["form"].errors
    assert User.objects.get(pk=admin.pk).role_codes() == [R.ADMINISTRATOR]
    assert not RoleGrant.objects.exists() and audit_events() == []


@pytest.mark.parametrize("role", [R.COMPLIANCE_OFFICER, R.AUDITOR, R.SALES_REP])
def test_an_administrator_account_holds_no_data_role(org, audit_events, role):
    other_admin = user("admin2", R.ADMINISTRATOR, org.hq)
    with pytest.raises(ValidationFailed) as exc:
        services.update_user(ctx=ctx(org["admin"]), user_id=other_admin.pk, data=edit(other_admin, [R.ADMINISTRATOR, role]))
    assert "roles" in exc.value.fields
    # …nor does a data-role holder become an administrator.
    with pytest.raises(ValidationFailed):
        services.update_user(
            ctx=ctx(org["admin"]), user_id=org["compliance"].pk, data=edit(org["compliance"], [R.COMPLIANCE_OFFICER, R.ADMINISTRATOR])
        )
    assert User.objects.get(pk=other_admin.pk).role_codes() == [R.ADMINISTRATOR]
    assert audit_events() == []


def test_giving_a_data_role_waits_for_compliance_then_takes_effect(org, audit_events):
    target = org["norole"]
    grant = request_role(org, target, R.SALES_MANAGER)
    assert User.objects.get(pk=target.pk).role_codes() == []
    [requested] = audit_events()
    assert requested.event_type == "role_grant.requested" and requested.actor == org["admin"]
    assert requested.object_type == "accounts.rolegrant" and requested.object_id == str(grant.pk)

    grants.approve(ctx=ctx(org["compliance"]), grant_id=grant.pk, reason="新任销售主管")
    assert User.objects.get(pk=target.pk).role_codes() == [R.SALES_MANAGER]
    grant.refresh_from_db()
    assert (grant.status, grant.requested_by, grant.decided_by) == ("approved", org["admin"], org["compliance"])
    approved = audit_events("role_grant.approved")[0]
    assert approved.actor == org["compliance"] and approved.detail == {
        "user_id": target.pk,
        "role": R.SALES_MANAGER,
        "requested_by": org["admin"].pk,
        "decided_by": org["compliance"].pk,
    }


def test_a_rejected_grant_gives_nothing_and_needs_a_reason(org, audit_events):
    grant = request_role(org, org["norole"], R.RISK_OFFICER)
    with pytest.raises(ValidationFailed):
        grants.reject(ctx=ctx(org["compliance"]), grant_id=grant.pk, reason="  ")
    grants.reject(ctx=ctx(org["compliance"]), grant_id=grant.pk, reason="无业务需要")
    assert User.objects.get(pk=org["norole"].pk).role_codes() == []
    [event] = audit_events("role_grant.rejected")
    assert event.detail["decided_by"] == org["compliance"].pk and event.detail["requested_by"] == org["admin"].pk
    assert audit_events("role_grant.approved") == []


def test_nobody_decides_their_own_grant_and_administrators_decide_none(org):
    second = user("compliance2", R.COMPLIANCE_OFFICER, org.hq, mfa=True)
    grant = request_role(org, org["compliance"], R.RISK_OFFICER)  # for the compliance officer themselves
    with pytest.raises(PermissionDenied):
        grants.approve(ctx=ctx(org["compliance"]), grant_id=grant.pk, reason="我自己")
    with pytest.raises(PermissionDenied):
        grants.approve(ctx=ctx(org["admin"]), grant_id=grant.pk, reason="管理员")
    assert R.RISK_OFFICER not in User.objects.get(pk=org["compliance"].pk).role_codes()
    grants.approve(ctx=ctx(second), grant_id=grant.pk, reason="第二人批准")
    assert R.RISK_OFFICER in User.objects.get(pk=org["compliance"].pk).role_codes()


def test_the_database_refuses_a_grant_decided_by_its_requester(org):
    admin, target = org["admin"], org["norole"]
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(
            user=target,
            role_id=1,
            requested_by=admin,
            requested_at=clock.now(),
            status="approved",
            decided_by=admin,
            decided_at=clock.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=target, role_id=1, requested_by=target, requested_at=clock.now())


def test_approval_is_refused_once_the_grantee_is_an_administrator(org):
    target = org["norole"]
    grant = request_role(org, target, R.AUDITOR)
    target.roles.add(*Role.objects.filter(code=R.ADMINISTRATOR))
    with pytest.raises(ValidationFailed):
        grants.approve(ctx=ctx(org["compliance"]), grant_id=grant.pk, reason="迟到的批准")
    assert RoleGrant.objects.get(pk=grant.pk).status == "pending"


def test_removing_a_role_takes_effect_at_once(org, audit_events):
    rep = org["rep_bj1"]
    services.update_user(ctx=ctx(org["admin"]), user_id=rep.pk, data=edit(rep, []) | {"roles": ["administrator"]})
    assert User.objects.get(pk=rep.pk).role_codes() == [R.ADMINISTRATOR]
    [event] = audit_events()
    assert event.event_type == "user.updated" and event.fields == ["roles"] and event.detail == {"role_codes": [R.ADMINISTRATOR]}


def test_compliance_decides_on_the_grants_page(org, audit_events):
    grant = request_role(org, org["norole"], R.SALES_REP)
    client = verified(org["compliance"])
    page = client.get(GRANTS)
    assert page.status_code == 200 and str(grant.pk) in page.content.decode()
    response = client.post(f"{GRANTS}{grant.pk}/", {"action": "approve", "reason": "入职"})
    assert response.status_code == 302 and response["Location"] == GRANTS
    assert User.objects.get(pk=org["norole"].pk).role_codes() == [R.SALES_REP]
    assert len(audit_events("role_grant.approved")) == 1
    for name in ("admin", "rep_bj1", "auditor"):
        assert verified(org[name]).get(GRANTS).status_code == 404
