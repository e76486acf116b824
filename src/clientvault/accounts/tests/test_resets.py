"""Item 4 of issue #11: administrators unlock, give a temporary password, reset a second factor (two persons for
roles that require one)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts import resets
from clientvault.accounts.models import MfaResetRequest, User
from clientvault.accounts.tests.test_auth import LOCKED_ZH, change_password, english, login, signed_in
from clientvault.core import roles as R
from clientvault.core.errors import Conflict, PermissionDenied, ValidationFailed
from clientvault.testing.actors import ctx, sign_in_verified
from clientvault.testing.organisation import PASSWORD, user

pytestmark = pytest.mark.django_db

WRONG = "Not-The-Pass-1!"


def lock_out(username: str) -> None:
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, WRONG)
    assert login(Client(), username).status_code == 429


def admin_client(org) -> Client:
    client = english()
    sign_in_verified(client, org["admin"])
    return client


# --- Unlock -----------------------------------------------------------------------------------


def test_administrator_unlocks_a_locked_out_user(org, audit_events):
    lock_out("rep_bj1")
    mark = len(audit_events())
    response = admin_client(org).post(f"/accounts/users/{org['rep_bj1'].pk}/unlock/")
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{org['rep_bj1'].pk}/"
    [event] = audit_events()[mark:]
    assert event.event_type == "user.unlocked" and event.actor == org["admin"] and event.object_id == str(org["rep_bj1"].pk)
    assert event.detail["attempts_cleared"] >= 1
    assert login(Client(), "rep_bj1").status_code == 302


def test_unlock_is_for_administrators_only(org, audit_events):
    lock_out("rep_bj1")
    client = Client()
    sign_in_verified(client, org["manager_bj"])
    assert client.post(f"/accounts/users/{org['rep_bj1'].pk}/unlock/").status_code == 404
    assert audit_events("user.unlocked") == []
    assert login(Client(), "rep_bj1").status_code == 429
    with pytest.raises(PermissionDenied):
        resets.unlock_user(ctx=ctx(org["compliance"]), user_id=org["rep_bj1"].pk)


# --- Temporary password -----------------------------------------------------------------------


def test_password_reset_gives_a_temporary_password_the_user_must_change(org, audit_events):
    rep = org["norole"]  # holds no data role (a data user's password is not the administrator's to set)
    old_browser = Client()
    login(old_browser, "norole")
    old_key = old_browser.session.session_key
    lock_out("norole")
    mark = len(audit_events())

    response = admin_client(org).post(f"/accounts/users/{rep.pk}/password-reset/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    temporary = response.context["temporary"]
    assert temporary in response.content.decode()
    [event] = audit_events()[mark:]
    assert event.event_type == "user.password_reset" and event.actor == org["admin"] and event.object_id == str(rep.pk)
    assert temporary not in repr(event.detail)
    rep.refresh_from_db()
    assert rep.must_change_password and rep.check_password(temporary) and not rep.check_password(PASSWORD)
    assert not Session.objects.filter(session_key=old_key).exists()  # sessions ended

    # The lockout is lifted; with the temporary password the user reaches only the password change.
    client = english()
    assert login(client, "norole", temporary).status_code == 302 and signed_in(client)
    assert client.get("/customers/")["Location"] == "/accounts/profile/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    assert "temporary password" in client.get("/accounts/profile/").content.decode()
    assert change_password(client, temporary, "Quite-Other-Pass-42").status_code == 302
    rep.refresh_from_db()
    assert not rep.must_change_password
    assert client.get("/api/v1/me").status_code == 200
    assert audit_events("auth.password_changed")[-1].detail == {"replaced_temporary": True}


def test_an_administrator_cannot_set_the_password_of_someone_who_sees_customer_data(org, audit_events):
    """Rule 12: a temporary password shown to the administrator would let them sign in as the rep."""
    rep = org["rep_bj1"]
    with pytest.raises(ValidationFailed):
        resets.reset_password(ctx=ctx(org["admin"]), user_id=rep.pk)
    response = admin_client(org).post(f"/accounts/users/{rep.pk}/password-reset/")
    assert response.status_code == 302 and "temporary" not in (response.context or {})
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD) and not rep.must_change_password
    assert audit_events("user.password_reset") == []


def test_a_data_users_factor_needs_a_second_person(org, audit_events):
    rep = org["rep_bj1"]
    TOTPDevice.objects.create(user=rep, name="own choice", confirmed=True)
    request = resets.reset_mfa(ctx=ctx(org["admin"]), user_id=rep.pk)
    assert request is not None and TOTPDevice.objects.filter(user=rep).exists()
    assert audit_events("user.mfa_reset") == [] and len(audit_events("user.mfa_reset_requested")) == 1


def test_temporary_passwords_are_strong_and_different():
    values = {resets.temporary_password() for _i in range(20)}
    assert len(values) == 20
    for value in values:
        assert len(value) == 19 and any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)


def test_nobody_resets_their_own_password_or_factor_this_way(org, audit_events):
    for action in (resets.reset_password, resets.reset_mfa, resets.unlock_user):
        with pytest.raises(ValidationFailed):
            action(ctx=ctx(org["admin"]), user_id=org["admin"].pk)
    response = admin_client(org).post(f"/accounts/users/{org['admin'].pk}/password-reset/", follow=True)
    assert "your own account" in response.content.decode()
    assert audit_events() == [] or all(e.event_type.startswith("auth.") for e in audit_events())
    org["admin"].refresh_from_db()
    assert not org["admin"].must_change_password


def test_password_reset_is_for_administrators_only(org):
    client = Client()
    sign_in_verified(client, org["compliance"])
    assert client.post(f"/accounts/users/{org['rep_bj1'].pk}/password-reset/").status_code == 404
    org["rep_bj1"].refresh_from_db()
    assert not org["rep_bj1"].must_change_password and org["rep_bj1"].check_password(PASSWORD)


# --- Second factor ----------------------------------------------------------------------------


def test_second_factor_of_a_role_without_mfa_requirement_is_reset_at_once(org, audit_events):
    rep = org["norole"]
    TOTPDevice.objects.create(user=rep, name="own choice", confirmed=True)
    response = admin_client(org).post(f"/accounts/users/{rep.pk}/mfa-reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=rep).exists()
    [event] = audit_events("user.mfa_reset")
    assert event.actor == org["admin"] and event.detail["devices_removed"] == 1
    assert event.detail["requested_by"] == "admin" and event.detail["approved_by"] is None


def test_compliance_officers_factor_needs_a_second_person(org, audit_events):
    officer = org["compliance"]
    admin2 = user("admin2", R.ADMINISTRATOR, org.hq, mfa=True)
    request = resets.reset_mfa(ctx=ctx(org["admin"]), user_id=officer.pk)
    assert request is not None and request.status == MfaResetRequest.Status.PENDING
    assert TOTPDevice.objects.filter(user=officer).exists()  # nothing removed yet
    [asked] = audit_events("user.mfa_reset_requested")
    assert asked.actor == org["admin"] and asked.object_id == str(officer.pk)
    with pytest.raises(Conflict):
        resets.reset_mfa(ctx=ctx(admin2), user_id=officer.pk)

    # Not the one who asked, not the user concerned, not someone without the role.
    for who in (org["admin"], officer):
        with pytest.raises(ValidationFailed):
            resets.approve_mfa_reset(ctx=ctx(who), request_id=request.pk)
    with pytest.raises(PermissionDenied):
        resets.approve_mfa_reset(ctx=ctx(org["auditor"]), request_id=request.pk)
    assert audit_events("user.mfa_reset") == [] and TOTPDevice.objects.filter(user=officer).exists()

    # Another administrator approves on the pending page.
    client = english()
    sign_in_verified(client, admin2)
    page = client.get("/accounts/mfa-resets/")
    assert page.status_code == 200 and f"mfa-reset-{request.pk}" in page.content.decode()
    response = client.post(f"/accounts/mfa-resets/{request.pk}/", {"action": "approve"})
    assert response.status_code == 302 and response["Location"] == "/accounts/mfa-resets/"
    assert not TOTPDevice.objects.filter(user=officer).exists()
    request.refresh_from_db()
    assert request.status == MfaResetRequest.Status.DONE and request.approved_by == admin2
    [done] = audit_events("user.mfa_reset")
    assert done.actor == admin2 and done.object_id == str(officer.pk)
    assert done.detail["requested_by"] == "admin" and done.detail["approved_by"] == "admin2" and done.detail["request"] == str(request.pk)

    # At the next sign-in the officer enrols a new authenticator.
    fresh = Client()
    assert login(fresh, "compliance", follow=True).redirect_chain[-1][0] == "/accounts/mfa/setup/"


def test_a_compliance_officer_may_approve_an_administrators_reset(org, audit_events):
    admin2 = user("admin2", R.ADMINISTRATOR, org.hq, mfa=True)
    request = resets.reset_mfa(ctx=ctx(org["admin"]), user_id=admin2.pk)
    assert request is not None
    client = Client()
    sign_in_verified(client, org["compliance"])
    assert client.post(f"/accounts/mfa-resets/{request.pk}/", {"action": "approve"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=admin2).exists()
    assert audit_events("user.mfa_reset")[0].actor == org["compliance"]


def test_a_request_can_be_turned_down(org, audit_events):
    request = resets.reset_mfa(ctx=ctx(org["admin"]), user_id=org["auditor"].pk)
    assert request is not None
    resets.cancel_mfa_reset(ctx=ctx(org["compliance"]), request_id=request.pk)
    request.refresh_from_db()
    assert request.status == MfaResetRequest.Status.CANCELLED
    assert TOTPDevice.objects.filter(user=org["auditor"]).exists()
    [event] = audit_events("user.mfa_reset_cancelled")
    assert event.actor == org["compliance"] and event.object_id == str(org["auditor"].pk)


def test_pending_page_is_for_approvers_only(org):
    for name in ("rep_bj1", "auditor", "manager_bj"):
        client = Client()
        sign_in_verified(client, org[name])
        assert client.get("/accounts/mfa-resets/").status_code == 404


def test_lockout_message_still_points_to_an_administrator(org):
    lock_out("rep_bj2")
    assert LOCKED_ZH in login(Client(), "rep_bj2").content.decode()
    assert User.objects.get(username="rep_bj2").is_active
