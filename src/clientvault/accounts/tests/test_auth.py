"""Sign-in, lockout, second factor, password change, deactivation, headers and system checks — over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault import checks
from clientvault.accounts import services
from clientvault.accounts.models import User, UserSession
from clientvault.core import roles as R
from clientvault.testing.actors import ctx
from clientvault.testing.organisation import PASSWORD, user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED_EN = "Too many failed sign-in attempts"
LOCKED_ZH = "登录失败次数过多"
BAD_LOGIN_ZH = "用户名或密码不正确。"
BAD_LOGIN_EN = "The username or password is not correct."


def login(
    client: Client, username: str, password: str = PASSWORD, path: str = LOGIN, data: dict[str, str] | None = None, **extra: Any
) -> Any:
    return client.post(path, {"username": username, "password": password, **(data or {})}, **extra)


def english() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def code_for(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def html_lang(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> attribute"
    return match.group(1)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Language ---------------------------------------------------------------------------------


def test_login_page_is_chinese_by_default():
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert html_lang(response) == "zh-Hans"
    body = response.content.decode()
    assert "<title>登录" in body and "所有客户数据访问均记入审计日志。" in body
    assert "Every access to customer data is recorded." not in body
    assert response["Content-Language"] == "zh-hans"


def test_browser_accept_language_does_not_switch_to_english():
    response = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(response) == "zh-Hans"
    assert "所有客户数据访问均记入审计日志。" in response.content.decode()


def test_language_switch_to_english_and_back():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert html_lang(page) == "en"
    body = page.content.decode()
    assert "<title>Sign in" in body and "Every access to customer data is recorded." in body
    assert "所有客户数据访问均记入审计日志。" not in body

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN})
    assert html_lang(client.get(LOGIN)) == "zh-Hans"


def test_unknown_language_cookie_falls_back_to_chinese():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert html_lang(client.get(LOGIN)) == "zh-Hans"


# --- Sign-in ----------------------------------------------------------------------------------


def test_successful_login_records_session_event_and_redirects(org, audit_events):
    client = Client()
    response = login(client, "rep_bj1", HTTP_X_REQUEST_ID="req-login-0001")
    assert response.status_code == 302 and response["Location"] == "/home/"
    assert signed_in(client)
    key = client.session.session_key
    tracked = UserSession.objects.get(session_key=key)
    assert tracked.user == org["rep_bj1"] and tracked.ip == "127.0.0.1"
    [event] = audit_events()
    assert event.event_type == "auth.login" and event.actor == org["rep_bj1"] and event.outcome == "success"
    assert event.channel == "web" and event.request_id == "req-login-0001" and event.object_id == str(org["rep_bj1"].pk)
    assert client.get("/customers/")["Location"].startswith("/access/purpose/")  # signed in and verified: next, the purpose


def test_login_without_customer_access_lands_on_the_home_page(org):
    response = login(Client(), "norole")
    assert response.status_code == 302 and response["Location"] == "/home/"


def test_wrong_password_and_unknown_user_get_the_same_error(org, audit_events):
    wrong = login(Client(), "rep_bj1", "Not-The-Pass-1!")
    unknown = login(Client(), "nobody-13912345678", "Not-The-Pass-1!")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert response.content.decode().count(BAD_LOGIN_ZH) == 1
        assert response.context["form"].non_field_errors() == [BAD_LOGIN_ZH]
    assert UserSession.objects.count() == 0

    first, second = audit_events()
    assert [first.event_type, second.event_type] == ["auth.login_failed", "auth.login_failed"]
    assert first.outcome == second.outcome == "failed"
    assert first.actor is None and first.actor_username == "rep_bj1" and first.object_id == str(org["rep_bj1"].pk)
    # An unknown typed name may be someone's phone number: it is not kept.
    assert second.actor is None and second.actor_username == "" and second.object_id == ""
    assert "13912345678" not in repr(second.__dict__)


def test_login_error_is_translated_to_english():
    response = login(english(), "nobody", "Not-The-Pass-1!")
    assert response.content.decode().count(BAD_LOGIN_EN) == 1


def test_inactive_user_cannot_log_in(org, audit_events):
    user("gone", R.SALES_REP, org.bj_team1, active=False)
    client = Client()
    response = login(client, "gone")
    assert response.status_code == 200 and BAD_LOGIN_ZH in response.content.decode()
    assert not signed_in(client) and UserSession.objects.count() == 0
    [event] = audit_events()
    assert event.event_type == "auth.login_failed" and event.actor_username == "gone"


def test_lockout_after_failure_limit_even_with_the_right_password(org, audit_events):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "rep_bj1", "Not-The-Pass-1!")
        assert response.status_code == 200
    login(client, "rep_bj1", "Not-The-Pass-1!")  # the limit-th failure

    response = login(client, "rep_bj1", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()
    assert not signed_in(client) and UserSession.objects.count() == 0
    assert audit_events("auth.login") == []

    english_response = login(english(), "rep_bj1", PASSWORD)
    assert english_response.status_code == 429 and LOCKED_EN in english_response.content.decode()

    # The lock is per (username, address): a colleague at the same desk can still sign in.
    assert login(Client(), "rep_bj2").status_code == 302


def test_every_failed_password_before_lockout_is_audited(org, audit_events):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rep_bj1", "Not-The-Pass-1!")
    failed = audit_events("auth.login_failed")
    assert len(failed) == settings.AXES_FAILURE_LIMIT
    assert {e.actor_username for e in failed} == {"rep_bj1"}


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "https:evil.example", "/\\evil.example"])
def test_open_redirect_through_next_is_refused(org, target):
    via_query = login(Client(), "rep_bj1", path=f"{LOGIN}?next={target}")
    via_form = login(Client(), "rep_bj1", data={"next": target})
    for response in (via_query, via_form):
        assert response.status_code == 302
        assert response["Location"] == "/home/"


def test_local_next_is_honoured(org):
    response = login(Client(), "rep_bj1", path=f"{LOGIN}?next=/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"


def test_signed_in_user_visiting_login_is_not_sent_off_site(org):
    client = Client()
    login(client, "rep_bj1")
    response = client.get(f"{LOGIN}?next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/home/"


def test_logout_is_post_only_and_audited(org, audit_events):
    client = Client()
    login(client, "rep_bj1")
    key = client.session.session_key
    mark = len(audit_events())

    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in(client) and len(audit_events()) == mark

    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.logout" and event.actor == org["rep_bj1"]
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/customers/")["Location"].startswith(LOGIN)


# --- Second factor ----------------------------------------------------------------------------


def test_mfa_user_is_sent_to_verify_and_cannot_reach_anything_else(org, audit_events):
    client = Client()
    response = login(client, "compliance", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/mfa/verify/"
    assert response.status_code == 200
    assert [e.event_type for e in audit_events()] == ["auth.login"]

    assert client.get("/customers/")["Location"] == "/accounts/mfa/verify/"
    assert client.get("/accounts/profile/")["Location"] == "/accounts/mfa/verify/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"
    # Enrolling a fresh authenticator is no way around the existing one.
    assert client.get("/accounts/mfa/setup/")["Location"] == "/accounts/mfa/verify/"
    assert TOTPDevice.objects.filter(user=org["compliance"]).count() == 1


def test_wrong_mfa_code_is_refused_and_audited(org, audit_events):
    client = Client()
    login(client, "compliance")
    mark = len(audit_events())
    device = TOTPDevice.objects.get(user=org["compliance"])
    response = client.post("/accounts/mfa/verify/", {"token": wrong_code(device)})
    assert response.status_code == 200
    assert response.context["form"].errors["token"] == ["动态验证码不正确或已过期，请等待下一个验证码后重试。"]
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.mfa_failed" and event.outcome == "failed" and event.actor == org["compliance"]
    assert client.get("/customers/")["Location"] == "/accounts/mfa/verify/"


def test_right_mfa_code_verifies_the_session(org, audit_events):
    client = Client()
    login(client, "compliance")
    mark = len(audit_events())
    device = TOTPDevice.objects.get(user=org["compliance"])
    response = client.post("/accounts/mfa/verify/", {"token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/home/"  # every role starts on the home page (issue #13)
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.mfa_verified" and event.outcome == "success" and event.actor == org["compliance"]
    assert client.get("/customers/")["Location"].startswith("/access/purpose/")  # signed in and verified: next, the purpose
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["roles"] == [R.COMPLIANCE_OFFICER]


def test_mfa_role_without_device_must_enrol(org, audit_events):
    TOTPDevice.objects.filter(user=org["auditor"]).delete()
    client = Client()
    response = login(client, "auditor", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/mfa/setup/"
    assert client.get("/customers/")["Location"] == "/accounts/mfa/setup/"
    pending = TOTPDevice.objects.get(user=org["auditor"], confirmed=False)
    mark = len(audit_events())

    response = client.post("/accounts/mfa/setup/", {"token": code_for(pending)})
    assert response.status_code == 302 and response["Location"] == "/home/"  # every role starts on the home page (issue #13)
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.mfa_enrolled" and event.actor == org["auditor"]
    pending.refresh_from_db()
    assert pending.confirmed is True
    assert TOTPDevice.objects.filter(user=org["auditor"]).count() == 1
    assert client.get("/customers/")["Location"].startswith("/access/purpose/")  # signed in and verified: next, the purpose


def test_enrolment_with_a_wrong_code_is_refused(org, audit_events):
    TOTPDevice.objects.filter(user=org["auditor"]).delete()
    client = Client()
    login(client, "auditor")
    client.get("/accounts/mfa/setup/")
    pending = TOTPDevice.objects.get(user=org["auditor"], confirmed=False)
    mark = len(audit_events())
    response = client.post("/accounts/mfa/setup/", {"token": wrong_code(pending)})
    assert response.status_code == 200 and "token" in response.context["form"].errors
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.mfa_failed"
    pending.refresh_from_db()
    assert pending.confirmed is False


# --- Password change --------------------------------------------------------------------------


def change_password(client: Client, old: str, new: str, repeat: str | None = None) -> Any:
    return client.post(
        "/accounts/profile/",
        {"action": "password", "pw-old_password": old, "pw-new_password": new, "pw-new_password2": new if repeat is None else repeat},
    )


def test_password_change_with_wrong_old_password(org, audit_events):
    client = english()
    login(client, "rep_bj1")
    mark = len(audit_events())
    response = change_password(client, "Not-The-Pass-1!", "Brand-New-Pass-42")
    assert response.status_code == 200
    assert response.context["password_form"].errors["old_password"] == ["The current password is not correct."]
    assert audit_events()[mark:] == []
    org["rep_bj1"].refresh_from_db()
    assert org["rep_bj1"].check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("Ab1!xyz", "too short"),
        ("abcdefghijklmn", "at least 3 kinds of characters"),
        ("Password1234", "too common"),
    ],
)
def test_password_policy_violations_are_field_errors(org, audit_events, new, expected):
    client = english()
    login(client, "rep_bj1")
    mark = len(audit_events())
    response = change_password(client, PASSWORD, new)
    assert response.status_code == 200
    errors = response.context["password_form"].errors
    assert "new_password" in errors
    assert any(expected in message for message in errors["new_password"]), errors["new_password"]
    assert audit_events()[mark:] == []
    org["rep_bj1"].refresh_from_db()
    assert org["rep_bj1"].check_password(PASSWORD)


def test_password_policy_messages_are_translated(org):
    client = Client()
    login(client, "rep_bj1")
    response = change_password(client, PASSWORD, "abcdefghijklmn")
    assert response.context["password_form"].errors["new_password"] == ["密码须至少包含 3 类字符（小写字母、大写字母、数字、符号）。"]


def test_password_change_succeeds_keeps_session_and_uses_argon2(org, audit_events):
    client = Client()
    login(client, "rep_bj1")
    mark = len(audit_events())
    response = change_password(client, PASSWORD, "Brand-New-Pass-42")
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    [event] = audit_events()[mark:]
    assert event.event_type == "auth.password_changed" and event.actor == org["rep_bj1"]
    u = User.objects.get(pk=org["rep_bj1"].pk)
    assert u.password.startswith("argon2") and u.check_password("Brand-New-Pass-42")
    assert client.get("/accounts/profile/").status_code == 200
    assert login(Client(), "rep_bj1", "Brand-New-Pass-42").status_code == 302


def test_password_change_keeps_the_session_tracked(org):
    """The session key is rotated on a password change; the new key must still be tracked."""
    client = Client()
    login(client, "rep_bj1")
    change_password(client, PASSWORD, "Brand-New-Pass-42")
    key = client.session.session_key
    assert UserSession.objects.filter(user=org["rep_bj1"], session_key=key).exists()


def test_deactivation_after_password_change_still_ends_the_session(org):
    client = Client()
    login(client, "rep_bj1")
    change_password(client, PASSWORD, "Brand-New-Pass-42")
    key = client.session.session_key
    services.deactivate_user(ctx=ctx(org["admin"]), user_id=org["rep_bj1"].pk)
    assert not Session.objects.filter(session_key=key).exists()
    # Reactivation must not bring the old browser session back to life.
    services.reactivate_user(ctx=ctx(org["admin"]), user_id=org["rep_bj1"].pk)
    assert client.get("/customers/")["Location"].startswith(LOGIN)


# --- Deactivation -----------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_revokes_tokens(org, audit_events):
    rep = org["rep_bj1"]
    browser, laptop = Client(), Client()
    login(browser, "rep_bj1")
    login(laptop, "rep_bj1")
    keys = [browser.session.session_key, laptop.session.session_key]
    _token, secret = services.create_api_token(ctx=ctx(rep), name="t")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    mark = len(audit_events())

    services.deactivate_user(ctx=ctx(org["admin"]), user_id=rep.pk)

    [event] = audit_events()[mark:]
    assert event.event_type == "user.deactivated" and event.actor == org["admin"] and event.object_id == str(rep.pk)
    assert event.detail == {"sessions_ended": 2, "tokens_revoked": 1}
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=rep).exists()
    response = browser.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    api = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 401 and api.json()["error"]["code"] == "not_authenticated"
    assert login(Client(), "rep_bj1").status_code == 200


def test_deactivating_an_inactive_user_writes_nothing(org, audit_events):
    services.deactivate_user(ctx=ctx(org["admin"]), user_id=org["rep_bj1"].pk)
    mark = len(audit_events())
    services.deactivate_user(ctx=ctx(org["admin"]), user_id=org["rep_bj1"].pk)
    assert audit_events()[mark:] == []


# --- Headers ----------------------------------------------------------------------------------


def test_security_headers_on_a_page():
    response = Client().get(LOGIN)
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_valid_request_id_is_echoed():
    response = Client().get(LOGIN, HTTP_X_REQUEST_ID="abc.DEF-123_456")
    assert response["X-Request-ID"] == "abc.DEF-123_456"


@pytest.mark.parametrize("bad", ["has spaces in it", "a" * 65, "short", "inject\r\nSet-Cookie:x", "<script>"])
def test_invalid_request_id_is_replaced(bad):
    response = Client().get(LOGIN, HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id_is_made_when_absent():
    first, second = Client().get(LOGIN), Client().get(LOGIN)
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


# --- System checks ----------------------------------------------------------------------------


def ids(messages: list[Any]) -> set[str]:
    return {m.id for m in messages}


def errors_only(messages: list[Any]) -> list[Any]:
    return [m for m in messages if m.is_serious()]


@override_settings(IS_PRODUCTION=True, DEBUG=True, SECRET_KEY=settings.DEV_SECRET_KEY, SESSION_COOKIE_SECURE=False)
def test_unsafe_production_settings_are_errors():
    found = ids(errors_only(checks.check_production(None)))
    assert {"clientvault.E001", "clientvault.E002", "clientvault.E003"} <= found


def _present_keysets() -> str:
    """A directory where both keyset files exist (the check only asks that they are there)."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="cv-prod-keys-"))
    for name in ("key-encryption.keyset.json", "blind-index.keyset.json"):
        (folder / name).write_text("{}")
    return str(folder)


SOUND_PRODUCTION = {
    "IS_PRODUCTION": True,
    "CLIENTVAULT_MASTER_KEY": "3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
    "CLIENTVAULT_PKCS11_MODULE": "",
    "CLIENTVAULT_KEYS_DIR": _present_keysets(),
    "DEBUG": False,
    "SECRET_KEY": "k8#Vq2!zR7@pL0$wX5^mN3&bT9*cJ4(hF6)dG1_sY8+eU2=aQ7-o",
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_AGE": 8 * 3600,
    "ALLOWED_HOSTS": ["clientvault.example.cn"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_SSL_REDIRECT": True,
    "CLIENTVAULT_TLS_TERMINATED_BY_PROXY": False,
}


@override_settings(**SOUND_PRODUCTION)
def test_sound_production_settings_pass():
    assert len(settings.SECRET_KEY) >= 50
    messages = checks.check_production(None)
    assert errors_only(messages) == []
    on_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    assert ids(messages) == ({"clientvault.W001"} if on_sqlite else set())


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"SECRET_KEY": "x" * 60}, "clientvault.E002"),
        ({"SESSION_COOKIE_AGE": 13 * 3600}, "clientvault.E006"),
        ({"ALLOWED_HOSTS": ["*"]}, "clientvault.E007"),
        ({"PASSWORD_HASHERS": ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]}, "clientvault.E008"),
        ({"CLIENTVAULT_MASTER_KEY": "c2hvcnQ="}, "clientvault.E009"),
        ({"CLIENTVAULT_MASTER_KEY": settings.CLIENTVAULT_MASTER_KEY}, "clientvault.E010"),
        ({"CLIENTVAULT_KEYS_DIR": "/nonexistent/keys"}, "clientvault.E011"),
        ({"SECURE_HSTS_SECONDS": 0}, "clientvault.E017"),
        ({"SECURE_HSTS_SECONDS": 3600}, "clientvault.E017"),
        ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}, "clientvault.E018"),
        ({"SECURE_SSL_REDIRECT": False}, "clientvault.E019"),
        ({"SECURE_SSL_REDIRECT": False, "CLIENTVAULT_TLS_TERMINATED_BY_PROXY": True}, "clientvault.E019"),  # no header
    ],
)
def test_each_weak_production_setting_is_an_error(override, check_id):
    with override_settings(**{**SOUND_PRODUCTION, **override}):
        assert ids(errors_only(checks.check_production(None))) == {check_id}


def test_tls_terminated_by_the_proxy_may_replace_the_redirect():
    proxy = {
        "SECURE_SSL_REDIRECT": False,
        "CLIENTVAULT_TLS_TERMINATED_BY_PROXY": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }
    with override_settings(**{**SOUND_PRODUCTION, **proxy}):
        assert errors_only(checks.check_production(None)) == []


def test_production_settings_module_turns_https_on(tmp_path):
    """The settings module itself, under CLIENTVAULT_ENV=production: HSTS a year with subdomains, HTTPS redirect
    on unless the proxy is declared to do it (then its forwarded-protocol header is trusted)."""
    import os
    import subprocess
    import sys

    probe = (
        "from clientvault import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    base = {**os.environ, "CLIENTVAULT_ENV": "production", "CLIENTVAULT_VAR_DIR": str(tmp_path)}
    for name in ("CLIENTVAULT_SSL_REDIRECT", "CLIENTVAULT_HSTS_SECONDS", "CLIENTVAULT_HSTS_INCLUDE_SUBDOMAINS", "CLIENTVAULT_BEHIND_PROXY"):
        base.pop(name, None)
    direct = subprocess.run([sys.executable, "-c", probe], env=base, capture_output=True, text=True, check=True).stdout.split()
    assert direct == ["31536000", "True", "True", "None"]
    proxied_env = {**base, "CLIENTVAULT_TLS_TERMINATED_BY_PROXY": "true"}
    proxied = subprocess.run([sys.executable, "-c", probe], env=proxied_env, capture_output=True, text=True, check=True).stdout
    assert proxied.split()[:3] == ["31536000", "True", "False"] and "HTTP_X_FORWARDED_PROTO" in proxied


def test_production_checks_are_silent_outside_production():
    with override_settings(IS_PRODUCTION=False, DEBUG=True, SECRET_KEY=settings.DEV_SECRET_KEY):
        assert checks.check_production(None) == []


def test_middleware_checks_pass_on_the_shipped_settings():
    assert checks.check_middleware(None) == []


def test_missing_actor_context_middleware_is_an_error():
    without = [m for m in settings.MIDDLEWARE if m != "clientvault.middleware.ActorContextMiddleware"]
    with override_settings(MIDDLEWARE=without):
        messages = checks.check_middleware(None)
    assert ids(messages) == {"clientvault.E004"}
    assert "ActorContextMiddleware" in messages[0].msg


def test_out_of_order_middleware_is_an_error():
    swapped = list(settings.MIDDLEWARE)
    a, b = swapped.index("clientvault.middleware.ActorContextMiddleware"), swapped.index("django_otp.middleware.OTPMiddleware")
    swapped[a], swapped[b] = swapped[b], swapped[a]
    with override_settings(MIDDLEWARE=swapped):
        assert ids(checks.check_middleware(None)) == {"clientvault.E005"}


def test_remembering_the_language_is_a_service_write_with_its_event(org, audit_events):
    """The probe (#11) found this write in a selector: it is a service now, audited, and a no-op when unchanged."""
    from clientvault.accounts import selectors

    rep = org["rep_bj1"]
    assert not hasattr(selectors, "set_language")
    services.set_language(ctx=ctx(rep), user=rep, language="en")
    assert User.objects.get(pk=rep.pk).language == "en"
    [event] = audit_events("user.updated")
    assert (event.actor_id, event.object_id) == (rep.pk, str(rep.pk))
    services.set_language(ctx=ctx(rep), user=rep, language="en")
    assert len(audit_events("user.updated")) == 1
