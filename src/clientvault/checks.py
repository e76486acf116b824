"""System checks that refuse unsafe configuration (ARCHITECTURE.md rule 10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

REQUIRED_MIDDLEWARE = (
    "clientvault.middleware.RequestIdMiddleware",
    "clientvault.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clientvault.middleware.ActorContextMiddleware",
    "clientvault.middleware.DeniedAccessMiddleware",
    "clientvault.middleware.MfaRequiredMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
)


@register(Tags.security)
def check_middleware(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """The context, audit, second-factor and CSP middleware must be present, in order."""
    errors: list[CheckMessage] = []
    installed = list(settings.MIDDLEWARE)
    for name in REQUIRED_MIDDLEWARE:
        if name not in installed:
            errors.append(Error(f"{name} is missing from MIDDLEWARE.", id="clientvault.E004"))
    order = [
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "clientvault.middleware.ActorContextMiddleware",
        "clientvault.middleware.MfaRequiredMiddleware",
    ]
    if all(n in installed for n in order) and [installed.index(n) for n in order] != sorted(installed.index(n) for n in order):
        errors.append(Error("Authentication, OTP, context and MFA middleware are out of order.", id="clientvault.E005"))
    return errors


@register(Tags.security)
def check_production(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """In production: no DEBUG, a real secret key, secure cookies, no wildcard hosts, argon2 first."""
    if not getattr(settings, "IS_PRODUCTION", False):
        return []
    errors: list[CheckMessage] = []
    if settings.DEBUG:
        errors.append(Error("DEBUG must be off in production.", hint="Unset CLIENTVAULT_DEBUG.", id="clientvault.E001"))
    key = settings.SECRET_KEY or ""
    if not key or key == settings.DEV_SECRET_KEY or len(key) < 50 or len(set(key)) < 5:
        errors.append(Error("CLIENTVAULT_SECRET_KEY is missing or weak.", hint="Set at least 50 random characters.", id="clientvault.E002"))
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY"):
        if not getattr(settings, name, False):
            errors.append(
                Error(
                    f"{name} must be True in production.", hint="Serve over HTTPS; set CLIENTVAULT_SECURE_COOKIES=1.", id="clientvault.E003"
                )
            )
    if settings.SESSION_COOKIE_AGE > 12 * 3600:
        errors.append(Error("Sessions may last at most 12 hours in production.", id="clientvault.E006"))
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS must name the hosts, not '*'.", id="clientvault.E007"))
    errors += _transport_errors()
    if not settings.PASSWORD_HASHERS or "Argon2" not in settings.PASSWORD_HASHERS[0]:
        errors.append(Error("Argon2 must be the first password hasher.", id="clientvault.E008"))
    from clientvault.crypto.kek import DEV_MASTER_KEY, decode_master_key
    from clientvault.crypto.keyring import files

    if not settings.CLIENTVAULT_PKCS11_MODULE:
        try:
            decode_master_key(settings.CLIENTVAULT_MASTER_KEY)
        except ValueError as exc:
            errors.append(Error(str(exc), hint="Set CLIENTVAULT_MASTER_KEY to base64 of 32 random bytes.", id="clientvault.E009"))
        try:
            is_dev = decode_master_key(settings.CLIENTVAULT_MASTER_KEY) == decode_master_key(DEV_MASTER_KEY)
        except ValueError:
            is_dev = False
        if is_dev:
            errors.append(Error("The development master key cannot protect production keys.", id="clientvault.E010"))
    if not files().kek.exists() or not files().bidx.exists():
        errors.append(Error("The keyset files are missing.", hint="Run `clientvault keys init`.", id="clientvault.E011"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(Warning("SQLite is for evaluation; use PostgreSQL in production.", id="clientvault.W001"))
    return errors


@register(Tags.security)
def check_pkcs11(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[CheckMessage]:
    """A PKCS#11 key-encryption key must be reachable: module, token, PIN and key (every environment)."""
    from clientvault.crypto.kek import pkcs11_config

    config = pkcs11_config(settings)
    if config is None:
        return []
    from clientvault.crypto.pkcs11_kek import Pkcs11Unavailable, check

    try:
        check(config)
    except Pkcs11Unavailable as exc:
        return [Error(f"The PKCS#11 key-encryption key cannot be used: {exc}", hint="Check CLIENTVAULT_PKCS11_*.", id="clientvault.E030")]
    return []


HSTS_MIN_SECONDS = 180 * 24 * 3600


def _transport_errors() -> list[CheckMessage]:
    """HTTPS only: HSTS for half a year at least, subdomains included, and plain HTTP redirected — by Django, or
    by the proxy that terminates TLS (declared, with its forwarded-protocol header trusted)."""
    errors: list[CheckMessage] = []
    if settings.SECURE_HSTS_SECONDS < HSTS_MIN_SECONDS:
        errors.append(
            Error(
                "SECURE_HSTS_SECONDS must be at least 180 days in production.", hint="Set CLIENTVAULT_HSTS_SECONDS.", id="clientvault.E017"
            )
        )
    if not settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        errors.append(Error("SECURE_HSTS_INCLUDE_SUBDOMAINS must be True in production.", id="clientvault.E018"))
    by_proxy = getattr(settings, "CLIENTVAULT_TLS_TERMINATED_BY_PROXY", False) and getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not settings.SECURE_SSL_REDIRECT and not by_proxy:
        errors.append(
            Error(
                "Plain HTTP is not redirected to HTTPS.",
                hint="Leave SECURE_SSL_REDIRECT on, or set CLIENTVAULT_TLS_TERMINATED_BY_PROXY=true when the proxy redirects.",
                id="clientvault.E019",
            )
        )
    return errors
