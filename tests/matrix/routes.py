"""Enumerating the routes the matrix must cover, turning the tables into cases, and the assertions cases share."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientvault.api import api
from clientvault.classification.masking import mask_name
from tests.matrix.effects import PARAMS, Payload
from tests.matrix.tables import API_MATRIX, API_NAMESPACE, WEB_MATRIX, Api, Location, Response, Web
from tests.matrix.world import ANON, World

# --- Enumeration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, "" if unnamed
    route: str  # the full pattern, e.g. "customers/<uuid:customer_id>/"
    params: tuple[str, ...]


def iter_routes(patterns: list[Any] | None = None, prefix: str = "", namespace: str = "", params: tuple[str, ...] = ()) -> Iterator[Route]:
    """Every URL pattern of the project, through includes, with its namespaced name and parameters."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        own = tuple(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from iter_routes(p.url_patterns, prefix + str(p.pattern), ns, params + own)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield Route(name, prefix + str(p.pattern), params + own)


def routes_by_name() -> dict[str, Route]:
    return {r.name: r for r in iter_routes() if r.name}


def api_base() -> str:
    return reverse(f"{API_NAMESPACE}:api-root").rstrip("/")


def router_operations() -> dict[tuple[str, str], str]:
    """(METHOD, full path template) -> URL name, from the ninja routers (also operations hidden from the schema)."""
    ops: dict[tuple[str, str], str] = {}
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            parts = [s.strip("/") for s in (prefix, path) if s and s.strip("/")]
            full = api_base() + "/" + "/".join(parts)
            for operation in path_view.operations:
                url_name = getattr(operation, "url_name", None) or api.get_operation_url_name(operation, router=router)
                for method in operation.methods:
                    ops[(method.upper(), full)] = url_name
    return ops


def schema_operations() -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}
    paths: dict[str, dict[str, Any]] = api.get_openapi_schema()["paths"]
    return {(m.upper(), path) for path, item in paths.items() for m in item if m in methods}


# --- Cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    route: str  # URL name, or "METHOD path" for the API
    method: str
    user: str  # ANON, a username, or "username@foreign"
    kind: str
    index: int = 0  # which Web entry of the route

    @property
    def id(self) -> str:
        return f"{self.route}-{self.method}-{self.kind}-{self.user}" if " " not in self.route else f"{self.route}-{self.kind}-{self.user}"


def _groups(check: Web | Api) -> list[tuple[str, tuple[str, ...]]]:
    if isinstance(check, Web):
        return [("in_scope", check.ok), ("wrong_role", check.wrong), ("out_of_scope", check.out)]
    return [("in_scope", check.ok), ("wrong_role", check.denied + check.hidden), ("out_of_scope", check.out)]


def web_cases() -> list[Case]:
    cases = []
    for name, checks in WEB_MATRIX.items():
        for i, check in enumerate(checks):
            cases.append(Case(name, check.method, ANON, "anonymous", i))
            cases += [Case(name, check.method, u, kind, i) for kind, users in _groups(check) for u in users]
    return cases


def api_cases() -> list[Case]:
    cases = []
    for (method, path), check in API_MATRIX.items():
        cases.append(Case(f"{method} {path}", method, ANON, "anonymous"))
        cases += [Case(f"{method} {path}", method, u, kind) for kind, users in _groups(check) for u in users]
    return cases


def split_user(user: str) -> tuple[str, bool]:
    who, _, obj = user.partition("@")
    return who, obj == "foreign"


def web_url(w: World, name: str, foreign: bool) -> str:
    route = routes_by_name()[name]
    return reverse(name, kwargs={p: PARAMS[p](w, foreign) for p in route.params})


def api_url(w: World, path: str, foreign: bool) -> str:
    names = re.findall(r"{(\w+)}", path)
    return path.format(**{n: PARAMS[n](w, foreign) for n in names})


def with_query(url: str, query: Payload | None, w: World, foreign: bool) -> str:
    return f"{url}?{urlencode(query(w, foreign))}" if query is not None else url


def api_call(client: Client, method: str, url: str, payload: dict[str, Any] | None = None, **headers: str) -> Response:
    if payload is not None and any(hasattr(v, "read") for v in payload.values()):  # a file: multipart (imports)
        return client.post(url, payload, headers=headers)
    body = json.dumps(payload) if payload is not None else ""
    return client.generic(method, url, body, content_type="application/json", headers=headers)


def assert_shown(response: Response, name: str) -> None:
    """In-scope responses show the customer: the name in clear, or masked where the role's policy masks
    C2 (managers, risk, audit; JRT0171-DISPLAY-mask) — never neither."""
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.dumps(response.json(), ensure_ascii=False)
    assert name in body or html.escape(mask_name(name)) in body or mask_name(name) in body


def assert_hidden(response: Response, name: str) -> None:
    """The customer's name (or its ASCII token) appears nowhere in the response, raw or JSON-decoded."""
    body = response.content.decode("utf-8", "replace")
    for needle in (name, name.split()[0]):
        assert needle not in body, f"the response leaks {needle!r}"
    if response.get("Content-Type", "").startswith("application/json") and response.content:
        assert name not in json.dumps(response.json(), ensure_ascii=False), "the JSON leaks the customer's name"


def assert_error(response: Response, status: int | tuple[int, ...], code: str | None = None) -> None:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, f"expected {statuses}, got {response.status_code}: {response.content[:300]!r}"
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json().get("error")
    assert isinstance(error, dict) and error.get("code") and "message" in error, response.json()
    if code is not None:
        assert error["code"] == code, response.json()


def location_regex(location: Location, w: World, user: str, foreign: bool) -> str:
    return location(w, user, foreign) if callable(location) else location
