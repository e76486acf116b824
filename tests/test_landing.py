"""Every role lands on a page it may open (issue #11; the home page since #13): the logo, the 404 page's way back, after sign-in and ``/``;
break-glass is in the navigation of those who may use it; a purpose switch never lands on a 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from clientvault.accounts.models import User
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.consents import consent
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

pytestmark = pytest.mark.django_db

ROLES = ["admin", "compliance", "auditor", "risk", "manager_bj", "rep_bj1"]
# Every role starts on the home page (issue #13): what needs them today.
EXPECTED = {"admin": "/home/", "auditor": "/home/", "compliance": "/home/", "rep_bj1": "/home/", "risk": "/home/", "manager_bj": "/home/"}


def _client(u: User, purpose: str | None = None) -> Client:
    client = Client()
    sign_in_verified(client, u, purpose=purpose)
    return client


def _href(page: str, testid: str) -> str:
    match = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', page)
    assert match, f"no {testid} link"
    return match.group(1)


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("purpose", [None, ""], ids=["usual-purpose", "no-purpose-yet"])
def test_the_logo_the_404_page_and_sign_in_lead_to_a_page_the_role_may_open(org: Org, username: str, purpose: str | None) -> None:
    client = _client(org[username], purpose)
    logo = _href(client.get("/accounts/profile/").content.decode(), "home-link")
    if username in EXPECTED:
        assert logo == EXPECTED[username]
    assert client.get(logo, follow=True).status_code == 200
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert _href(missing.content.decode(), "back-home") == logo
    assert client.get("/")["Location"] == logo
    assert client.get("/accounts/login/")["Location"] == logo  # where a signed-in person is sent after sign-in


@pytest.mark.parametrize("username", ROLES)
def test_break_glass_is_in_the_navigation_exactly_for_those_who_may_use_it(org: Org, username: str) -> None:
    client = _client(org[username])
    in_nav = 'href="/access/break-glass/"' in client.get("/accounts/profile/").content.decode()
    may = client.get("/access/break-glass/").status_code == 200
    assert in_nav is may
    if username == "admin":
        assert in_nav


def test_switching_to_a_purpose_that_does_not_open_the_page_goes_to_the_list(org: Org) -> None:
    rep = org["rep_bj1"]
    never_consented = customer(rep)
    client = _client(rep, "sales_followup")
    page = f"/customers/{never_consented.pk}/"
    assert client.get(page).status_code == 200
    response = client.post("/access/purpose/", {"purpose": "marketing", "next": page})
    assert response["Location"] == page
    landed = client.get(page)
    assert landed.status_code == 302 and landed["Location"] == "/customers/"
    assert "不在所选处理目的的范围内" in client.get(landed["Location"]).content.decode()
    # Only the first page after the switch is redirected; later a missing page is a 404 as ever.
    assert client.get(page).status_code == 404


def test_switching_to_a_purpose_that_opens_the_page_stays_on_it(org: Org) -> None:
    rep = org["rep_bj1"]
    consented = customer(rep)
    consent(consented)
    client = _client(rep, "sales_followup")
    page = f"/customers/{consented.pk}/"
    client.post("/access/purpose/", {"purpose": "marketing", "next": page})
    assert client.get(page).status_code == 200


def test_new_customer_is_offered_only_under_a_purpose_that_grants_create(org: Org) -> None:
    rep = org["rep_bj1"]
    assert 'href="/customers/new/"' in _client(rep, "sales_followup").get("/customers/").content.decode()
    marketing = _client(rep, "marketing")
    assert 'href="/customers/new/"' not in marketing.get("/customers/").content.decode()
    assert 'data-testid="new-individual"' not in marketing.get("/customers/").content.decode()
    assert marketing.get("/customers/new/").status_code == 404
