"""Item 1 of issue #11: per-address throttle (password spraying), username in password, password history."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.test import Client

from clientvault.accounts import services
from clientvault.accounts.models import LoginFailure, PasswordHistory
from clientvault.accounts.tests.test_auth import LOCKED_ZH, change_password, english, login, signed_in
from clientvault.core import clock
from clientvault.core.errors import ValidationFailed
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Not-The-Pass-1!"


def test_one_address_spraying_many_accounts_is_throttled(org, audit_events, settings):
    settings.CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("rep_bj1", "rep_bj2", "rep_sh"):  # one guess per account: the per-account lockout never fires
        assert login(attacker, name, WRONG).status_code == 200
    mark = len(audit_events())

    # Even the right password of a fourth account is refused now, and not checked.
    response = login(attacker, "manager_bj", PASSWORD)
    assert response.status_code == 429 and LOCKED_ZH in response.content.decode()
    assert not signed_in(attacker)
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.login_failed" and event.outcome == "denied"
    assert event.detail == {"locked_out": False, "address_throttled": True} and event.actor_username == "manager_bj"
    assert event.ip == "203.0.113.9"

    # Another address is not affected.
    assert login(Client(REMOTE_ADDR="198.51.100.7"), "manager_bj").status_code == 302


def test_address_throttle_window_passes(org, settings):
    settings.CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT = 2
    attacker = Client(REMOTE_ADDR="203.0.113.10")
    login(attacker, "rep_bj1", WRONG)
    login(attacker, "rep_bj2", WRONG)
    assert login(attacker, "rep_sh").status_code == 429
    LoginFailure.objects.update(at=clock.now() - dt.timedelta(minutes=settings.CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES + 1))
    assert login(attacker, "rep_sh").status_code == 302


def test_default_address_limit_is_above_the_account_limit():
    assert settings.CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    assert settings.CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES > 0


@pytest.mark.parametrize("new", ["Rep_BJ1-Secret-77", "xx-REP_bj1-Yy9!", "rep_bj1"])
def test_password_containing_the_username_is_refused(org, audit_events, new):
    client = english()
    login(client, "rep_bj1")
    mark = len(audit_events())
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 200
    assert "The password may not contain your username." in response.context["password_form"].errors["new_password"]
    assert audit_events()[mark:] == []


def test_username_containing_the_password_is_refused(org):
    from django.core.exceptions import ValidationError

    from clientvault.accounts.passwords import UsernameInPasswordValidator

    u = org["rep_bj1"]
    u.username = "Long.Name-With-Pass-2026!"
    with pytest.raises(ValidationError):
        UsernameInPasswordValidator().validate("name-with-pass-2026!", u)
    UsernameInPasswordValidator().validate("Quite-Other-Pass-42", u)


def test_new_user_password_containing_the_username_is_refused(org):
    data = {"username": "wang.lei", "department_id": str(org.bj_team1.pk), "roles": ["sales_rep"]}
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(ctx=ctx(org["admin"]), data=data, password="Wang.Lei-2026-Spring")
    assert "password" in exc.value.fields


def test_the_last_five_passwords_cannot_be_reused(org, audit_events, settings):
    # New hashes in a fast hasher (the history checks every remembered one); the fixture's argon2 hash still verifies.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    u = org["rep_bj1"]
    passwords = [PASSWORD] + [f"Brand-New-Pass-{n}x" for n in range(1, 7)]
    for old, new in itertools.pairwise(passwords):
        services.change_password(ctx=ctx(u), user=u, old_password=old, new_password=new)
    assert PasswordHistory.objects.filter(user=u).count() == 5
    current = passwords[-1]
    for reused in (passwords[2], passwords[4], current):  # the current one and the four before it are remembered
        with pytest.raises(ValidationFailed) as exc:
            services.change_password(ctx=ctx(u), user=u, old_password=current, new_password=reused)
        assert "new_password" in exc.value.fields
    # The sixth back has dropped out of the history.
    assert len(passwords[2:]) == 5
    mark = len(audit_events())
    services.change_password(ctx=ctx(u), user=u, old_password=current, new_password=passwords[1])
    assert [e.event_type for e in audit_events()[mark:]] == ["auth.password_changed"]


def test_the_current_password_cannot_be_set_again(org):
    client = english()
    login(client, "rep_bj1")
    response = change_password(client, PASSWORD, PASSWORD)
    errors = response.context["password_form"].errors["new_password"]
    assert any("not used before" in e for e in errors), errors


# --- Item 2: the session key changes when the second factor is passed ------------------------------


def _session_cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_passing_the_second_factor_rotates_the_session_key(org):
    from django.contrib.sessions.models import Session
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clientvault.accounts.models import UserSession
    from clientvault.accounts.tests.test_auth import code_for

    client = Client()
    login(client, "compliance")
    before = _session_cookie(client)
    response = client.post("/accounts/mfa/verify/", {"token": code_for(TOTPDevice.objects.get(user=org["compliance"]))})
    assert response.status_code == 302
    after = _session_cookie(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert UserSession.objects.filter(user=org["compliance"], session_key=after).exists()
    # Whoever holds the pre-MFA id holds nothing.
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = before
    assert stale.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/profile/").status_code == 200


def test_enrolling_the_second_factor_rotates_the_session_key(org):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clientvault.accounts.tests.test_auth import code_for

    TOTPDevice.objects.filter(user=org["auditor"]).delete()
    client = Client()
    login(client, "auditor")
    client.get("/accounts/mfa/setup/")
    before = _session_cookie(client)
    pending = TOTPDevice.objects.get(user=org["auditor"], confirmed=False)
    assert client.post("/accounts/mfa/setup/", {"token": code_for(pending)}).status_code == 302
    assert _session_cookie(client) != before
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = before
    assert stale.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
