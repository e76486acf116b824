"""Who acts in a test: contexts with the role's usual purpose, signed-in test clients, the portal's data subject."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from clientvault.accounts.models import User
from clientvault.core import roles as R
from clientvault.core.context import Context, for_user
from clientvault.customers.models import Customer


def sign_in_verified(client: Any, u: User, *, purpose: str | None = None) -> None:
    """Log a test client in, with the second factor verified where the role needs one, working for
    ``purpose`` (default: the usual purpose of the user's role)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(u)
    device = TOTPDevice.objects.filter(user=u, confirmed=True).first()
    session = client.session
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if purpose is None:
        purpose = default_purpose(u)
    if purpose:
        from clientvault.core.web import PURPOSE_SESSION_KEY

        session[PURPOSE_SESSION_KEY] = purpose
    session.save()


# The purpose each role works for in tests unless a test names another (seeded policies, access/defaults.py).
DEFAULT_PURPOSE = {
    R.SALES_REP: "sales_followup",
    R.SALES_MANAGER: "sales_followup",
    R.RISK_OFFICER: "credit_assessment",
    R.COMPLIANCE_OFFICER: "compliance_review",
    R.AUDITOR: "audit",
}


def default_purpose(u: User) -> str:
    codes = set(u.role_codes())
    return next((p for role, p in DEFAULT_PURPOSE.items() if role in codes), "")


def ctx(u: User, *, channel: str = "web", purpose: str | None = None) -> Context:
    """A context for ``u``; the purpose defaults to the usual one of their role ("" declares none)."""
    return for_user(u, channel=channel, ip="127.0.0.1", purpose=default_purpose(u) if purpose is None else purpose)


def choose_purpose(client: Any, purpose: str) -> None:
    """Set a signed-in test client's purpose, as the purpose picker does."""
    from clientvault.core.web import PURPOSE_SESSION_KEY

    session = client.session
    session[PURPOSE_SESSION_KEY] = purpose
    session.save()


def signed_in(u: User) -> Any:
    """A test client signed in as ``u`` with the user's default purpose chosen (as after the picker)."""
    from django.test import Client

    client = Client()
    client.force_login(u)
    purpose = default_purpose(u)
    if purpose:
        choose_purpose(client, purpose)
    return client


def subject_ctx(*customers: Customer) -> Context:
    """The context of the customers themselves, signed in to the portal."""
    return Context(
        actor=None,
        roles=frozenset({"data_subject"}),
        purpose="rights_request",
        channel="portal",
        subject_ids=frozenset(c.pk for c in customers),
    )
