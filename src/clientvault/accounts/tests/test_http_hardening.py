"""Items 5 and 6 of issue #11: no-store on responses with personal data; GET-only views answer 405 to other
methods; HSTS and HTTPS in production."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from clientvault.rights import portal
from clientvault.testing.actors import sign_in_verified
from clientvault.testing.customers import customer

pytestmark = pytest.mark.django_db


def _portal_client(c: Any) -> Client:
    client = Client()
    session = client.session
    session[portal.SUBJECT_KEY] = [str(c.pk)]
    session[portal.SEEN_KEY] = time.time()
    session.save()
    return client


def test_responses_with_personal_data_are_not_stored(org):
    target = customer(org["rep_bj1"], name="缓存测试甲")
    manager = Client()
    sign_in_verified(manager, org["manager_bj"])
    owner = Client()
    sign_in_verified(owner, org["rep_bj1"])
    responses = {
        "customer list": owner.get("/customers/"),
        "customer detail": owner.get(f"/customers/{target.pk}/"),
        "reveal": manager.post(f"/customers/{target.pk}/reveal/name/"),
        "API detail": owner.get(f"/api/v1/customers/{target.pk}"),
        "portal my data": _portal_client(target).get("/portal/me/"),
        "profile": owner.get("/accounts/profile/"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.status_code)
        assert response["Cache-Control"] == "no-store", name
    assert "缓存测试甲" in responses["reveal"].content.decode()
    assert "缓存测试甲" in responses["portal my data"].content.decode()


def test_even_the_sign_in_page_and_errors_are_not_stored():
    assert Client().get("/accounts/login/")["Cache-Control"] == "no-store"
    api = Client().get("/api/v1/me")
    assert api.status_code == 401 and api["Cache-Control"] == "no-store"
