"""The OpenAPI document agrees with the server (issue #11): every operation lists the error answers it can
give with the structured error body, and ``kind``, ``channel`` and ``format`` are enums, dates and times
carry their formats — for every router, so a schema-driven client and a fuzzer read the same API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from clientvault.accounts.services import create_api_token
from clientvault.api import api
from clientvault.openapi import OPERATION_ERRORS
from clientvault.testing.actors import ctx
from clientvault.testing.customers import customer
from clientvault.testing.organisation import Org

PREFIX = "/api/v1"
ENUM_FIELDS = ("kind", "channel", "format")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema(path_prefix=PREFIX + "/")))
    return document


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def branches(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a property's schema, references resolved."""
    node = resolve(schema, node)
    options = node.get("anyOf") or node.get("oneOf") or [node]
    return [resolve(schema, o) for o in options if o.get("type") != "null"]


def named_fields(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, field name, schema) for every parameter and every component property."""
    for method, path, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            yield f"{method} {path}", parameter["name"], parameter["schema"]
    for name, component in schema["components"]["schemas"].items():
        for field, node in (component.get("properties") or {}).items():
            yield name, field, node


def test_every_operation_declares_its_error_responses_with_the_error_schema(schema: dict[str, Any]) -> None:
    seen = set()
    for method, path, operation in operations(schema):
        key = (method, path[len(PREFIX) :])
        seen.add(key)
        assert key in OPERATION_ERRORS, f"{method} {path}: declare its errors in clientvault/openapi.py"
        responses = {int(status): body for status, body in operation["responses"].items()}
        errors = {s for s in responses if s >= 400}
        assert errors == set(OPERATION_ERRORS[key]), f"{method} {path}: {sorted(errors)}"
        assert 401 in errors, f"{method} {path} can be called without signing in"
        if "{" in path:
            assert 404 in errors, f"{method} {path} names a record: it can answer 404"
        if operation.get("parameters") or operation.get("requestBody"):
            assert 422 in errors, f"{method} {path} validates input: it can answer 422"
        if operation.get("requestBody"):  # the fuzz test sends bodies that are not JSON: 400 "Cannot parse request body"
            assert 400 in errors, f"{method} {path} takes a body: one that is not JSON answers 400"
        if method in ("POST", "PATCH", "DELETE") and not path.endswith("/reveal"):
            assert 409 in errors, f"{method} {path} changes state: it can meet a conflict"
    error = resolve(schema, {"$ref": "#/components/schemas/ErrorOut"})
    detail = resolve(schema, error["properties"]["error"])
    assert set(detail["required"]) == {"code", "message", "request_id"} and "fields" in detail["properties"]
    for method, path, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            body = response["content"]["application/json"]["schema"]
            if body == {"$ref": "#/components/schemas/ErrorOut"}:
                continue
            # A richer error body (409 duplicate_found, issue #14) extends ErrorOut: the same envelope and every
            # field of ErrorDetail, so a client reading {error: {code, message, fields, request_id}} still works.
            extended = resolve(schema, resolve(schema, body)["properties"]["error"])
            assert set(detail["properties"]) <= set(extended["properties"]), f"{method} {path} {status}"
            assert set(detail["required"]) <= set(extended["required"]), f"{method} {path} {status}"
    assert seen == set(OPERATION_ERRORS), f"declared but gone: {set(OPERATION_ERRORS) - seen}"


def test_kind_channel_and_format_are_enums_everywhere(schema: dict[str, Any]) -> None:
    found = []
    for where, field, node in named_fields(schema):
        if field in ENUM_FIELDS:
            options = branches(schema, node)
            assert options and all("enum" in o or "const" in o for o in options), f"{where}.{field} is not an enum: {node}"
            found.append((where, field))
    fields = {f for _w, f in found}
    assert fields == set(ENUM_FIELDS), found  # each of them occurs and was checked
    routers = {tag for _m, _p, op in operations(schema) for tag in op.get("tags", [])}
    assert routers >= {"customers", "consents", "audit"}


def test_dates_and_times_carry_their_formats(schema: dict[str, Any]) -> None:
    for where, field, node in named_fields(schema):
        options = branches(schema, node)
        if re.search(r"(_at|_due)$", field) or field in ("from", "from_", "to"):
            formats = {o.get("format") for o in options}
            assert formats and formats <= {"date", "date-time"}, f"{where}.{field} has no date format: {node}"
    filters = resolve(schema, {"$ref": "#/components/schemas/EvidenceFiltersOut"})["properties"]
    for name in ("to", "from" if "from" in filters else "from_"):
        assert {o.get("format") for o in branches(schema, filters[name])} == {"date-time"}


@pytest.mark.django_db
def test_the_server_answers_what_the_schema_declares(org: Org) -> None:
    """A value outside an enum is refused with 422 and the structured error; a missing record is 404."""
    rep = org["rep_bj1"]
    c = customer(rep)
    _t, secret = create_api_token(ctx=ctx(rep, purpose=""), name="t", purposes=["customer_service"])
    headers = {"Authorization": f"Bearer {secret}"}
    refused = Client().post(
        f"{PREFIX}/customers/{c.pk}/consents/marketing/withdraw",
        json.dumps({"channel": "fax"}),
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422 and "channel" in refused.json()["error"]["fields"]
    assert Client().get(f"{PREFIX}/customers?kind=robot", headers=headers).status_code == 422
    assert Client().get(f"{PREFIX}/customers?kind=individual", headers=headers).status_code == 200
    missing = Client().get(f"{PREFIX}/customers/00000000-0000-0000-0000-000000000000/consents", headers=headers)
    assert missing.status_code == 404 and set(missing.json()["error"]) >= {"code", "message", "request_id"}
    served = Client().get(f"{PREFIX}/openapi.json", headers=headers)
    assert served.status_code == 200 and "ErrorOut" in served.json()["components"]["schemas"]


def test_schema_names_are_unique_across_apps() -> None:
    """OpenAPI components are keyed by the class name: two routers' ``HoldOut`` would share one component, and one
    operation's answers would be documented (and fuzz-checked) against the other's fields (issue #16 found it)."""
    import ninja

    import clientvault.api  # noqa: F401 - loads every router and its schemas

    def walk(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *walk(sub))]

    ours = [c for c in walk(ninja.Schema) if c.__module__.startswith("clientvault.")]
    names: dict[str, set[str]] = {}
    for cls in ours:
        names.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {n: sorted(m) for n, m in names.items() if len(m) > 1} == {}
