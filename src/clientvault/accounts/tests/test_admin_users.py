"""User administration pages: list, create, edit roles, deactivate — administrators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts import services
from clientvault.accounts.models import User, UserSession
from clientvault.core import roles as R
from clientvault.testing.actors import ctx
from clientvault.testing.audit import denials, not_denials
from clientvault.testing.organisation import PASSWORD

pytestmark = pytest.mark.django_db

USERS = "/accounts/users/"
NEW = "/accounts/users/new/"
STRONG = "Strong-Pass-2026!"


def edit_url(u: User) -> str:
    return f"/accounts/users/{u.pk}/"


def verified(u: User) -> Client:
    """A client signed in as ``u`` whose session passed the second factor."""
    client = Client()
    client.force_login(u)
    device = TOTPDevice.objects.get(user=u, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def signed_in(u: User) -> Client:
    client = Client()
    client.force_login(u)
    return client


def user_data(org: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": "newrep",
        "display_name": "新  员工",
        "email": "New.Rep@Example.cn",
        "department_id": str(org.bj_team1.pk),
        "roles": [R.SALES_REP, R.SALES_MANAGER],
        "password": STRONG,
    }
    data.update(overrides)
    return data


def edit_data(u: User, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "display_name": u.display_name,
        "email": u.email,
        "department_id": str(u.department_id),
        "roles": u.role_codes(),
    }
    data.update(overrides)
    return data


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Listing ----------------------------------------------------------------------------------


def test_admin_lists_users(org, audit_events):
    response = verified(org["admin"]).get(USERS)
    assert response.status_code == 200
    body = response.content.decode()
    for username in ("admin", "compliance", "rep_bj1", "rep_other", "norole"):
        assert f">{username}</a>" in body
    listed = {u.username: u for u in response.context["users"]}
    assert listed["compliance"].mfa_enrolled is True and listed["rep_bj1"].mfa_enrolled is False
    assert audit_events() == []


def test_admin_without_verified_second_factor_is_sent_to_verify(org):
    response = signed_in(org["admin"]).get(USERS)
    assert response.status_code == 302 and response["Location"] == "/accounts/mfa/verify/"


def test_anonymous_is_sent_to_login():
    response = Client().get(USERS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


# --- Create -----------------------------------------------------------------------------------


def test_admin_creates_user_with_department_and_roles(org, audit_events):
    response = verified(org["admin"]).post(NEW, user_data(org))
    assert response.status_code == 302 and response["Location"] == USERS
    created = User.objects.get(username="newrep")
    assert created.department == org.bj_team1 and created.display_name == "新 员工" and created.email == "new.rep@example.cn"
    # Both are data roles: they wait for a compliance officer (rule 12, accounts/grants.py).
    assert created.role_codes() == []
    assert created.is_active and created.password.startswith("argon2") and created.check_password(STRONG)
    *requests, event = audit_events()
    assert [(e.event_type, e.detail["role"]) for e in requests] == [
        ("role_grant.requested", R.SALES_MANAGER),
        ("role_grant.requested", R.SALES_REP),
    ]
    assert event.event_type == "user.created" and event.actor == org["admin"] and event.role == R.ADMINISTRATOR
    assert event.object_type == "accounts.user" and event.object_id == str(created.pk) and event.channel == "web"
    assert event.detail == {"role_codes": [], "requested_role_codes": [R.SALES_MANAGER, R.SALES_REP]}
    assert Client().post("/accounts/login/", {"username": "newrep", "password": STRONG}).status_code == 302


@pytest.mark.parametrize("password", ["short1!A", "abcdefghijklmn", "Password1234", "123456789012345"])
def test_weak_initial_password_is_a_field_error(org, audit_events, password):
    response = verified(org["admin"]).post(NEW, user_data(org, password=password))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["password"] and errors["password"]
    assert not User.objects.filter(username="newrep").exists()
    assert audit_events() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "rep_bj1"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"roles": []}, "roles"),
        ({"roles": ["superuser"]}, "roles"),
        ({"department_id": ""}, "department_id"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_invalid_user_fields_are_field_errors(org, audit_events, overrides, field):
    before = User.objects.count()
    response = verified(org["admin"]).post(NEW, user_data(org, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before and audit_events() == []


# --- Edit -------------------------------------------------------------------------------------


def test_admin_changes_roles_and_department(org, audit_events):
    rep = org["rep_bj1"]
    response = verified(org["admin"]).post(edit_url(rep), edit_data(rep, roles=[R.SALES_MANAGER], department_id=str(org.bj.pk)))
    assert response.status_code == 302 and response["Location"] == USERS
    rep = User.objects.get(pk=rep.pk)
    # The removed role goes at once; the new data role waits for compliance.
    assert rep.role_codes() == [] and rep.department == org.bj and rep.username == "rep_bj1"
    requested, event = audit_events()
    assert requested.event_type == "role_grant.requested" and requested.detail == {"user_id": rep.pk, "role": R.SALES_MANAGER}
    assert event.event_type == "user.updated" and event.actor == org["admin"] and event.object_id == str(rep.pk)
    assert event.fields == ["department", "roles"]
    assert event.detail == {"role_codes": []}


def test_username_cannot_be_changed_through_the_edit_page(org, audit_events):
    rep = org["rep_bj1"]
    response = verified(org["admin"]).post(edit_url(rep), edit_data(rep, username="renamed", display_name="Rep One"))
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.username == "rep_bj1" and rep.display_name == "Rep One"
    [event] = audit_events()
    assert event.fields == ["display_name"]


def test_unchanged_edit_writes_nothing(org, audit_events):
    rep = org["rep_bj1"]
    response = verified(org["admin"]).post(edit_url(rep), edit_data(rep))
    assert response.status_code == 302
    assert audit_events() == []


def test_admin_cannot_remove_own_administrator_role(org, audit_events):
    admin = org["admin"]
    response = verified(admin).post(edit_url(admin), edit_data(admin, roles=[R.COMPLIANCE_OFFICER]))
    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == ["任何人都不能更改自己的角色。"]
    assert User.objects.get(pk=admin.pk).role_codes() == [R.ADMINISTRATOR]
    assert audit_events() == []


@pytest.mark.parametrize("role", [R.AUDITOR, R.COMPLIANCE_OFFICER])
def test_admin_may_not_add_a_role_to_self(org, audit_events, role):
    """Issue #11: an administrator gave themselves the compliance role and read every customer in clear."""
    admin = org["admin"]
    response = verified(admin).post(edit_url(admin), edit_data(admin, roles=[R.ADMINISTRATOR, role]))
    assert response.status_code == 200
    assert response.context["form"].errors["roles"] == ["任何人都不能更改自己的角色。"]
    assert User.objects.get(pk=admin.pk).role_codes() == [R.ADMINISTRATOR]
    assert audit_events() == []


def test_edit_page_of_missing_user_is_404(org):
    assert verified(org["admin"]).get("/accounts/users/999999/").status_code == 404


# --- Deactivate / reactivate -------------------------------------------------------------------


def test_admin_cannot_deactivate_self(org, audit_events):
    admin = org["admin"]
    response = verified(admin).post(edit_url(admin), {"action": "deactivate"})
    assert response.status_code == 200
    assert "不能停用您自己的账号。" in messages_of(response)
    assert User.objects.get(pk=admin.pk).is_active
    assert audit_events() == []


def test_admin_deactivates_and_reactivates_through_the_page(org, audit_events):
    rep = org["rep_bj1"]
    rep_browser = Client()
    rep_browser.post("/accounts/login/", {"username": "rep_bj1", "password": PASSWORD})
    services.create_api_token(ctx=ctx(rep), name="t")
    admin = verified(org["admin"])
    mark = len(audit_events())

    response = admin.post(edit_url(rep), {"action": "deactivate"})
    assert response.status_code == 302 and response["Location"] == USERS
    assert not User.objects.get(pk=rep.pk).is_active
    [event] = audit_events()[mark:]
    assert event.event_type == "user.deactivated" and event.actor == org["admin"] and event.object_id == str(rep.pk)
    assert event.detail == {"sessions_ended": 1, "tokens_revoked": 1}
    assert not UserSession.objects.filter(user=rep).exists()
    assert rep_browser.get("/customers/")["Location"].startswith("/accounts/login/")
    listed = {u.username: u for u in admin.get(USERS).context["users"]}
    assert listed["rep_bj1"].is_active is False and listed["rep_bj2"].is_active is True

    response = admin.post(edit_url(rep), {"action": "reactivate"})
    assert response.status_code == 302 and response["Location"] == USERS
    assert User.objects.get(pk=rep.pk).is_active
    [event] = audit_events()[mark + 1 :]
    assert event.event_type == "user.reactivated" and event.object_id == str(rep.pk)
    # Reactivation does not revive old sessions or tokens: the user signs in again.
    assert rep_browser.get("/customers/")["Location"].startswith("/accounts/login/")


# --- Non-administrators ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["rep_bj1", "manager_bj", "risk", "norole", "compliance", "auditor"])
def test_non_admins_get_404_on_every_user_page(org, audit_events, username):
    u = org[username]
    client = verified(u) if TOTPDevice.objects.filter(user=u).exists() else signed_in(u)
    target = org["rep_bj2"]
    assert client.get(USERS).status_code == 404
    assert client.get(NEW).status_code == 404
    assert client.get(edit_url(target)).status_code == 404
    assert client.post(NEW, user_data(org)).status_code == 404
    assert client.post(edit_url(target), edit_data(target, roles=[R.ADMINISTRATOR])).status_code == 404
    assert client.post(edit_url(target), {"action": "deactivate"}).status_code == 404
    assert not User.objects.filter(username="newrep").exists()
    fresh = User.objects.get(pk=target.pk)
    assert fresh.is_active and fresh.role_codes() == [R.SALES_REP]
    assert not_denials(audit_events()) == [] and len(denials(audit_events())) == 6
