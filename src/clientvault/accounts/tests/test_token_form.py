"""Item 3 of issue #11: the profile's token form chooses purposes; tokens of MFA roles live at most 90 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clientvault.access import engine
from clientvault.accounts import services
from clientvault.accounts.models import ApiToken
from clientvault.accounts.tests.test_auth import english
from clientvault.core.errors import ValidationFailed
from clientvault.testing.actors import ctx, default_purpose, sign_in_verified

pytestmark = pytest.mark.django_db


def create(client: Client, **fields: object) -> Any:
    data = {"action": "token", "tok-name": "laptop", "tok-days": "30", **{f"tok-{k}": v for k, v in fields.items()}}
    return client.post("/accounts/profile/", data)


def test_the_form_offers_the_users_purposes_and_the_token_gets_them(org, audit_events):
    rep = org["rep_bj1"]
    purpose = default_purpose(rep)
    assert purpose
    client = Client()
    sign_in_verified(client, rep)
    offered = [code for code, _label in client.get("/accounts/profile/").context["token_form"].fields["purposes"].choices]
    assert offered and set(offered) == set(engine.allowed_purposes(ctx(rep)))

    mark = len(audit_events())
    response = create(client, purposes=[purpose])
    assert response.status_code == 200 and response.context["new_secret"]
    token = ApiToken.objects.get(user=rep)
    assert token.purposes == [purpose]
    [event] = audit_events()[mark:]
    assert event.event_type == "apitoken.created" and event.detail == {"days": 30, "purposes": [purpose]}

    # The token made on the page reaches customer data (it could not before: it had no purpose).
    secret = response.context["new_secret"]
    listed = Client().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert listed.status_code == 200, listed.content[:300]


def test_a_purpose_the_user_does_not_hold_is_refused(org, audit_events):
    rep = org["rep_bj1"]
    foreign = next(p for p in engine.allowed_purposes(ctx(org["compliance"])) if p not in engine.allowed_purposes(ctx(rep)))
    client = english()
    sign_in_verified(client, rep)
    mark = len(audit_events())
    response = create(client, purposes=[foreign])
    assert response.status_code == 200 and not response.context["new_secret"]
    assert "purposes" in response.context["token_form"].errors
    assert not ApiToken.objects.filter(user=rep).exists() and audit_events()[mark:] == []
    with pytest.raises(ValidationFailed):
        services.create_api_token(ctx=ctx(rep), name="x", purposes=[foreign])


def test_tokens_of_mfa_roles_live_at_most_90_days(org, audit_events):
    officer = org["compliance"]
    assert services.mfa_required(officer)
    client = english()
    sign_in_verified(client, officer)
    form = client.get("/accounts/profile/").context["token_form"]
    assert form.fields["days"].max_value == 90 and form.fields["days"].initial == 90

    response = create(client, days="200")
    assert "days" in response.context["token_form"].errors and not ApiToken.objects.filter(user=officer).exists()
    with pytest.raises(ValidationFailed) as exc:
        services.create_api_token(ctx=ctx(officer), name="cli", days=91)
    assert "days" in exc.value.fields

    token, _secret = services.create_api_token(ctx=ctx(officer), name="cli")  # the default is within the cap
    assert token.expires_at - token.created_at <= dt.timedelta(days=90, seconds=5)
    assert create(client, days="90").context["new_secret"]


def test_the_mfa_token_cap_is_a_setting(org, settings):
    settings.CLIENTVAULT_API_TOKEN_MFA_MAX_DAYS = 30
    with pytest.raises(ValidationFailed):
        services.create_api_token(ctx=ctx(org["compliance"]), name="cli", days=31)
    token, _secret = services.create_api_token(ctx=ctx(org["compliance"]), name="cli")
    assert abs(token.expires_at - token.created_at - dt.timedelta(days=30)) < dt.timedelta(seconds=5)


def test_tokens_of_other_roles_may_live_longer(org):
    rep = org["rep_bj1"]
    assert not services.mfa_required(rep)
    token, _secret = services.create_api_token(ctx=ctx(rep), name="cli", days=200)
    assert abs(token.expires_at - token.created_at - dt.timedelta(days=200)) < dt.timedelta(seconds=5)
