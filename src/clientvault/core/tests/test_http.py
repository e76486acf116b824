"""The typed request: what ``AppRequest`` declares is what the middleware stack really sets."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from clientvault.core.http import AppRequest, app_request, ctx_of, signed_in_user
from clientvault.testing.actors import sign_in_verified

pytestmark = pytest.mark.django_db


def test_every_declared_attribute_is_set_on_a_signed_in_page_request(org: Any, client: Any) -> None:
    sign_in_verified(client, org["rep_sh"])
    response = client.get("/customers/")
    request = app_request(response.wsgi_request)
    missing = [name for name in AppRequest.__annotations__ if not hasattr(request, name)]
    assert missing == []
    assert signed_in_user(request) == org["rep_sh"]
    assert ctx_of(request).actor == org["rep_sh"] and ctx_of(request).request_id == request.request_id
    assert response["X-Request-ID"] == request.request_id


def test_an_anonymous_request_has_a_context_without_actor(client: Any) -> None:
    request = app_request(client.get("/accounts/login/").wsgi_request)
    assert ctx_of(request).actor is None and request.cv_break_glass is None
    with pytest.raises(PermissionDenied):
        signed_in_user(request)


def test_signed_in_user_refuses_an_anonymous_user() -> None:
    request = app_request(RequestFactory().get("/"))
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        signed_in_user(request)
