"""Views that only read answer 405 to every other method (TRACE included), and no view accepts PUT, DELETE or
TRACE (issue #11). Routes are enumerated from the URLconf and the API routers, not listed by hand: a new
route's methods come from the permission matrix, which must already name it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.test import Client

from clientvault.testing.actors import sign_in_verified
from tests.matrix.routes import api_url, iter_routes, router_operations, web_url
from tests.matrix.tables import API_NAMESPACE, PUBLIC_ROUTES, WEB_MATRIX
from tests.matrix.world import World
from tests.matrix.world import matrix_world as matrix_world
from tests.matrix.world import shared_world as shared_world

OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE", "TRACE")
# Pages the matrix lists by their GET only, whose form posts back to them.
POSTS_TO_ITSELF = {
    "accounts:mfa_verify", "accounts:mfa_setup", "access:break_glass", "access:choose_purpose",
    "rights:sign_in", "rights:verify", "rights:give", "rights:request_new",
}  # fmt: skip


def web_methods() -> dict[str, set[str]]:
    methods: dict[str, set[str]] = defaultdict(set)
    for name, checks in WEB_MATRIX.items():
        methods[name] |= {c.method for c in checks}
    for name, public in PUBLIC_ROUTES.items():
        methods[name].add(public.method)
    for name in POSTS_TO_ITSELF:
        methods[name].add("POST")
    return methods


def web_routes() -> list[str]:
    return sorted({r.name for r in iter_routes() if r.name and not r.name.startswith(f"{API_NAMESPACE}:")})


GET_ONLY = [name for name in web_routes() if web_methods().get(name) == {"GET"}]


def test_the_enumeration_finds_get_only_routes():
    assert {"customers:list", "customers:detail", "accounts:users", "rights:home", "health", "home"} <= set(GET_ONLY)
    assert "customers:reveal" not in GET_ONLY and "accounts:profile" not in GET_ONLY


def _send(client: Client, method: str, url: str) -> Any:
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


def api_get_only() -> list[str]:
    by_path: dict[str, set[str]] = defaultdict(set)
    for method, path in router_operations():
        by_path[path].add(method)
    return sorted(path for path, methods in by_path.items() if methods == {"GET"})


@pytest.mark.django_db
class TestMethods:
    """On the permission matrix's shared world: one per class, a savepoint per case (issue #12)."""

    @pytest.mark.parametrize("name", GET_ONLY)
    def test_get_only_route_refuses_other_methods(self, name: str, matrix_world: World) -> None:
        world = matrix_world
        url = web_url(world, name, False)
        anonymous, signed_in = Client(), Client()
        sign_in_verified(signed_in, world.org["rep_bj1"])
        for client in (anonymous, signed_in):
            for method in OTHER_METHODS:
                response = _send(client, method, url)
                assert response.status_code == 405, f"{method} {url}: {response.status_code}"
            assert client.head(url).status_code != 405

    @pytest.mark.parametrize("name", [n for n in web_routes() if n not in GET_ONLY and n != "set_language"])
    def test_no_route_accepts_put_delete_or_trace(self, name: str, matrix_world: World) -> None:
        world = matrix_world
        url = web_url(world, name, False)
        client = Client()
        sign_in_verified(client, world.org["admin"])
        for method in ("PUT", "PATCH", "DELETE", "TRACE"):
            response = _send(client, method, url)
            assert response.status_code == 405, f"{method} {url}: {response.status_code}"

    @pytest.mark.parametrize("path", api_get_only())
    def test_get_only_api_operation_refuses_other_methods(self, path: str, matrix_world: World) -> None:
        world = matrix_world
        url = api_url(world, path, False)
        client = Client()
        sign_in_verified(client, world.org["rep_bj1"])
        for method in OTHER_METHODS:
            response = _send(client, method, url)
            assert response.status_code == 405, f"{method} {url}: {response.status_code} {response.content[:200]!r}"
