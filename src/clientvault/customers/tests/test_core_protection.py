"""Issue #11, item 3: nobody unmasks a core customer by clearing "core" (ARCHITECTURE.md rule 12)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clientvault.access import engine
from clientvault.access.policies import ActorFacts, RowFacts
from clientvault.accounts.services import create_api_token
from clientvault.core import roles as R
from clientvault.core.errors import PermissionDenied
from clientvault.customers import profiles, protection
from clientvault.customers.choices import Status
from clientvault.testing.actors import ctx, default_purpose, sign_in_verified
from clientvault.testing.customers import customer, reload

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def core(org: Any) -> Any:
    return customer(org["rep_bj1"], name="李核心", status=Status.ACTIVE, is_core=True)


def web(u: Any) -> Client:
    client = Client()
    sign_in_verified(client, u)
    return client


def token(u: Any) -> dict[str, str]:
    _t, secret = create_api_token(ctx=ctx(u), name="t", purposes=[default_purpose(u)])
    return {"Authorization": f"Bearer {secret}"}


def patch(u: Any, c: Any, body: dict[str, Any]) -> Any:
    return Client().patch(f"{API}/customers/{c.pk}", json.dumps(body), content_type="application/json", headers=token(u))


def edit_form(c: Any, **over: Any) -> dict[str, Any]:
    """What the edit page posts for a core customer (masked fields are locked and not sent); no ``is_core``
    key means the box was unticked."""
    return {"status": c.status, "version": reload(c).version, "occupation": "工程师"} | over


def test_a_rep_cannot_clear_core_through_the_web_form(org, core, audit_events):
    response = web(org["rep_bj1"]).post(f"/customers/{core.pk}/edit/", edit_form(core))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["此修改会降低该记录的保护级别，扩大您能看到的内容：请交由合规专员处理。"]
    assert reload(core).is_core is True
    assert audit_events("customer.updated") == []


@pytest.mark.parametrize("username", ["rep_bj1", "manager_bj"])
def test_a_rep_or_manager_cannot_clear_core_through_the_api(org, core, audit_events, username):
    response = patch(org[username], core, {"is_core": False})
    if username == "manager_bj":
        # Issue #13: a manager's edit becomes a proposal that compliance decides — nothing is written.
        assert response.status_code == 202 and response.json()["status"] == "submitted"
    else:
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert reload(core).is_core is True
    assert audit_events("customer.updated") == [] and audit_events("customer.protection_lowered") == []
    # …and the record still answers masked: no field came out in clear.
    body = Client().get(f"{API}/customers/{core.pk}", headers=token(org[username])).json()
    assert body["fields"]["name"]["decision"] == "masked"


def test_setting_core_stays_open_to_editors(org, audit_events):
    plain = customer(org["rep_bj1"], name="王普通", status=Status.ACTIVE)
    assert patch(org["rep_bj1"], plain, {"is_core": True}).status_code == 200
    assert reload(plain).is_core is True
    other = customer(org["rep_bj1"], name="赵普通", status=Status.ACTIVE)
    response = web(org["rep_bj1"]).post(f"/customers/{other.pk}/edit/", edit_form(other, name="赵普通", is_core="on"))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert reload(other).is_core is True
    assert [("is_core" in e.fields) for e in audit_events("customer.updated")] == [True, True]


def test_compliance_proposes_clearing_core_on_the_web_and_a_second_officer_decides(org, core, audit_events):
    from clientvault.approvals import services as approvals
    from clientvault.approvals.models import ChangeRequest
    from clientvault.testing.organisation import second_officer

    client = web(org["compliance"])
    assert "clear-core" in client.get(f"/customers/{core.pk}/").content.decode()
    response = client.post(f"/customers/{core.pk}/clear-core/", follow=True)
    assert response.redirect_chain[0] == (f"/customers/{core.pk}/", 302)
    page = response.content.decode()
    [request] = ChangeRequest.objects.unrestricted(reason="test").filter(target_id=str(core.pk))
    assert f"/approvals/{request.pk}/" in page and 'data-testid="open-requests"' in page  # the message and the panel link it
    assert reload(core).is_core is True and audit_events("customer.protection_lowered") == []
    approvals.approve(ctx(second_officer(org)), request.pk)
    assert reload(core).is_core is False
    [event] = audit_events("customer.protection_lowered")
    assert (event.role, event.customer_id, event.fields) == (R.COMPLIANCE_OFFICER, core.pk, ["is_core"])
    assert event.actor == second_officer(org) and event.detail["change_request"] == str(request.pk)
    assert event.detail["decided_by_role"] == R.COMPLIANCE_OFFICER


def test_compliance_proposes_clearing_core_through_the_api(org, core, audit_events):
    response = Client().post(f"{API}/customers/{core.pk}/clear-core", headers=token(org["compliance"]))
    assert response.status_code == 202 and response.json()["status"] == "submitted"
    assert reload(core).is_core is True
    assert [e.channel for e in audit_events("approval.submitted")] == ["api"]
    again = Client().post(f"{API}/customers/{core.pk}/clear-core", headers=token(org["compliance"]))
    assert again.status_code == 409  # one open request per record and field


@pytest.mark.parametrize("username", ["rep_bj1", "manager_bj", "auditor", "risk"])
def test_nobody_else_uses_the_compliance_action(org, core, audit_events, username):
    assert web(org[username]).post(f"/customers/{core.pk}/clear-core/").status_code == 404
    response = Client().post(f"{API}/customers/{core.pk}/clear-core", headers=token(org[username]))
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        protection.clear_core(ctx=ctx(org[username]), customer_id=core.pk)
    assert reload(core).is_core is True and audit_events("customer.protection_lowered") == []


def test_the_service_refuses_loosening_for_the_editor(org, core):
    with pytest.raises(PermissionDenied):
        profiles.update_customer(ctx=ctx(org["rep_bj1"]), customer_id=core.pk, changes={"is_core": False})
    assert reload(core).is_core is True


def test_loosens_compares_every_purpose_the_roles_hold(org):
    rules = engine.policies()
    rep = ActorFacts(org["rep_bj1"].pk, org.bj_team1.path, org.entity.pk)
    row = RowFacts(org["rep_bj1"].pk, org.bj_team1.path, org.entity.pk, is_core=True)
    plain = RowFacts(org["rep_bj1"].pk, org.bj_team1.path, org.entity.pk, is_core=False)
    assert rules.loosens([R.SALES_REP], rep, row, plain) is True
    assert rules.loosens([R.SALES_REP], rep, plain, row) is False  # raising protection narrows
    assert rules.loosens([R.SALES_REP], rep, plain, plain) is False
    elsewhere = RowFacts(org["rep_bj2"].pk, org.bj_team2.path, org.entity.pk, is_core=False)
    manager = ActorFacts(org["manager_bj"].pk, org.bj.path, org.entity.pk)
    assert rules.loosens([R.SALES_MANAGER], manager, elsewhere, plain) is False, "same subtree: nothing more to see"
    assert rules.loosens([R.SALES_REP], rep, elsewhere, plain) is True, "a rep taking a colleague's customer sees more"
